using System.Collections.Concurrent;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using RealtimeUpscale.Runtime;
using Silk.NET.Vulkan;
using StbImageWriteSharp;
using VkSemaphore = Silk.NET.Vulkan.Semaphore;

namespace RealtimeUpscale.Demo;

/// <summary>What a demo run did, for the CLI's summary and <c>--json</c>.</summary>
public sealed record DemoSummary(
    string Device, string DeviceType, string Presentation, int Frames, double Seconds, double MedianFrameMs,
    double Fps, (int Width, int Height) Window, (int Width, int Height) Canvas, double RenderScale, bool AutomaticResolution,
    (int Width, int Height) Internal, (int Width, int Height) Output, int View, int Scale, string Weights, int Filter,
    IReadOnlyList<DemoPanel> Panels, IReadOnlyList<(string Pass, double Ms)> GpuMs, double[]? ShiftConsistencyDb,
    IReadOnlyList<string> ValidationMessages, string? Screenshot);

/// <summary>A panel of the last frame: its label and where it is in the window (screenshot pixels).</summary>
public sealed record DemoPanel(string Label, int X, int Y, int Width, int Height);

/// <summary>
/// The live demo: a render loop that draws an animated scene at low resolution with a compute shader,
/// upscales it with the library's engine call (<see cref="RealtimeUpscale.Network.Upscaler.Record"/>) on
/// the demo's own device, and presents, as a game would. Also runs without a window (offscreen).
/// </summary>
public static class DemoApp
{
    /// <summary>Runs the demo until the window closes, Esc, or <see cref="DemoOptions.Frames"/>.</summary>
    public static DemoSummary Run(DemoOptions options, TextWriter log)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Check();
        using var session = new DemoSession(options, log);
        return session.Loop();
    }
}

internal sealed unsafe class DemoSession : IDisposable
{
    private const int FramesInFlight = 2;
    private static readonly ConcurrentQueue<int> Keys = new();

    private readonly DemoOptions _o;
    private readonly TextWriter _log;
    private readonly nint _window;
    private readonly VulkanHost _host;
    private readonly Swapchain? _swap;
    private readonly GpuContext _gpu;
    private readonly DemoGpu _demo;
    private readonly ModelLibrary _library;
    private readonly HudRenderer _hud;
    private readonly Frame[] _frames = new Frame[FramesInFlight];
    private readonly CommandPool _pool;
    private readonly bool _glfwStarted;
    private GpuImage _screen = null!;
    private ViewPlan? _plan;
    private int _planVersion;

    // What the keys change.
    private int _view, _scale, _filter;
    private bool _init, _paused, _help, _hudOn, _auto;
    private double _renderScale;
    private (int Width, int Height) _framebuffer;
    private Method _wipeLeft, _wipeRight;
    private readonly double _targetFps;

    // Statistics.
    private readonly List<double> _frameMs = new();
    private readonly List<double> _windowMs = new();
    private List<(string Name, double Ms)> _gpuMs = new();
    private readonly Dictionary<string, (double Sum, int Count)> _gpuTotals = new();
    private int _framesSinceRebuild;
    private double _sinceResolutionChange;
    private bool _disposed;

    private sealed class Frame
    {
        public CommandBuffer Command;
        public Fence Fence;
        public VkSemaphore ImageAvailable;
        public GpuTimer Timer = null!;
        public PassGroups Groups = new();
        public bool Submitted;
        public int PlanVersion = -1;
    }

