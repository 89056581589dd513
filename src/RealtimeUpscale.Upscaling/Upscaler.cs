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
/// network sees R, G, B. Alpha is upscaled separately with bicubic interpolation and kept. Everything runs on
/// the GPU.
/// </summary>
/// <remarks>
/// Two entry points: <see cref="Upscale(ReadOnlySpan{byte}, PixelFormat)"/> (host memory in and out, a
/// blocking submission; for tools and tests) and <see cref="Record"/> (records into the caller's command
/// buffer, reading the caller's image and writing the caller's image, with no submission of its own; for
/// engines). The upscaler owns its network, tensors and dispatches; it never owns the caller's images.
/// </remarks>
public sealed class Upscaler : IDisposable
{
    private readonly GpuContext _context;
    private readonly Network.Network _network;
    private readonly NetworkBinding _binding;
    private readonly List<GpuLayer> _layers = new();
    private readonly List<GpuTensor> _tensors = new();
    private readonly List<ComputeDispatch> _inner = new();
    private readonly Dictionary<(ulong, ulong, bool, bool), (ComputeDispatch[] Before, ComputeDispatch[] After)> _edges = new();
    // Luma models: _ycc (input YCbCr) -> Y into the network, CbCr -> _chroma -> bicubic -> _chromaUp;
    // network output + _chromaUp -> _yccUp (+ _alphaUp -> _yccaUp). RGB models and grey images:
    // network output (+ _alphaUp -> _withAlpha).
    private readonly GpuTensor? _ycc, _chroma, _chromaUp, _yccUp, _yccaUp;
    private readonly GpuTensor _alpha, _alphaUp, _withAlpha;
    private readonly ComputeDispatch? _takeY, _takeChroma, _upChroma, _joinYcc, _joinYcca;
    private readonly ComputeDispatch _upAlpha, _joinAlpha;
    private GpuTimer? _timer;
    private bool _disposed;

    /// <summary>
    /// Prepares the model for inputs of <paramref name="inputWidth"/> x <paramref name="inputHeight"/>: builds the
    /// layers and allocates every tensor once.
    /// </summary>
    public Upscaler(GpuContext context, ModelDefinition model, int inputWidth, int inputHeight)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(model);
        if (model.Info.ColorSpace == ColorSpace.Rgb && model.Info.InputChannels != 3)
        {
            throw new ArgumentException($"{model.Info.Source}: an RGB upscaler needs a model with 3 input channels, not {model.Info.InputChannels}.");
        }
        _context = context;
        Model = model;
        InputWidth = inputWidth;
        InputHeight = inputHeight;
        int c = model.Info.InputChannels;
        var outShape = model.OutputShape(new TensorShape(c, inputHeight, inputWidth));
        if (outShape.Channels != c)
        {
            throw new ArgumentException($"{model.Info.Source}: the model maps {c} channels to {outShape.Channels}; an upscaler needs the same count.");
        }
        OutputWidth = outShape.Width;
        OutputHeight = outShape.Height;
        _network = new Network.Network(context, model);
        try
        {
            _binding = _network.Bind(new TensorShape(c, inputHeight, inputWidth));
            var inShape1 = new TensorShape(1, inputHeight, inputWidth);
            var out1 = new TensorShape(1, OutputHeight, OutputWidth);
            var bicubic = new UpsampleSpec { Mode = UpsampleMode.Bicubic, OutputHeight = OutputHeight, OutputWidth = OutputWidth };
            _alpha = Tensor(inShape1);
            _alphaUp = Tensor(out1);
            _withAlpha = Tensor(new TensorShape(c + 1, OutputHeight, OutputWidth));
            var up = Layer(bicubic, "bicubic");
            var concat = Layer(new ConcatSpec(), "join");
            if (model.Info.ColorSpace == ColorSpace.Y)
            {
                _ycc = Tensor(new TensorShape(3, inputHeight, inputWidth));
                _chroma = Tensor(new TensorShape(2, inputHeight, inputWidth));
                _chromaUp = Tensor(new TensorShape(2, OutputHeight, OutputWidth));
                _yccUp = Tensor(new TensorShape(3, OutputHeight, OutputWidth));
                _yccaUp = Tensor(new TensorShape(4, OutputHeight, OutputWidth));
                _takeY = Inner(Layer(new CropSpec(0, 0, 0, 0, 0, 1), "take Y").Bind(_ycc, _binding.Input));
                _takeChroma = Inner(Layer(new CropSpec(0, 0, 0, 0, 1, 2), "take CbCr").Bind(_ycc, _chroma));
                _upChroma = Inner(up.Bind(_chroma, _chromaUp));
                _joinYcc = Inner(concat.Bind(new[] { _binding.Output, _chromaUp }, _yccUp));
                _joinYcca = Inner(concat.Bind(new[] { _yccUp, _alphaUp }, _yccaUp));
            }
            _upAlpha = Inner(up.Bind(_alpha, _alphaUp));
            _joinAlpha = Inner(concat.Bind(new[] { _binding.Output, _alphaUp }, _withAlpha));
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
        var key = (input.View.Handle, output.View.Handle, keepAlpha, grey);
        if (!_edges.TryGetValue(key, out var edges))
        {
            edges = BindEdges(input, output, keepAlpha, grey);
            _edges[key] = edges;
        }
        _timer = timer;
        if (timer is not null)
        {
            recorder.BeginTiming(timer);
        }
        // The upscaler's tensors are reused every frame: order this frame's work after any earlier recording
        // (another frame in flight on the same queue may still be reading them).
        recorder.Barrier();
        bool luma = Model.Info.ColorSpace == ColorSpace.Y;
        foreach (var d in edges.Before)
        {
            recorder.Dispatch(d);
        }
        if (luma && !grey)
        {
            recorder.Dispatch(_takeY!);
            recorder.Dispatch(_takeChroma!);
            recorder.Dispatch(_upChroma!);
        }
        if (keepAlpha)
        {
            recorder.Dispatch(_upAlpha);
        }
        _binding.Record(recorder);
        if (luma && !grey)
        {
            recorder.Dispatch(_joinYcc!);
            if (keepAlpha)
            {
                recorder.Dispatch(_joinYcca!);
            }
        }
        else if (keepAlpha)
        {
            recorder.Dispatch(_joinAlpha);
        }
        foreach (var d in edges.After)
        {
            recorder.Dispatch(d);
        }
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
        foreach (var (before, after) in _edges.Values)
        {
            foreach (var d in before.Concat(after))
            {
                d.Dispose();
            }
        }
        _edges.Clear();
    }

