using RealtimeUpscale.Network.Kernels;
using RealtimeUpscale.Runtime;
using RealtimeUpscale.Upscaling;

namespace RealtimeUpscale.Demo;

/// <summary>A labelled region of the canvas showing one method's picture.</summary>
internal sealed class Panel
{
    public Panel(string label, int x, int y, int width, int height, bool alignRight = false)
    {
        Label = label;
        X = x;
        Y = y;
        Width = width;
        Height = height;
        AlignRight = alignRight;
    }

    public string Label { get; }
    public int X { get; }
    public int Y { get; }
    public int Width { get; }
    public int Height { get; }
    public bool AlignRight { get; }

    /// <summary>A live figure shown after the label (e.g. shift consistency).</summary>
    public string Detail { get; set; } = "";
}

/// <summary>Per-frame input to a view: the cursor in canvas pixels (null when outside), the frame-in-flight slot.</summary>
internal readonly record struct FrameInput(float Time, (int X, int Y)? Cursor, int Slot);

/// <summary>
/// Groups the timed passes of a frame under names (a panel's method, the scene, the HUD), from the
/// recorder's count of timed passes, so that per-pass timestamps add up to per-method GPU milliseconds.
/// </summary>
internal sealed class PassGroups
{
    private readonly List<(string Name, int First, int Count)> _groups = new();
    private int _base;

    public void Start(CommandRecorder r)
    {
        _groups.Clear();
        _base = r.TimedPasses;
    }

    public void Run(CommandRecorder r, string name, Action body)
    {
        int first = r.TimedPasses - _base;
        body();
        int count = r.TimedPasses - _base - first;
        if (count > 0)
        {
            _groups.Add((name, first, count));
        }
    }

    /// <summary>Milliseconds per group name, in first-recorded order.</summary>
    public List<(string Name, double Ms)> Sum(IReadOnlyList<PassTiming> timings)
    {
        var sums = new List<(string Name, double Ms)>();
        foreach (var (name, first, count) in _groups)
        {
            double ms = 0;
            for (int i = first; i < first + count && i < timings.Count; i++)
            {
                ms += timings[i].Milliseconds;
            }
            int at = sums.FindIndex(s => s.Name == name);
            if (at >= 0)
            {
                sums[at] = (name, sums[at].Ms + ms);
            }
            else
            {
                sums.Add((name, ms));
            }
        }
        return sums;
    }
}

/// <summary>
/// One view's GPU work: images, scene renders and upscalers made for one canvas size and setting, and
/// the recording of a frame into the canvas. Rebuilt (after the device is idle) whenever the view, the
/// scale, the weights, the filter or the resolution changes; everything it made is disposed with it.
/// </summary>
internal abstract class ViewPlan : IDisposable
{
    private readonly List<IDisposable> _owned;

    /// <summary>
    /// <paramref name="owned"/> collects what the view creates, from its first line: if a constructor throws,
    /// the caller disposes what was made so far.
    /// </summary>
    protected ViewPlan(DemoGpu gpu, List<IDisposable> owned)
    {
        Gpu = gpu;
        _owned = owned;
    }

    protected DemoGpu Gpu { get; }

    /// <summary>The picture the view makes each frame (General layout).</summary>
    public GpuImage Canvas { get; protected set; } = null!;

    public List<Panel> Panels { get; } = new();

    /// <summary>Low-resolution input and output size of one panel's method.</summary>
    public (int Width, int Height) Internal { get; protected set; }

    public (int Width, int Height) Output { get; protected set; }

    public abstract string Title { get; }

    public abstract void Record(CommandRecorder r, PassGroups groups, FrameInput input);

    /// <summary>Reads what the frame in <paramref name="slot"/> computed for the HUD, after its fence.</summary>
    public virtual void ReadResults(int slot)
    {
    }

    protected T Own<T>(T resource) where T : IDisposable
    {
        _owned.Add(resource);
        return resource;
    }

    /// <summary>One method making an output picture from the low-resolution input (or, for the reference, from the scene).</summary>
    protected sealed class MethodRun
    {
        private readonly SceneRender? _reference;
        private readonly Upscaler? _upscaler;
        private readonly GpuImage _input, _output;

