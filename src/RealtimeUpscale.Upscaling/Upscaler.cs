using System.Runtime.InteropServices;
using RealtimeUpscale.Network;
using RealtimeUpscale.Network.Layers;
using RealtimeUpscale.Runtime;
using Silk.NET.Vulkan;

namespace RealtimeUpscale.Upscaling;

/// <summary>Interleaved 8-bit or float pixel layouts the host call accepts.</summary>
public enum PixelFormat
{
    /// <summary>One grey channel.</summary>
    Grey,

    /// <summary>Grey and alpha.</summary>
    GreyAlpha,

    /// <summary>R, G, B.</summary>
    Rgb,

    /// <summary>R, G, B, A (not premultiplied).</summary>
    Rgba,
}

/// <summary>
/// Upscales images of one input size with one model, on the GPU. For a luma (<see cref="ColorSpace.Y"/>)
/// model it converts RGB to BT.601 studio YCbCr, runs the network on Y, upscales Cb and Cr with bicubic
/// interpolation and converts back (a grey image goes through the network directly); for an RGB model the
/// network sees R, G, B. Alpha is upscaled separately with bicubic interpolation and kept. All of it is one
/// graph of layers around the model's (<see cref="UpscalingGraph"/>), bound on the model's compiled network,
/// so the binding's memory plan shares the buffers; only the image -> tensor step before it and the tensor ->
/// image step after it are not layers.
/// </summary>
/// <remarks>
/// Two entry points: <see cref="Upscale(ReadOnlySpan{byte}, PixelFormat)"/> (host memory in and out, a
/// blocking submission; for tools and tests) and <see cref="Record"/> (records into the caller's command
/// buffer, reading the caller's image and writing the caller's image, with no submission of its own; for
/// engines). Upscalers made from one <see cref="UpscalingNetwork"/> share its weights whatever their sizes.
/// The upscaler owns its bindings and dispatches (and its network when it made it); never the caller's
/// images.
/// </remarks>
public sealed class Upscaler : IDisposable
{
    private readonly GpuContext _context;
    private readonly UpscalingNetwork _network;
    private readonly bool _ownsNetwork;
    private readonly (int Width, int Height)? _exactSize;
    // The graph of each kind of image asked for (keep alpha, grey) and stage of a tiled run (see Stage), bound on
    // first use.
    private readonly Dictionary<(bool KeepAlpha, bool Grey, int Stage), (UpscalingPlan Plan, NetworkBinding Binding)> _graphs = new();
    private readonly Dictionary<(ulong, ulong, bool, bool, int), (ComputeDispatch In, ComputeDispatch Out)> _edges = new();

    // Stages of a tiled run of a model with squeeze-excitation blocks (see WholeImageStatistics): Whole runs the
    // graph as it is; a stage k from 0 runs the statistics pass of block k (the graph up to the block's pooled
    // value, the means of blocks 0 to k - 1 given); Final runs the whole graph with every block's means given.
    // Resumed + k and ResumedFinal are the same passes for a tile that keeps its values between them
    // (WholeImageStatistics.Resumed): each computes only what earlier passes did not.
    private const int Whole = -1;
    private const int Final = int.MaxValue;
    private const int ResumedFinal = int.MaxValue - 1;
    private const int Resumed = 1 << 24;
    // The passes of a tile that keeps its values, per kind of image (keep alpha, grey).
    private readonly Dictionary<(bool KeepAlpha, bool Grey), IReadOnlyList<WholeImageStatistics.Pass>> _passes = new();
    private bool _disposed;

    /// <summary>
    /// Prepares the model for inputs of <paramref name="inputWidth"/> x <paramref name="inputHeight"/>, on a
    /// network of its own (its layers are built here). Tensors are allocated on first use of each kind of
    /// image (colour or grey, with or without alpha). <paramref name="tuning"/> configures the kernels (null: for
    /// the device).
    /// </summary>
    public Upscaler(GpuContext context, ModelDefinition model, int inputWidth, int inputHeight, KernelTuning? tuning = null)
        : this(new UpscalingNetwork(context, model, tuning), inputWidth, inputHeight, null, ownsNetwork: true)
    {
    }