    /// <summary>Reads the timings of a recording made with a timer, after it completed.</summary>
    public IReadOnlyList<PassTiming> ReadTimings(GpuTimer timer)
    {
        LastTimings = timer.Read();
        return LastTimings;
    }

    /// <summary>
    /// Upscales interleaved 8-bit pixels (rows top to bottom, no padding) and returns the output in the same
    /// format. Blocking: uploads, runs and downloads.
    /// </summary>
    public byte[] Upscale(ReadOnlySpan<byte> pixels, PixelFormat format)
    {
        var rgba = ToRgba(pixels, format, (byte)255);
        var result = RunHost(rgba, Format.R8G8B8A8Unorm, format);
        return FromRgba<byte>(result, format);
    }

    /// <summary>Upscales interleaved float pixels in [0, 1]; the output is not clamped.</summary>
    public float[] Upscale(ReadOnlySpan<float> pixels, PixelFormat format)
    {
        var rgba = ToRgba(pixels, format, 1f);
        var result = RunHost(MemoryMarshal.AsBytes(rgba.AsSpan()).ToArray(), Format.R32G32B32A32Sfloat, format);
        return FromRgba(MemoryMarshal.Cast<byte, float>(result), format);
    }

    /// <summary>Expands interleaved pixels of <paramref name="format"/> to RGBA (grey to r = g = b, alpha <paramref name="opaque"/> when absent).</summary>
    private T[] ToRgba<T>(ReadOnlySpan<T> pixels, PixelFormat format, T opaque) where T : unmanaged
    {
        int channels = Channels(format);
        int n = InputWidth * InputHeight;
        if (pixels.Length != n * channels)
        {
            throw new ArgumentException($"{InputWidth}x{InputHeight} {format} pixels are {n * channels} values, got {pixels.Length}.");
        }
        var rgba = new T[n * 4];
        for (int i = 0; i < n; i++)
        {
            for (int k = 0; k < 4; k++)
            {
                rgba[i * 4 + k] = format switch
                {
                    PixelFormat.Grey => k < 3 ? pixels[i] : opaque,
                    PixelFormat.GreyAlpha => k < 3 ? pixels[i * 2] : pixels[i * 2 + 1],
                    PixelFormat.Rgb => k < 3 ? pixels[i * 3 + k] : opaque,
                    _ => pixels[i * 4 + k],
                };
            }
        }
        return rgba;
    }