    public DemoSession(DemoOptions o, TextWriter log)
    {
        _o = o;
        _log = log;
        Keys.Clear(); // presses meant for an earlier session in this process
        _view = o.View;
        _scale = o.Scale;
        _filter = o.Filter;
        _init = o.RandomInit;
        _hudOn = o.Hud;
        _auto = o.RenderScale is null;
        _renderScale = o.RenderScale ?? 1.0;
        _wipeLeft = Enum.Parse<Method>(o.Wipe.Left, ignoreCase: true);
        _wipeRight = Enum.Parse<Method>(o.Wipe.Right, ignoreCase: true);
        try
        {
            if (!o.Offscreen)
            {
                _window = OpenWindow(o.Width, o.Height);
                _glfwStarted = true;
            }
            _host = VulkanHost.Create(_window, o.Validate, o.Device);
            _targetFps = o.TargetFps ?? (_host.DeviceType == PhysicalDeviceType.Cpu ? 20 : 60);
            _gpu = GpuContext.Borrow(_host.Vk, _host.Instance, _host.PhysicalDevice, _host.Device, _host.Queue, _host.QueueFamily);
            _demo = new DemoGpu(_gpu, o.Image ?? o.DefaultImage);
            _library = new ModelLibrary(o.ModelDirectory);
            _hud = new HudRenderer(_demo, FramesInFlight);
            var poolInfo = new CommandPoolCreateInfo(flags: CommandPoolCreateFlags.ResetCommandBufferBit, queueFamilyIndex: _host.QueueFamily);
            _host.Vk.CreateCommandPool(_host.Device, in poolInfo, null, out _pool).Check("vkCreateCommandPool");
            for (int i = 0; i < FramesInFlight; i++)
            {
                _frames[i] = CreateFrame();
            }
            int width = o.Width, height = o.Height;
            if (_window != 0)
            {
                Glfw.GetFramebufferSize(_window, out width, out height);
                _framebuffer = (width, height);
                _swap = new Swapchain(_host, Math.Max(width, 1), Math.Max(height, 1), o.Vsync);
                width = _swap.Width;
                height = _swap.Height;
            }
            CreateScreen(width, height);
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    private static nint OpenWindow(int width, int height)
    {
        Glfw.SetErrorCallback(&Glfw.OnError);
        if (Glfw.Init() == 0)
        {
            throw new InvalidOperationException("Could not open a window: " + (Glfw.LastError ?? "glfwInit failed") +
                ". Without a display, run with --offscreen (or start Xvfb and set DISPLAY).");
        }
        if (Glfw.VulkanSupported() == 0)
        {
            Glfw.Terminate();
            throw new InvalidOperationException("GLFW finds no Vulkan loader (install libvulkan1).");
        }
        Glfw.WindowHint(Glfw.ClientApi, Glfw.NoApi);
        Glfw.WindowHint(Glfw.Resizable, 1);
        nint window = Glfw.CreateWindow(width, height, "RealtimeUpscale demo", 0, 0);
        if (window == 0)
        {
            string error = Glfw.LastError ?? "glfwCreateWindow failed";
            Glfw.Terminate();
            throw new InvalidOperationException("Could not open a window: " + error);
        }
        Glfw.SetKeyCallback(window, &OnKey);
        return window;
    }

    [UnmanagedCallersOnly(CallConvs = new[] { typeof(CallConvCdecl) })]
    private static void OnKey(nint window, int key, int scancode, int action, int mods)
    {
        if (action == Glfw.Press || (action == Glfw.Repeat && key is Glfw.Keys.N or Glfw.Keys.Period))
        {
            Keys.Enqueue(key);
        }
    }

    private Frame CreateFrame()
    {
        var vk = _host.Vk;
        var f = new Frame();
        var alloc = new CommandBufferAllocateInfo(commandPool: _pool, level: CommandBufferLevel.Primary, commandBufferCount: 1);
        vk.AllocateCommandBuffers(_host.Device, in alloc, out f.Command).Check("vkAllocateCommandBuffers");
        var fenceInfo = new FenceCreateInfo(flags: FenceCreateFlags.SignaledBit);
        vk.CreateFence(_host.Device, in fenceInfo, null, out f.Fence).Check("vkCreateFence");
        var semaphoreInfo = new SemaphoreCreateInfo(flags: 0);
        vk.CreateSemaphore(_host.Device, in semaphoreInfo, null, out f.ImageAvailable).Check("vkCreateSemaphore");
        f.Timer = new GpuTimer(_gpu, 1024);
        return f;
    }

    private void CreateScreen(int width, int height)
    {
        _screen?.Dispose();
        _screen = _demo.Image(width, height);
        _hud.Rebind(_screen);
    }

    private (int Width, int Height) CanvasSize()
    {
        int w = Math.Max(64, (int)Math.Round(_screen.Width * _renderScale));
        int h = Math.Max(64, (int)Math.Round(_screen.Height * _renderScale));
        return (w, h);
    }

    private void Rebuild()
    {
        _host.Vk.DeviceWaitIdle(_host.Device).Check("vkDeviceWaitIdle");
        _plan?.Dispose();
        _plan = null;
        var (w, h) = CanvasSize();
        var owned = new List<IDisposable>();
        try
        {
            _plan = _view switch
            {
                1 => new UpsamplersView(_demo, owned, _library, w, h, _scale, _init),
                2 => new DownsamplingView(_demo, owned, w, h, _scale, _filter, FramesInFlight),
                _ => new WipeView(_demo, owned, _library, w, h, _scale, _init, _wipeLeft, _wipeRight),
            };
        }
        catch
        {
            for (int i = owned.Count - 1; i >= 0; i--)
            {
                owned[i].Dispose();
            }
            throw;
        }
        _planVersion++;
        _framesSinceRebuild = 0;
        _windowMs.Clear();
        _gpuTotals.Clear();
    }

    public DemoSummary Loop()
    {
        var clock = Stopwatch.StartNew();
        double last = 0, time = 0;
        int frame = 0;
        Rebuild();
        var vk = _host.Vk;
        while (true)
        {
            bool screenshotNow = false;
            if (_window != 0)
            {
                Glfw.PollEvents();
                if (Glfw.WindowShouldClose(_window) != 0)
                {
                    break;
                }
                Glfw.GetFramebufferSize(_window, out int fbw, out int fbh);
                if (fbw == 0 || fbh == 0 || Glfw.GetWindowAttrib(_window, Glfw.Iconified) != 0)
                {
                    // Minimised: nothing to present until the window comes back.
                    Glfw.WaitEventsTimeout(0.1);
                    last = clock.Elapsed.TotalSeconds;
                    continue;
                }
                if ((fbw, fbh) != _framebuffer)
                {
                    RecreateSwapchain(fbw, fbh);
                }
            }
            if (_o.Frames is { } limit && frame >= limit)
            {
                break;
            }
            bool step = false;
            if (HandleKeys(ref screenshotNow, ref step))
            {
                break;
            }

            var f = _frames[frame % FramesInFlight];
            var fence = f.Fence;
            vk.WaitForFences(_host.Device, 1, in fence, true, ulong.MaxValue).Check("vkWaitForFences");
            Collect(f, frame % FramesInFlight);

            uint imageIndex = 0;
            if (_swap is not null && !_swap.Acquire(f.ImageAvailable, out imageIndex))
            {
                RecreateSwapchain(_framebuffer.Width, _framebuffer.Height);
                continue;
            }
            vk.ResetFences(_host.Device, 1, in fence).Check("vkResetFences");

            double now = clock.Elapsed.TotalSeconds;
            double dt = now - last;
            last = now;
            if (_o.Frames is not null)
            {
                time = frame / 30.0;
            }
            else if (!_paused || step)
            {
                time += step ? 1 / 30.0 : dt;
            }

            Record(f, imageIndex, (float)time, frame % FramesInFlight);
            Submit(f, imageIndex);
            f.Submitted = true;
            f.PlanVersion = _planVersion;
            if (_swap is not null && !_swap.Present(imageIndex))
            {
                Glfw.GetFramebufferSize(_window, out int pw, out int ph);
                RecreateSwapchain(pw, ph);
            }
            if (frame == 0 && _swap is not null)
            {
                _log.WriteLine($"window open: {_swap.Width}x{_swap.Height} on {_host.DeviceName} ({_swap.PresentMode}); H for help, Esc to quit");
            }
            if (screenshotNow)
            {
                string name = $"rtup-demo-{DateTime.Now:yyyyMMdd-HHmmss}-{frame}.png";
                try
                {
                    SaveScreenshot(name);
                    _log.WriteLine($"screenshot: {name}");
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    _log.WriteLine($"screenshot failed: {e.Message}");
                }
            }
            frame++;
            _framesSinceRebuild++;
            if (frame > 1)
            {
                _frameMs.Add(dt * 1000);
            }
            if (_framesSinceRebuild > 3)
            {
                _windowMs.Add(dt * 1000);
            }
            _sinceResolutionChange += dt;
            AdjustResolution();
        }
        vk.DeviceWaitIdle(_host.Device).Check("vkDeviceWaitIdle");
        double seconds = clock.Elapsed.TotalSeconds;
        for (int i = 0; i < FramesInFlight; i++)
        {
            // The frames still in flight at the end, oldest first.
            Collect(_frames[(frame + i) % FramesInFlight], (frame + i) % FramesInFlight);
        }
        if (_o.Screenshot is not null)
        {
            SaveScreenshot(_o.Screenshot);
        }
        return Summarize(frame, seconds);
    }

    /// <summary>Reads the GPU times and view results of a completed frame, once, if it ran the current view.</summary>
    private void Collect(Frame f, int slot)
    {
        if (!f.Submitted || f.PlanVersion != _planVersion)
        {
            return;
        }
        f.Submitted = false;
        _gpuMs = f.Groups.Sum(f.Timer.Read());
        foreach (var (name, ms) in _gpuMs)
        {
            _gpuTotals[name] = _gpuTotals.TryGetValue(name, out var t) ? (t.Sum + ms, t.Count + 1) : (ms, 1);
        }
        _plan!.ReadResults(slot);
    }

    /// <summary>Applies queued key presses; returns true to quit.</summary>
    private bool HandleKeys(ref bool screenshot, ref bool step)
    {
        bool rebuild = false;
        while (Keys.TryDequeue(out int key))
        {
            switch (key)
            {
                case Glfw.Keys.Escape:
                    return true;
                case Glfw.Keys.D1 or Glfw.Keys.D2 or Glfw.Keys.D3:
                    _view = key - Glfw.Keys.D1 + 1;
                    rebuild = true;
                    break;
                case Glfw.Keys.I or Glfw.Keys.M:
                    _init = !_init;
                    rebuild = true;
                    break;
                case Glfw.Keys.S:
                    _scale = _scale == 4 ? 2 : _scale + 1;
                    rebuild = true;
                    break;
                case Glfw.Keys.F:
                    _filter = _filter == 7 ? 1 : _filter + 1;
                    rebuild |= _view == 2;
                    break;
                case Glfw.Keys.A:
                    _wipeLeft = Next(_wipeLeft);
                    rebuild |= _view == 3;
                    break;
                case Glfw.Keys.B:
                    _wipeRight = Next(_wipeRight);
                    rebuild |= _view == 3;
                    break;
                case Glfw.Keys.P or Glfw.Keys.Space:
                    _paused = !_paused;
                    break;
                case Glfw.Keys.N or Glfw.Keys.Period:
                    _paused = true;
                    step = true;
                    break;
                case Glfw.Keys.H or Glfw.Keys.F1:
                    _help = !_help;
                    break;
                case Glfw.Keys.Tab:
                    _hudOn = !_hudOn;
                    break;
                case Glfw.Keys.R:
                    _auto = !_auto;
                    if (!_auto)
                    {
                        _renderScale = 1;
                        rebuild = true;
                    }
                    break;
                case Glfw.Keys.F12:
                    screenshot = true;
                    break;
                case Glfw.Keys.W when _window != 0:
                    // The next of the common sizes; the swapchain follows when the framebuffer changes.
                    var sizes = new[] { (960, 540), (1280, 720), (1920, 1080) };
                    var (ww, wh) = sizes.FirstOrDefault(z => z.Item1 > _screen.Width, sizes[0]);
                    Glfw.SetWindowSize(_window, ww, wh);
                    break;
            }
        }
        if (rebuild)
        {
            Rebuild();
        }
        return false;
    }

    private static Method Next(Method m) => ModelLibrary.All[(Array.IndexOf(ModelLibrary.All, m) + 1) % ModelLibrary.All.Length];

    /// <summary>
    /// Automatic resolution: once a second, from the median frame time since the last change, shrink the
    /// canvas when the frame rate is under the target and grow it (more slowly) when well above.
    /// </summary>
    private void AdjustResolution()
    {
        if (!_auto || _windowMs.Count < 3 || _windowMs.Sum() < 1000)
        {
            return;
        }
        var sorted = _windowMs.OrderBy(x => x).ToArray();
        double fps = 1000 / sorted[sorted.Length / 2];
        double next = _renderScale;
        if (fps < _targetFps * 0.95 && _renderScale > 0.1)
        {
            next = Math.Max(0.1, _renderScale * Math.Clamp(Math.Sqrt(fps / _targetFps), 0.5, 0.92));
        }
        else if (fps > _targetFps * 1.5 && _renderScale < 1 && _sinceResolutionChange > 3)
        {
            next = Math.Min(1, _renderScale * 1.1);
        }
        _windowMs.Clear();
        if (Math.Abs(next - _renderScale) > 1e-6)
        {
            _renderScale = next;
            _sinceResolutionChange = 0;
            Rebuild();
        }
    }

    private void RecreateSwapchain(int width, int height)
    {
        _framebuffer = (width, height);
        if (width <= 0 || height <= 0)
        {
            return; // minimised: the loop waits for the window to come back, then recreates
        }
        _host.Vk.DeviceWaitIdle(_host.Device).Check("vkDeviceWaitIdle");
        _swap!.Recreate(width, height);
        // The acquire semaphores may have been left signalled by an acquire whose frame was dropped.
        foreach (var f in _frames)
        {
            _host.Vk.DestroySemaphore(_host.Device, f.ImageAvailable, null);
            var info = new SemaphoreCreateInfo(flags: 0);
            _host.Vk.CreateSemaphore(_host.Device, in info, null, out f.ImageAvailable).Check("vkCreateSemaphore");
        }
        CreateScreen(_swap.Width, _swap.Height);
        Rebuild();
    }

    private void Record(Frame f, uint imageIndex, float time, int slot)
    {
        var vk = _host.Vk;
        vk.ResetCommandBuffer(f.Command, 0).Check("vkResetCommandBuffer");
        var begin = new CommandBufferBeginInfo(flags: CommandBufferUsageFlags.OneTimeSubmitBit);
        vk.BeginCommandBuffer(f.Command, in begin).Check("vkBeginCommandBuffer");
        var r = new CommandRecorder(_gpu, f.Command);
        // The views' images are shared by the frames in flight: order this frame after the previous one.
        r.Barrier();
        f.Groups.Start(r);
        r.BeginTiming(f.Timer);
        var plan = _plan!;
        plan.Record(r, f.Groups, new FrameInput(time, CursorOnCanvas(plan), slot));
        f.Groups.Run(r, "blit", () => _demo.Blit(r, plan.Canvas, _screen));
        f.Groups.Run(r, "hud", () => _hud.Record(r, slot, Boxes(plan)));
        r.EndTiming();
        r.Barrier();
        if (_swap is not null)
        {
            var target = _swap.Images[imageIndex];
            Transition(f.Command, target, ImageLayout.Undefined, ImageLayout.TransferDstOptimal, 0, AccessFlags.TransferWriteBit,
                PipelineStageFlags.TransferBit, PipelineStageFlags.TransferBit);
            _demo.Blit(r, _screen, target, _swap.Width, _swap.Height);
            Transition(f.Command, target, ImageLayout.TransferDstOptimal, ImageLayout.PresentSrcKhr, AccessFlags.TransferWriteBit, 0,
                PipelineStageFlags.TransferBit, PipelineStageFlags.BottomOfPipeBit);
        }
        r.BarrierToHost();
        vk.EndCommandBuffer(f.Command).Check("vkEndCommandBuffer");
    }

    private void Transition(CommandBuffer cmd, Image image, ImageLayout from, ImageLayout to, AccessFlags srcAccess,
        AccessFlags dstAccess, PipelineStageFlags srcStage, PipelineStageFlags dstStage)
    {
        var barrier = new ImageMemoryBarrier(srcAccessMask: srcAccess, dstAccessMask: dstAccess, oldLayout: from, newLayout: to,
            srcQueueFamilyIndex: Vk.QueueFamilyIgnored, dstQueueFamilyIndex: Vk.QueueFamilyIgnored, image: image,
            subresourceRange: new ImageSubresourceRange(ImageAspectFlags.ColorBit, 0, 1, 0, 1));
        _host.Vk.CmdPipelineBarrier(cmd, srcStage, dstStage, 0, 0, null, 0, null, 1, &barrier);
    }

    private void Submit(Frame f, uint imageIndex)
    {
        var cmd = f.Command;
        if (_swap is null)
        {
            var plain = new SubmitInfo(commandBufferCount: 1, pCommandBuffers: &cmd);
            _host.Vk.QueueSubmit(_host.Queue, 1, in plain, f.Fence).Check("vkQueueSubmit");
            return;
        }
        var wait = f.ImageAvailable;
        var signal = _swap.RenderFinished(imageIndex);
        var stage = PipelineStageFlags.TransferBit;
        var info = new SubmitInfo(waitSemaphoreCount: 1, pWaitSemaphores: &wait, pWaitDstStageMask: &stage,
            commandBufferCount: 1, pCommandBuffers: &cmd, signalSemaphoreCount: 1, pSignalSemaphores: &signal);
        _host.Vk.QueueSubmit(_host.Queue, 1, in info, f.Fence).Check("vkQueueSubmit");
    }

    private (int X, int Y)? CursorOnCanvas(ViewPlan plan)
    {
        if (_window == 0)
        {
            return null;
        }
        Glfw.GetCursorPos(_window, out double x, out double y);
        Glfw.GetWindowSize(_window, out int ww, out int wh);
        if (ww <= 0 || wh <= 0 || x < 0 || y < 0 || x >= ww || y >= wh)
        {
            return null;
        }
        return ((int)(x / ww * plan.Canvas.Width), (int)(y / wh * plan.Canvas.Height));
    }

    private (double X, double Y) CanvasToScreen => (_screen.Width / (double)_plan!.Canvas.Width, _screen.Height / (double)_plan.Canvas.Height);

    private List<TextBox> Boxes(ViewPlan plan)
    {
        var boxes = new List<TextBox>();
        var (sx, sy) = CanvasToScreen;
        int scale = HudRenderer.ScaleFor(_screen.Height);
        foreach (var p in plan.Panels)
        {
            int x = (int)((p.AlignRight ? p.X + p.Width : p.X) * sx) + (p.AlignRight ? -4 : 4);
            // Labels stay inside their panel.
            int columns = Math.Max(4, (int)(p.Width * sx / (BitmapFont.CellWidth * scale)) - 3);
            string Fit(string text) => text.Length <= columns ? text : text[..(columns - 2)] + "..";
            var box = new TextBox(x, (int)(p.Y * sy) + 4, p.AlignRight) { Shade = 0.55f };
            box.Add(Fit(p.Label), p.Label.Contains("random init") ? Ink.Red : Ink.Yellow);
            if (p.Detail.Length > 0)
            {
                box.Add(Fit(p.Detail), p.Detail.Contains("dB") ? Ink.Green : Ink.Red);
            }
            boxes.Add(box);
        }
        if (_hudOn)
        {
            var hud = new TextBox(4, 0);
            double fps = RecentFps();
            hud.Add($"RealtimeUpscale demo - {plan.Title}   [H] help", Ink.Cyan);
            hud.Add($"device: {_host.DeviceName} ({_host.DeviceType}), {(_swap is null ? "offscreen" : _swap.PresentMode.ToString())}", Ink.White);
            hud.Add($"{fps:F1} fps, {(fps > 0 ? 1000 / fps : 0):F1} ms a frame{(_paused ? ", paused" : "")}", fps >= _targetFps ? Ink.Green : Ink.Yellow);
            hud.Add($"internal {plan.Internal.Width}x{plan.Internal.Height} -> output {plan.Output.Width}x{plan.Output.Height}" +
                $" (canvas {plan.Canvas.Width}x{plan.Canvas.Height}, {_renderScale * 100:F0}% of {_screen.Width}x{_screen.Height}, " +
                (_auto ? $"automatic for {_targetFps:F0} fps)" : "fixed)"), Ink.White);
            hud.Add($"weights: {(_init ? "random init" : "trained")}   scale x{_scale}   filter {_filter}", _init ? Ink.Red : Ink.White);
            var line = "GPU ms:";
            foreach (var (name, ms) in _gpuMs)
            {
                string item = $" {name} {ms:F2}";
                if (line.Length + item.Length > 90)
                {
                    hud.Add(line, Ink.Grey);
                    line = "       ";
                }
                line += item;
            }
            hud.Add(line + $"  (total {_gpuMs.Sum(g => g.Ms):F1})", Ink.Grey);
            // Bottom-left, above the panel labels of the lower row.
            int height = (hud.Lines.Count * BitmapFont.CellHeight + 6) * scale;
            boxes.Add(new TextBox(4, _screen.Height - height - 4) { Shade = 0.7f }.AddAll(hud));
        }
        if (_help)
        {
            var help = new TextBox(_screen.Width - 4, (int)(_screen.Height * 0.3), alignRight: true) { Shade = 0.8f };
            help.Add("keys", Ink.Cyan)
                .Add("1 2 3   view: upsamplers / downsampling / wipe")
                .Add("I or M  trained weights <-> random initialisation")
                .Add("S       scale x2 -> x3 -> x4")
                .Add("F       blur filter size 1..7 (view 2)")
                .Add("A  B    method left / right of the wipe (view 3)")
                .Add("mouse   wipe position and loupe (view 3)")
                .Add("P space pause      N .  step one frame")
                .Add("R       automatic resolution on / off")
                .Add("Tab     HUD        F12  screenshot")
                .Add("W       window size 960x540 / 1280x720 / 1920x1080")
                .Add("H F1    this help  Esc  quit");
            boxes.Add(help);
        }
        return boxes;
    }

    private double RecentFps()
    {
        if (_frameMs.Count == 0)
        {
            return 0;
        }
        var recent = _frameMs.Skip(Math.Max(0, _frameMs.Count - 30)).OrderBy(x => x).ToArray();
        return 1000 / recent[recent.Length / 2];
    }

    private void SaveScreenshot(string path)
    {
        _host.Vk.DeviceWaitIdle(_host.Device).Check("vkDeviceWaitIdle");
        byte[] rgba = _screen.Download();
        int n = _screen.Width * _screen.Height;
        var rgb = new byte[n * 3];
        for (int i = 0; i < n; i++)
        {
            rgb[i * 3] = rgba[i * 4];
            rgb[i * 3 + 1] = rgba[i * 4 + 1];
            rgb[i * 3 + 2] = rgba[i * 4 + 2];
        }
        string full = Path.GetFullPath(path);
        string temporary = Path.Combine(Path.GetDirectoryName(full)!, $".{Path.GetFileName(full)}.{Environment.ProcessId}.partial");
        try
        {
            using (var stream = File.Create(temporary))
            {
                new ImageWriter().WritePng(rgb, _screen.Width, _screen.Height, ColorComponents.RedGreenBlue, stream);
            }
            File.Move(temporary, full, overwrite: true);
        }
        catch
        {
            try
            {
                File.Delete(temporary);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // The write's own error is the one to report.
            }
            throw;
        }
    }

    private DemoSummary Summarize(int frames, double seconds)
    {
        var plan = _plan!;
        var (sx, sy) = CanvasToScreen;
        var panels = plan.Panels.Select(p => new DemoPanel(p.Label, (int)Math.Round(p.X * sx), (int)Math.Round(p.Y * sy),
            (int)Math.Round(p.Width * sx), (int)Math.Round(p.Height * sy))).ToList();
        var sorted = _frameMs.OrderBy(x => x).ToArray();
        double median = sorted.Length == 0 ? 0 : sorted[sorted.Length / 2];
        var gpu = _gpuTotals.Select(kv => (kv.Key, kv.Value.Sum / kv.Value.Count)).ToList();
        var messages = _host.Validation?.Messages.Select(m => m.ToString()).ToList() ?? new List<string>();
        return new DemoSummary(_host.DeviceName, _host.DeviceType.ToString(), _swap is null ? "offscreen" : _swap.PresentMode.ToString(),
            frames, seconds, median, median > 0 ? 1000 / median : 0, (_screen.Width, _screen.Height),
            (plan.Canvas.Width, plan.Canvas.Height), _renderScale, _auto, plan.Internal, plan.Output, _view, _scale,
            _init ? "random init" : "trained", _filter, panels, gpu,
            plan is DownsamplingView d ? d.ShiftConsistency.ToArray() : null, messages,
            _o.Screenshot is null ? null : Path.GetFullPath(_o.Screenshot));
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }
        _disposed = true;
        if (_host is not null && _host.Device.Handle != 0)
        {
            // Teardown goes on whatever this returns: a lost device still has objects to destroy.
            _host.Vk.DeviceWaitIdle(_host.Device);
            _plan?.Dispose();
            _hud?.Dispose();
            _screen?.Dispose();
            foreach (var f in _frames)
            {
                if (f is null)
                {
                    continue;
                }
                f.Timer?.Dispose();
                _host.Vk.DestroyFence(_host.Device, f.Fence, null);
                _host.Vk.DestroySemaphore(_host.Device, f.ImageAvailable, null);
            }
            if (_pool.Handle != 0)
            {
                _host.Vk.DestroyCommandPool(_host.Device, _pool, null);
            }
            _demo?.Dispose();
            _gpu?.Dispose();
            _swap?.Dispose();
        }
        _host?.Dispose();
        if (_window != 0)
        {
            Glfw.DestroyWindow(_window);
        }
        if (_glfwStarted)
        {
            Glfw.Terminate();
        }
    }
}