    /// <summary>
    /// As <see cref="Upscaler(GpuContext, ModelDefinition, int, int, KernelTuning)"/>, writing exactly
    /// <paramref name="outputWidth"/> x <paramref name="outputHeight"/>: the model's output is resampled on the
    /// GPU (blurred first when it shrinks; see <see cref="Resampler"/>).
    /// </summary>
    public Upscaler(GpuContext context, ModelDefinition model, int inputWidth, int inputHeight, int outputWidth, int outputHeight)
        : this(new UpscalingNetwork(context, model), inputWidth, inputHeight, (outputWidth, outputHeight), ownsNetwork: true)
    {
    }

    /// <summary>
    /// Prepares <paramref name="network"/> for inputs of <paramref name="inputWidth"/> x
    /// <paramref name="inputHeight"/> (and, when given, outputs of exactly <paramref name="exactSize"/>), sharing
    /// its layers and weights with every other upscaler made from it. The network is borrowed: dispose it after
    /// this upscaler.
    /// </summary>
    public Upscaler(UpscalingNetwork network, int inputWidth, int inputHeight, (int Width, int Height)? exactSize = null)
        : this(network, inputWidth, inputHeight, exactSize, ownsNetwork: false)
    {
    }

    private Upscaler(UpscalingNetwork network, int inputWidth, int inputHeight, (int Width, int Height)? exactSize, bool ownsNetwork)
    {
        ArgumentNullException.ThrowIfNull(network);
        _network = network;
        _ownsNetwork = ownsNetwork;
        _exactSize = exactSize;
        _context = network.Context;
        Model = network.Model;
        InputWidth = inputWidth;
        InputHeight = inputHeight;
        try
        {
            // Checks that the model takes this size and keeps its channel count.
            var plan = network.Graphs.Build(inputWidth, inputHeight, keepAlpha: false, grey: false, exactSize);
            var shape = plan.Graph.OutputShape(new TensorShape(ImageToTensor.ChannelCount(plan.Input), inputHeight, inputWidth));
            OutputWidth = shape.Width;
            OutputHeight = shape.Height;
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    /// <summary>The model.</summary>
    public ModelDefinition Model { get; }

    /// <summary>Input width in pixels.</summary>
    public int InputWidth { get; }

    /// <summary>Input height in pixels.</summary>
    public int InputHeight { get; }

    /// <summary>Output width in pixels.</summary>
    public int OutputWidth { get; }

    /// <summary>Output height in pixels.</summary>
    public int OutputHeight { get; }

    /// <summary>GPU milliseconds per pass of the last host call, or of the last engine recording made with a timer.</summary>
    public IReadOnlyList<PassTiming> LastTimings { get; private set; } = Array.Empty<PassTiming>();

    /// <summary>
    /// Records the upscale of <paramref name="input"/> (InputWidth x InputHeight, any sampled colour format, in
    /// <c>ShaderReadOnlyOptimal</c> or <c>General</c> layout as its binding states) into <paramref name="output"/>
    /// (OutputWidth x OutputHeight; rgba8, rgba16f or rgba32f with storage usage, in <c>General</c> layout).
    /// Nothing is submitted. The caller makes earlier writes to <paramref name="input"/> visible to compute
    /// shaders before this work, and synchronises its later use of <paramref name="output"/> after it.
    /// <paramref name="grey"/> treats the input as grey (r = g = b) and writes grey; <paramref name="keepAlpha"/>
    /// upscales alpha (otherwise the output's alpha is 1). Dispatches are cached per pair of image views.
    /// </summary>
    public void Record(CommandRecorder recorder, ImageBinding input, ImageBinding output, bool keepAlpha = true,
        bool grey = false, GpuTimer? timer = null)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentNullException.ThrowIfNull(recorder);
        if (input.Width != InputWidth || input.Height != InputHeight)
        {
            throw new ArgumentException($"The upscaler was prepared for {InputWidth}x{InputHeight} input, got {input.Width}x{input.Height}.");
        }
        if (output.Width != OutputWidth || output.Height != OutputHeight)
        {
            throw new ArgumentException($"The upscaler writes {OutputWidth}x{OutputHeight}, got an output image of {output.Width}x{output.Height}.");
        }
        RecordStage(recorder, input, output, keepAlpha, grey & Model.Info.ColorSpace == ColorSpace.Y, timer, Whole);
    }

    private void RecordStage(CommandRecorder recorder, ImageBinding input, ImageBinding output, bool keepAlpha, bool grey, GpuTimer? timer, int stage)
    {
        var binding = Binding(keepAlpha, grey, stage);
        var key = (input.View.Handle, output.View.Handle, keepAlpha, grey, stage);
        if (!_edges.TryGetValue(key, out var edges))
        {
            edges = BindEdges(input, output, keepAlpha, grey, stage);
            _edges[key] = edges;
        }
        if (timer is not null)
        {
            recorder.BeginTiming(timer);
        }
        // The upscaler's tensors are reused every frame: order this frame's work after any earlier recording
        // (another frame in flight on the same queue may still be reading them).
        recorder.Barrier();
        recorder.Dispatch(edges.In);
        binding.Record(recorder);
        recorder.Dispatch(edges.Out);
        if (timer is not null)
        {
            recorder.EndTiming();
        }
    }

    /// <summary>
    /// Drops the dispatches cached for the caller's image views. Call it before destroying or recreating views
    /// that were passed to <see cref="Record"/> (a new view may reuse an old handle value), once no submitted
    /// work that used them is pending.
    /// </summary>
    public void ClearBindings()
    {
        foreach (var (into, from) in _edges.Values)
        {
            into.Dispose();
            from.Dispose();
        }
        _edges.Clear();
    }

    /// <summary>
    /// Retires the dispatches cached for <paramref name="view"/> (read or written by them) at
    /// <paramref name="frame"/>: they are destroyed once the host reports that frame complete
    /// (<see cref="GpuContext.CompleteFrames"/>). Call it when a view passed to <see cref="Record"/> is about to be
    /// destroyed or replaced while frames that used it may be in flight; a later <see cref="Record"/> with a view
    /// of the same handle value binds afresh.
    /// </summary>
    public void RetireBindings(ImageView view, ulong frame)
    {
        foreach (var key in _edges.Keys.Where(k => k.Item1 == view.Handle || k.Item2 == view.Handle).ToList())
        {
            _edges.Remove(key, out var edges);
            _context.DisposeAfterFrame(edges.In, frame);
            _context.DisposeAfterFrame(edges.Out, frame);
        }
    }

    /// <summary>Bytes of GPU memory the upscaler's bindings allocated (tensors; the weights are the network's).</summary>
    internal ulong BytesAllocated => _graphs.Values.Aggregate(0UL, (sum, b) => sum + b.Binding.BytesAllocated);

    /// <summary>Reads the timings of a recording made with a timer, after it completed, one per layer (see <see cref="PassTiming.PerLabel"/>).</summary>
    public IReadOnlyList<PassTiming> ReadTimings(GpuTimer timer)
    {
        ArgumentNullException.ThrowIfNull(timer);
        LastTimings = PassTiming.PerLabel(timer.Read());
        return LastTimings;
    }

    /// <summary>
    /// Upscales interleaved 8-bit pixels (rows top to bottom, no padding) and returns the output in the same
    /// format. Blocking: uploads, runs and downloads.
    /// </summary>
    public byte[] Upscale(ReadOnlySpan<byte> pixels, PixelFormat format) => Upscale(pixels, format, null);

    /// <summary>Upscales interleaved float pixels in [0, 1]; the output is not clamped.</summary>
    public float[] Upscale(ReadOnlySpan<float> pixels, PixelFormat format) => Upscale(pixels, format, null);

    /// <summary>
    /// As <see cref="Upscale(ReadOnlySpan{byte}, PixelFormat)"/>; with <paramref name="means"/> (a tile of a tiled
    /// run), the squeeze-excitation blocks use these whole-image means (one array per block, in order) instead of
    /// their own averages over the tile. With <paramref name="held"/> as well (the values the tile's statistics
    /// passes kept, see <see cref="RegionMeans"/>), it computes only what those passes did not, and empties it.
    /// </summary>
    internal byte[] Upscale(ReadOnlySpan<byte> pixels, PixelFormat format, IReadOnlyList<float[]>? means, TileValues? held = null)
    {
        var rgba = HostPixels.ToRgba(pixels, format, InputWidth, InputHeight, (byte)255);
        var result = RunHost(rgba, Format.R8G8B8A8Unorm, format, means, held);
        return HostPixels.FromRgba<byte>(result, format, OutputWidth * OutputHeight);
    }

    /// <summary>As <see cref="Upscale(ReadOnlySpan{byte}, PixelFormat, IReadOnlyList{float[]}, TileValues)"/> for float pixels in [0, 1].</summary>
    internal float[] Upscale(ReadOnlySpan<float> pixels, PixelFormat format, IReadOnlyList<float[]>? means, TileValues? held = null)
    {
        var rgba = HostPixels.ToRgba(pixels, format, InputWidth, InputHeight, 1f);
        var result = RunHost(MemoryMarshal.AsBytes(rgba.AsSpan()).ToArray(), Format.R32G32B32A32Sfloat, format, means, held);
        return HostPixels.FromRgba(MemoryMarshal.Cast<byte, float>(result), format, OutputWidth * OutputHeight);
    }

    /// <summary>
    /// The statistics pass of squeeze-excitation block <paramref name="block"/> over this tile (see
    /// <see cref="WholeImageStatistics"/>): runs the graph as far as the block's pooled value, the blocks before it
    /// using the whole image's <paramref name="means"/>, and returns that value's per-channel mean over
    /// <paramref name="region"/> (the tile's own share of the whole image's value). With <paramref name="held"/>
    /// (the tile's values from its earlier passes, empty before the first), it runs only what those passes did not
    /// compute (<see cref="WholeImageStatistics.Resumed"/>), and leaves in it what later passes take back.
    /// </summary>
    internal float[] RegionMeans<T>(T[] pixels, PixelFormat format, int block, IReadOnlyList<float[]> means, PlaneRegion region,
        TileValues? held = null) where T : unmanaged
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (means.Count != block)
        {
            throw new ArgumentException($"The statistics of block {block} need the means of the {block} blocks before it, got {means.Count}.");
        }
        var (keepAlpha, grey) = HostPixels.Kind(format);
        grey &= Model.Info.ColorSpace == ColorSpace.Y;
        var (texels, texelFormat) = pixels is byte[] bytes ? (HostPixels.ToRgba<byte>(bytes, format, InputWidth, InputHeight, 255), Format.R8G8B8A8Unorm)
            : (MemoryMarshal.AsBytes(HostPixels.ToRgba<float>((float[])(object)pixels, format, InputWidth, InputHeight, 1f).AsSpan()).ToArray(), Format.R32G32B32A32Sfloat);
        int stage = held is null ? block : Resumed + block;
        var (plan, binding) = Bound(keepAlpha, grey, stage);
        WholeImageStatistics.Supply(plan, binding, means, PassOf(keepAlpha, grey, stage), held);
        using var input = new GpuImage(_context, InputWidth, InputHeight, texelFormat);
        input.Upload(texels);
        using var into = new ImageToTensor(_context, plan.Input).Bind(input.Binding, binding.Input);
        var tuning = _network.Network.Tuning;
        using var pool = GpuLayer.Create(_context, Pool2dSpec.GlobalAverage with { Region = region }, "statistics", tuning);
        using var result = new GpuTensor(_context, new TensorShape(binding.Output.Shape.Channels, 1, 1), tuning.Precision);
        using var dispatch = pool.Bind(binding.Output, result);
        _context.Execute(r =>
        {
            r.Dispatch(into);
            binding.Record(r);
            r.Dispatch(dispatch);
        });
        WholeImageStatistics.Keep(binding, PassOf(keepAlpha, grey, stage), held);
        return result.Download();
    }