    /// <summary>Picks the channels of <paramref name="format"/> out of RGBA output texels.</summary>
    private T[] FromRgba<T>(ReadOnlySpan<T> rgba, PixelFormat format) where T : unmanaged
    {
        int channels = Channels(format);
        int n = OutputWidth * OutputHeight;
        var output = new T[n * channels];
        for (int i = 0; i < n; i++)
        {
            for (int k = 0; k < channels; k++)
            {
                int source = format switch
                {
                    PixelFormat.Grey => 0,
                    PixelFormat.GreyAlpha => k == 0 ? 0 : 3,
                    _ => k,
                };
                output[i * channels + k] = rgba[i * 4 + source];
            }
        }
        return output;
    }

    /// <summary>Releases the network, tensors and dispatches.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }
        _disposed = true;
        ClearBindings();
        _inner.ForEach(d => d.Dispose());
        _tensors.ForEach(t => t.Dispose());
        _layers.ForEach(l => l.Dispose());
        _binding?.Dispose();
        _network.Dispose();
    }

    private static int Channels(PixelFormat format) => format switch
    {
        PixelFormat.Grey => 1,
        PixelFormat.GreyAlpha => 2,
        PixelFormat.Rgb => 3,
        _ => 4,
    };

    private byte[] RunHost(byte[] texels, Format format, PixelFormat pixels)
    {
        bool alpha = pixels is PixelFormat.Rgba or PixelFormat.GreyAlpha;
        bool grey = pixels is PixelFormat.Grey or PixelFormat.GreyAlpha;
        using var input = new GpuImage(_context, InputWidth, InputHeight, format);
        using var output = new GpuImage(_context, OutputWidth, OutputHeight, format);
        input.Upload(texels);
        using var timer = _context.TimestampValidBits > 0 ? new GpuTimer(_context, Model.Nodes.Count + 16) : null;
        try
        {
            _context.Execute(r => Record(r, input.Binding, output.Binding, alpha, grey, timer));
            if (timer is not null)
            {
                ReadTimings(timer);
            }
            return output.Download();
        }
        finally
        {
            // The images die with this call, so their cached dispatches go too.
            var key = (input.View.Handle, output.View.Handle, alpha, grey);
            if (_edges.Remove(key, out var edges))
            {
                foreach (var d in edges.Before.Concat(edges.After))
                {
                    d.Dispose();
                }
            }
        }
    }

    private (ComputeDispatch[] Before, ComputeDispatch[] After) BindEdges(ImageBinding input, ImageBinding output, bool keepAlpha, bool grey)
    {
        bool luma = Model.Info.ColorSpace == ColorSpace.Y;
        var before = new List<ComputeDispatch>();
        var after = new List<ComputeDispatch>();
        try
        {
            if (luma && !grey)
            {
                before.Add(new ImageToTensor(_context, ChannelLayout.YCbCr).Bind(input, _ycc!));
            }
            else if (luma)
            {
                before.Add(new ImageToTensor(_context, ChannelLayout.Grey).Bind(input, _binding.Input));
            }
            else
            {
                before.Add(new ImageToTensor(_context, ChannelLayout.Rgb).Bind(input, _binding.Input));
            }
            if (keepAlpha)
            {
                before.Add(new ImageToTensor(_context, ChannelLayout.Alpha).Bind(input, _alpha));
            }
            (ChannelLayout layout, GpuTensor source) = (luma, grey, keepAlpha) switch
            {
                (true, false, true) => (ChannelLayout.YCbCrAlpha, _yccaUp!),
                (true, false, false) => (ChannelLayout.YCbCr, _yccUp!),
                (true, true, true) => (ChannelLayout.GreyAlpha, _withAlpha),
                (true, true, false) => (ChannelLayout.Grey, _binding.Output),
                (false, _, true) => (ChannelLayout.Rgba, _withAlpha),
                _ => (ChannelLayout.Rgb, _binding.Output),
            };
            after.Add(new TensorToImage(_context, layout).Bind(source, output));
        }
        catch
        {
            before.Concat(after).ToList().ForEach(d => d.Dispose());
            throw;
        }
        return (before.ToArray(), after.ToArray());
    }

    private GpuTensor Tensor(TensorShape shape)
    {
        var t = new GpuTensor(_context, shape);
        _tensors.Add(t);
        return t;
    }

    private GpuLayer Layer(LayerSpec spec, string name)
    {
        var l = GpuLayer.Create(_context, spec, name);
        _layers.Add(l);
        return l;
    }

    private ComputeDispatch Inner(ComputeDispatch d)
    {
        _inner.Add(d);
        return d;
    }
}