        public MethodRun(ViewPlan plan, ModelLibrary library, Method method, int scale, bool init, GpuImage input, GpuImage output)
        {
            Method = method;
            _input = input;
            _output = output;
            if (method == Method.Reference)
            {
                _reference = plan.Own(plan.Gpu.SceneInto(output));
            }
            else if (library.Model(method, scale, init, out string? problem) is { } model)
            {
                try
                {
                    _upscaler = plan.Own(new Upscaler(plan.Gpu.Context, model, input.Width, input.Height));
                }
                catch (Exception e) when (e is VulkanException or ArgumentException)
                {
                    // The panel says why (e.g. out of memory at this resolution); the other panels still run.
                    Problem = e.Message;
                }
            }
            else
            {
                Problem = problem;
            }
            Label = ModelLibrary.Name(method) + (ModelLibrary.IsLearned(method) ? $" x{scale} {(init ? "random init" : "trained")}" : "");
        }

        public Method Method { get; }
        public string Label { get; }
        public string? Problem { get; }
        public bool Available => Problem is null;

        public void Record(CommandRecorder r, PassGroups groups, float time)
        {
            string name = Method.ToString().ToLowerInvariant();
            if (_reference is not null)
            {
                groups.Run(r, name, () => _reference.Record(r, time));
            }
            else if (_upscaler is not null)
            {
                groups.Run(r, name, () => _upscaler.Record(r, _input.Binding, _output.Binding, keepAlpha: false));
            }
        }
    }

    public void Dispose()
    {
        for (int i = _owned.Count - 1; i >= 0; i--)
        {
            _owned[i].Dispose();
        }
        _owned.Clear();
    }
}

/// <summary>
/// View 1: the low-resolution scene upscaled by every method, side by side in a 3 x 2 grid, each panel
/// at the same output size: reference, nearest, bicubic; deconv, sub-pixel, resize-conv.
/// </summary>
internal sealed class UpsamplersView : ViewPlan
{
    private readonly GpuImage _low;
    private readonly SceneRender _scene;
    private readonly List<(MethodRun Run, GpuImage Image, Panel Panel)> _runs = new();

    public UpsamplersView(DemoGpu gpu, List<IDisposable> owned, ModelLibrary library, int canvasWidth, int canvasHeight, int scale, bool init) : base(gpu, owned)
    {
        int panelW = canvasWidth / 3, panelH = canvasHeight / 2;
        int lowW = Math.Max(1, panelW / scale), lowH = Math.Max(1, panelH / scale);
        Internal = (lowW, lowH);
        Output = (lowW * scale, lowH * scale);
        Canvas = Own(gpu.Image(canvasWidth, canvasHeight));
        _low = Own(gpu.Image(lowW, lowH));
        _scene = Own(gpu.SceneInto(_low));
        var methods = new[] { Method.Reference, Method.Nearest, Method.Bicubic, Method.Deconv, Method.Subpixel, Method.ResizeConv };
        for (int i = 0; i < methods.Length; i++)
        {
            var image = Own(gpu.Image(Output.Width, Output.Height));
            var run = new MethodRun(this, library, methods[i], scale, init, _low, image);
            int x = (i % 3) * panelW + (panelW - Output.Width) / 2, y = (i / 3) * panelH + (panelH - Output.Height) / 2;
            var panel = new Panel(run.Label, x, y, Output.Width, Output.Height) { Detail = run.Problem ?? "" };
            Panels.Add(panel);
            _runs.Add((run, image, panel));
        }
    }

    public override string Title => "view 1: upsamplers side by side";

    public override void Record(CommandRecorder r, PassGroups groups, FrameInput input)
    {
        groups.Run(r, "scene", () => _scene.Record(r, input.Time));
        foreach (var (run, _, _) in _runs)
        {
            run.Record(r, groups, input.Time);
        }
        groups.Run(r, "compose", () => Gpu.Compose(r, Canvas, 0.12f,
            _runs.Where(x => x.Run.Available).Select(x => (x.Image, x.Panel.X, x.Panel.Y))));
    }
}