    /// <summary>Releases the binding of a statistics pass, once a tiled run has made them all.</summary>
    internal void ReleaseStatistics() => ReleaseGraphs(IsStatistics);

    /// <summary>
    /// Releases the bindings of the stages <paramref name="which"/> picks, or every binding (the network and its
    /// pipelines stay; the next run binds again).
    /// </summary>
    internal void ReleaseGraphs(Func<int, bool>? which = null)
    {
        foreach (var key in _graphs.Keys.Where(k => which?.Invoke(k.Stage) ?? true).ToList())
        {
            _graphs.Remove(key, out var old);
            old.Binding.Dispose();
        }
    }

    private static bool IsStatistics(int stage) => stage is not (Whole or Final or ResumedFinal);

    /// <summary>The pass of a tile that keeps its values, for a resumed stage; null for the others.</summary>
    private WholeImageStatistics.Pass? PassOf(bool keepAlpha, bool grey, int stage) => stage switch
    {
        ResumedFinal => _passes[(keepAlpha, grey)][^1],
        >= Resumed and < ResumedFinal => _passes[(keepAlpha, grey)][stage - Resumed],
        _ => null,
    };

    /// <summary>Releases the dispatches and bindings, and the network when the upscaler made it.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }
        _disposed = true;
        ClearBindings();
        ReleaseGraphs();
        if (_ownsNetwork)
        {
            _network.Dispose();
        }
    }

    private byte[] RunHost(byte[] texels, Format format, PixelFormat pixels, IReadOnlyList<float[]>? means, TileValues? held)
    {
        var (alpha, grey) = HostPixels.Kind(pixels);
        grey &= Model.Info.ColorSpace == ColorSpace.Y;
        int stage = means is null ? Whole : held is null ? Final : ResumedFinal;
        if (means is not null)
        {
            var (plan, binding) = Bound(alpha, grey, stage);
            WholeImageStatistics.Supply(plan, binding, means, PassOf(alpha, grey, stage), held);
            held?.Clear(); // the final pass takes back the last of them
        }
        using var input = new GpuImage(_context, InputWidth, InputHeight, format);
        using var output = new GpuImage(_context, OutputWidth, OutputHeight, format);
        input.Upload(texels);
        // Every pass of the graph, the two image conversions and a few spare.
        using var timer = _context.Traits.SupportsTimestamps ? new GpuTimer(_context, Binding(alpha, grey, stage).PassCount + 16) : null;
        try
        {
            _context.Execute(r => RecordStage(r, input.Binding, output.Binding, alpha, grey, timer, stage));
            if (timer is not null)
            {
                ReadTimings(timer);
            }
            return output.Download();
        }
        finally
        {
            // The images die with this call, so their cached dispatches go too.
            var key = (input.View.Handle, output.View.Handle, alpha, grey, stage);
            if (_edges.Remove(key, out var edges))
            {
                edges.In.Dispose();
                edges.Out.Dispose();
            }
        }
    }

    private NetworkBinding Binding(bool keepAlpha, bool grey, int stage) => Bound(keepAlpha, grey, stage).Binding;

    /// <summary>
    /// The graph bound for one kind of image and stage, bound on first use. Only one statistics stage is held at a
    /// time: a tiled run finishes each block's pass over all tiles before the next.
    /// </summary>
    private (UpscalingPlan Plan, NetworkBinding Binding) Bound(bool keepAlpha, bool grey, int stage)
    {
        if (!_graphs.TryGetValue((keepAlpha, grey, stage), out var bound))
        {
            if (IsStatistics(stage))
            {
                ReleaseStatistics();
            }
            bool resumed = stage >= Resumed && stage != Final;
            var plan = _network.Graphs.Build(InputWidth, InputHeight, keepAlpha, grey, !IsStatistics(stage) || resumed ? _exactSize : null);
            var shape = new TensorShape(ImageToTensor.ChannelCount(plan.Input), InputHeight, InputWidth);
            var blocks = WholeImageStatistics.Blocks(plan.Graph);
            NetworkBinding binding;
            if (resumed)
            {
                if (!_passes.ContainsKey((keepAlpha, grey)))
                {
                    _passes[(keepAlpha, grey)] = WholeImageStatistics.Resumed(plan.Graph)
                        ?? throw new InvalidOperationException($"{Model.Info.Source}: its tiles cannot keep their values between passes.");
                }
                var pass = PassOf(keepAlpha, grey, stage)!;
                binding = _network.Network.Bind(pass.Graph, shape,
                    supplied: pass.Means.Select(k => blocks[k].Mean).Concat(pass.Restored).ToArray(), kept: pass.Saved);
            }
            else
            {
                var graph = stage is Whole or Final ? plan.Graph : WholeImageStatistics.UpTo(plan.Graph, stage);
                var supplied = stage == Whole ? Array.Empty<string>() : blocks.Take(stage).Select(b => b.Mean).ToArray();
                binding = _network.Network.Bind(graph, shape, supplied: supplied);
            }
            bound = (plan, binding);
            _graphs[(keepAlpha, grey, stage)] = bound;
        }
        return bound;
    }

    /// <summary>The image -> tensor dispatch into the graph's input and the tensor -> image one from its output.</summary>
    private (ComputeDispatch In, ComputeDispatch Out) BindEdges(ImageBinding input, ImageBinding output, bool keepAlpha, bool grey, int stage)
    {
        var (plan, binding) = _graphs[(keepAlpha, grey, stage)];
        var into = new ImageToTensor(_context, plan.Input).Bind(input, binding.Input);
        try
        {
            return (into, new TensorToImage(_context, plan.Output).Bind(binding.Output, output));
        }
        catch
        {
            into.Dispose();
            throw;
        }
    }
}