/// <summary>
/// View 2: the scene rendered at high resolution and shrunk by the factor, by naive strided subsampling
/// and by blur-before-downsample (Zhang 2019's BlurPool, binomial filter 1..7), side by side. Each panel
/// shows its live shift consistency: the PSNR between its picture of the scene and of the scene moved by
/// one high-resolution pixel. Aliasing makes that small pan change the picture a lot (shimmer), so the
/// naive panel scores lower.
/// </summary>
internal sealed class DownsamplingView : ViewPlan
{
    private readonly SceneRender _scene, _sceneMoved;
    private readonly Upscaler _naive, _blur;
    private readonly GpuImage _high, _highMoved;
    private readonly GpuImage[] _out;
    private readonly ComputeDispatch[,] _ssd;
    private readonly GpuBuffer[] _sums;
    private readonly int _groupsPerSlot;

    public DownsamplingView(DemoGpu gpu, List<IDisposable> owned, int canvasWidth, int canvasHeight, int factor, int filter, int slots) : base(gpu, owned)
    {
        int outW = Math.Max(8, canvasWidth / 2), outH = Math.Max(8, canvasHeight);
        Output = (outW, outH);
        Internal = (outW * factor, outH * factor);
        Canvas = Own(gpu.Image(outW * 2, outH));
        _high = Own(gpu.Image(Internal.Width, Internal.Height));
        _highMoved = Own(gpu.Image(Internal.Width, Internal.Height));
        _scene = Own(gpu.SceneInto(_high));
        _sceneMoved = Own(gpu.SceneInto(_highMoved, 1, 0));
        _out = new GpuImage[4];
        for (int i = 0; i < 4; i++)
        {
            _out[i] = Own(gpu.Image(outW, outH));
        }
        _naive = Own(new Upscaler(gpu.Context, ModelLibrary.Downsample(1, factor), Internal.Width, Internal.Height));
        _blur = Own(new Upscaler(gpu.Context, ModelLibrary.Downsample(filter, factor), Internal.Width, Internal.Height));
        var group = DemoKernels.Ssd.Workgroup;
        _groupsPerSlot = (int)(((outW + group.X - 1) / group.X) * ((outH + group.Y - 1) / group.Y));
        _sums = new GpuBuffer[slots];
        _ssd = new ComputeDispatch[slots, 2];
        for (int s = 0; s < slots; s++)
        {
            _sums[s] = Own(new GpuBuffer(gpu.Context, (ulong)_groupsPerSlot * 2 * 4, MemoryUsage.Download,
                Silk.NET.Vulkan.BufferUsageFlags.StorageBufferBit | Silk.NET.Vulkan.BufferUsageFlags.TransferDstBit));
            for (int k = 0; k < 2; k++)
            {
                _ssd[s, k] = Own(new ComputeDispatch(gpu.Context, gpu.Ssd, "shift consistency")
                    .Image(0, _out[2 * k].Binding).Image(1, _out[2 * k + 1].Binding).Buffer(2, _sums[s], write: true)
                    .Cover(outW, outH, 1, DemoKernels.Ssd.Workgroup)
                    .Push(new SsdPush { Width = outW, Height = outH, Slot = k }));
            }
        }
        Panels.Add(new Panel($"naive subsample /{factor}", 0, 0, outW, outH));
        Panels.Add(new Panel($"blur then subsample /{factor}, binomial {filter}", outW, 0, outW, outH));
    }

    public override string Title => "view 2: downsampling";

    public override void Record(CommandRecorder r, PassGroups groups, FrameInput input)
    {
        groups.Run(r, "scene (high res, twice)", () =>
        {
            _scene.Record(r, input.Time);
            _sceneMoved.Record(r, input.Time);
        });
        groups.Run(r, "naive", () =>
        {
            _naive.Record(r, _high.Binding, _out[0].Binding, keepAlpha: false);
            _naive.Record(r, _highMoved.Binding, _out[1].Binding, keepAlpha: false);
        });
        groups.Run(r, "blurpool", () =>
        {
            _blur.Record(r, _high.Binding, _out[2].Binding, keepAlpha: false);
            _blur.Record(r, _highMoved.Binding, _out[3].Binding, keepAlpha: false);
        });
        r.Barrier();
        groups.Run(r, "shift consistency", () =>
        {
            r.Dispatch(_ssd[input.Slot, 0]);
            r.Dispatch(_ssd[input.Slot, 1]);
        });
        groups.Run(r, "compose", () => Gpu.Compose(r, Canvas, 0.12f, new[] { (_out[0], 0, 0), (_out[2], Output.Width, 0) }));
    }

    public override void ReadResults(int slot)
    {
        var sums = new float[_groupsPerSlot * 2];
        _sums[slot].Read<float>(sums);
        for (int k = 0; k < 2; k++)
        {
            double total = 0;
            for (int i = 0; i < _groupsPerSlot; i++)
            {
                total += sums[k * _groupsPerSlot + i];
            }
            double mse = total / (3.0 * Output.Width * Output.Height);
            double psnr = mse <= 0 ? double.PositiveInfinity : 10 * Math.Log10(255.0 * 255.0 / mse);
            ShiftConsistency[k] = psnr;
            Panels[k].Detail = $"shift consistency {psnr:F1} dB";
        }
    }

    /// <summary>The last shift consistency (dB) of the naive [0] and blurred [1] panels.</summary>
    public double[] ShiftConsistency { get; } = new double[2];
}

/// <summary>
/// View 3: two methods at full canvas size with a wipe between them at the cursor's column, and a
/// magnifier loupe (4x, nearest) under the cursor.
/// </summary>
internal sealed class WipeView : ViewPlan
{
    private readonly GpuImage _low;
    private readonly SceneRender _scene;
    private readonly MethodRun _left, _right;
    private readonly ComputeDispatch _wipe;

    public WipeView(DemoGpu gpu, List<IDisposable> owned, ModelLibrary library, int canvasWidth, int canvasHeight, int scale, bool init, Method left, Method right)
        : base(gpu, owned)
    {
        int lowW = Math.Max(1, canvasWidth / scale), lowH = Math.Max(1, canvasHeight / scale);
        Internal = (lowW, lowH);
        Output = (lowW * scale, lowH * scale);
        Canvas = Own(gpu.Image(Output.Width, Output.Height));
        _low = Own(gpu.Image(lowW, lowH));
        _scene = Own(gpu.SceneInto(_low));
        var leftImage = Own(gpu.Image(Output.Width, Output.Height));
        var rightImage = Own(gpu.Image(Output.Width, Output.Height));
        _left = new MethodRun(this, library, left, scale, init, _low, leftImage);
        _right = new MethodRun(this, library, right, scale, init, _low, rightImage);
        _wipe = Own(new ComputeDispatch(gpu.Context, gpu.Wipe, "wipe")
            .Image(0, leftImage.Binding).Image(1, rightImage.Binding).Image(2, Canvas.Binding)
            .Cover(Output.Width, Output.Height, 1, DemoKernels.Wipe.Workgroup));
        Panels.Add(new Panel("A: " + _left.Label, 0, 0, Output.Width, Output.Height) { Detail = _left.Problem ?? "" });
        Panels.Add(new Panel("B: " + _right.Label, 0, 0, Output.Width, Output.Height, alignRight: true) { Detail = _right.Problem ?? "" });
    }

    public override string Title => "view 3: wipe and loupe";

    public override void Record(CommandRecorder r, PassGroups groups, FrameInput input)
    {
        groups.Run(r, "scene", () => _scene.Record(r, input.Time));
        _left.Record(r, groups, input.Time);
        _right.Record(r, groups, input.Time);
        var (cx, cy) = input.Cursor ?? (Output.Width / 2, Output.Height / 2);
        _wipe.Push(new WipePush
        {
            Width = Output.Width, Height = Output.Height, CursorX = cx, CursorY = cy, Divider = cx,
            Radius = Math.Max(16, Output.Height / 6), Zoom = 4,
        });
        groups.Run(r, "wipe", () => r.Dispatch(_wipe));
        r.Barrier();
    }
}
