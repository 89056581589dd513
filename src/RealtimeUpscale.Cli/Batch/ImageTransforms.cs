using RealtimeUpscale.Imaging;
using RealtimeUpscale.Network;
using RealtimeUpscale.Runtime;
using RealtimeUpscale.Upscaling;

namespace RealtimeUpscale.Cli.Batch;

/// <summary>
/// A transformed image; <c>Image</c> is null when the transform already wrote the file itself (streamed).
/// <c>Warnings</c> are what the user should know (non-finite network output).
/// </summary>
internal readonly record struct TransformedImage(HostImage? Image, int Width, int Height, IReadOnlyList<string> Warnings);

/// <summary>What the GPU stage of a batch does to each image. Runs on the one thread that owns the queue.</summary>
internal interface IImageTransform : IDisposable
{
    /// <summary>What runs, for the summary (the model file, or the filter).</summary>
    string Description { get; }

    /// <summary>Transforms one image; <paramref name="progress"/> takes the fraction done.</summary>
    TransformedImage Apply(DecodedImage source, BatchJob job, Action<double> progress);

    /// <summary>After an image succeeded: frees what the next image will not reuse.</summary>
    void AfterImage();

    /// <summary>After an image failed: drops the GPU state, so the next image starts from a clean one.</summary>
    void Reset();
}

/// <summary>
/// Upscaling with a model: as many passes as the output size needs (<see cref="OutputSizePlanner"/>), in tiles,
/// then a resample to the exact size; outputs too large to hold are streamed into their PNG file band by band.
/// </summary>
internal sealed class ModelUpscaleTransform : IImageTransform
{
    private readonly GpuContext _context;
    private readonly ModelDefinition _model;
    private readonly UpscaleRequest _request;
    private readonly TilerCache _tilers;
    private readonly IReadOnlySet<(ulong, ulong)> _inputs;

    /// <summary>Upscales with <paramref name="model"/>; streamed outputs are checked against the identities of <paramref name="inputs"/>.</summary>
    /// <exception cref="ArgumentException">The model's factor is not an integer of 2 or more.</exception>
    public ModelUpscaleTransform(GpuContext context, ModelDefinition model, UpscaleRequest request, IReadOnlySet<(ulong, ulong)> inputs)
    {
        double s = model.Info.Scale;
        if (s < 2 || Math.Abs(s - Math.Round(s)) > 1e-9)
        {
            throw new ArgumentException($"{model.Info.Source}: upscaling needs a model with an integer factor of 2 or more, not {s}.");
        }
        _context = context;
        _model = model;
        _request = request;
        _inputs = inputs;
        var tuning = KernelTuning.ForDevice(context.Traits) with { Precision = request.Precision, HalfArithmetic = request.HalfArithmetic };
        tuning = tuning with { Winograd = request.Winograd ?? tuning.Winograd };
        Program.CheckPrecision(tuning, context);
        _tilers = new TilerCache(context, tuning);
    }

    public string Description => _model.Info.Source;

    public TransformedImage Apply(DecodedImage source, BatchJob job, Action<double> progress)
    {
        var image = source.Image;
        int w = image.Width, h = image.Height, channels = image.Channels;
        var format = channels switch { 1 => PixelFormat.Grey, 2 => PixelFormat.GreyAlpha, 3 => PixelFormat.Rgb, _ => PixelFormat.Rgba };
        var plan = OutputSizePlanner.Plan(w, h, channels, image.BitsPerChannel / 8, _model.Info.Scale, _request, job.Output);
        if (plan.Stream)
        {
            StreamPng(source, job, format, progress);
            return new TransformedImage(null, plan.Width, plan.Height, Array.Empty<string>());
        }
        if (image.BitsPerChannel == 16)
        {
            return Sixteen(image, format, plan, progress);
        }
        var pixels = image.Pixels.ToArray();
        for (int p = 0; p < plan.Passes; p++)
        {
            var tiler = _tilers.Get(_model, _request.Tile);
            int pass = p;
            pixels = tiler.Upscale(pixels, w, h, format, f => progress((pass + f) / plan.Passes));
            w *= tiler.Scale;
            h *= tiler.Scale;
        }
        if (w != plan.Width || h != plan.Height)
        {
            pixels = Resampler.Resize(_context, pixels, w, h, channels, plan.Width, plan.Height);
            (w, h) = (plan.Width, plan.Height);
        }
        return new TransformedImage(HostImage.Own8(w, h, channels, pixels), w, h, Array.Empty<string>());
    }

    /// <summary>
    /// A 16-bit image: float32 from the file's samples to the output's (the upscaler's float path), then rounded to
    /// 16 bits. Non-finite network output is written as 0 and reported, naming the model.
    /// </summary>
    private TransformedImage Sixteen(HostImage image, PixelFormat format, UpscalePlan plan, Action<double> progress)
    {
        int w = image.Width, h = image.Height, channels = image.Channels;
        var samples = image.ToFloats();
        for (int p = 0; p < plan.Passes; p++)
        {
            var tiler = _tilers.Get(_model, _request.Tile);
            int pass = p;
            samples = tiler.Upscale(samples, w, h, format, f => progress((pass + f) / plan.Passes));
            w *= tiler.Scale;
            h *= tiler.Scale;
        }
        if (w != plan.Width || h != plan.Height)
        {
            samples = Resampler.Resize(_context, samples, w, h, channels, plan.Width, plan.Height);
            (w, h) = (plan.Width, plan.Height);
        }
        var output = new ushort[samples.Length];
        long nonFinite = 0;
        for (long i = 0; i < output.LongLength; i++)
        {
            float v = samples[i];
            if (!float.IsFinite(v))
            {
                nonFinite++;
                v = 0;
            }
            output[i] = (ushort)Math.Clamp(MathF.Round(v * 65535f), 0f, 65535f);
        }
        var warnings = nonFinite == 0 ? Array.Empty<string>()
            : new[] { $"{_model.Info.Source}: the network produced {nonFinite} non-finite values (NaN or infinity), written as 0" };
        return new TransformedImage(HostImage.Own16(w, h, channels, output), w, h, warnings);
    }

    /// <summary>
    /// Upscales a large image band by band straight into its PNG file (written atomically), so the output is never
    /// held whole. An all-black result from a non-black input is an error, as elsewhere.
    /// </summary>
    private void StreamPng(DecodedImage source, BatchJob job, PixelFormat format, Action<double> progress)
    {
        var image = source.Image;
        var tiler = _tilers.Get(_model, _request.Tile);
        int ow = image.Width * tiler.Scale, oh = image.Height * tiler.Scale;
        bool anyInk = false;
        OutputEncoder.CheckNotAnInput(job.Output, _inputs);
        AtomicFile.Write(job.Output, _request.Overwrite, stream =>
        {
            using var png = new PngStreamWriter(stream, ow, oh, image.Channels, metadata: source.Metadata);
            tiler.UpscaleBands(image.Pixels, image.Width, image.Height, format, (_, rows) =>
            {
                anyInk = anyInk || OutputCheck.HasColourOtherThan(rows, image.Channels, (byte)0);
                png.WriteRows(rows);
            }, progress);
            if (!anyInk && !OutputCheck.AllColourAt(image, 0))
            {
                throw OutputCheck.BlackFailure();
            }
            png.Finish();
        });
    }

    public void AfterImage() => _tilers.ReleaseUnused();

    public void Reset() => _tilers.Release();

    public void Dispose() => _tilers.Dispose();
}

/// <summary>Shrinking by an integer factor with BlurPool (binomial filter 1..7, 1 being the naive strided subsample).</summary>
internal sealed class BlurPoolDownscaleTransform : IImageTransform
{
    private readonly GpuContext _context;
    private readonly int _factor;
    private readonly int _filter;

    /// <exception cref="ArgumentException">The factor is under 2 or the filter not 1 to 7.</exception>
    public BlurPoolDownscaleTransform(GpuContext context, int factor, int filter)
    {
        if (factor < 2 || filter is < 1 or > 7)
        {
            throw new ArgumentException($"--factor must be 2 or more and --filter 1 to 7 (or naive), got {factor} and {filter}.");
        }
        _context = context;
        _factor = factor;
        _filter = filter;
    }

    public string Description => $"blur-pool /{_factor}, filter {_filter}";

    public TransformedImage Apply(DecodedImage source, BatchJob job, Action<double> progress)
    {
        var image = source.Image;
        if (image.Width < _factor || image.Height < _factor)
        {
            throw new ArgumentException($"a {image.Width}x{image.Height} image is smaller than the factor {_factor}");
        }
        int w = (image.Width + _factor - 1) / _factor, h = (image.Height + _factor - 1) / _factor;
        if (image.BitsPerChannel == 16)
        {
            var samples = Resampler.Downscale(_context, image.ToFloats(), image.Width, image.Height, image.Channels, _factor, _filter);
            var deep = new ushort[samples.Length];
            for (long i = 0; i < deep.LongLength; i++)
            {
                deep[i] = (ushort)Math.Clamp(MathF.Round(samples[i] * 65535f), 0f, 65535f);
            }
            return new TransformedImage(HostImage.Own16(w, h, image.Channels, deep), w, h, Array.Empty<string>());
        }
        var pixels = Resampler.Downscale(_context, image.Pixels.ToArray(), image.Width, image.Height, image.Channels, _factor, _filter);
        return new TransformedImage(HostImage.Own8(w, h, image.Channels, pixels), w, h, Array.Empty<string>());
    }

    public void AfterImage()
    {
    }

    public void Reset()
    {
    }

    public void Dispose()
    {
    }
}

/// <summary>
/// The checks of a finished image: all-black output from a non-black input is an error (a GPU that produced nothing
/// must not leave a black file behind); all-white output from a non-white input is reported as a warning.
/// </summary>
internal static class OutputCheck
{
    /// <summary>
    /// Whether every colour (or grey) sample equals <paramref name="level"/> (0, or -1 for the largest value of the
    /// image's depth); alpha does not count.
    /// </summary>
    public static bool AllColourAt(HostImage image, int level)
    {
        if (image.BitsPerChannel == 16)
        {
            ushort v = level < 0 ? ushort.MaxValue : (ushort)level;
            return !HasColourOtherThan(image.Samples16, image.Channels, v);
        }
        byte b = level < 0 ? byte.MaxValue : (byte)level;
        return !HasColourOtherThan(image.Pixels, image.Channels, b);
    }

    /// <summary>Whether any colour (or grey) sample differs from <paramref name="level"/>; alpha does not count.</summary>
    public static bool HasColourOtherThan<T>(ReadOnlySpan<T> samples, int channels, T level) where T : unmanaged, IEquatable<T>
    {
        if (channels is 1 or 3)
        {
            return samples.ContainsAnyExcept(level);
        }
        for (int i = 0; i < samples.Length; i++)
        {
            if (!samples[i].Equals(level) && i % channels != channels - 1)
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>The error of an all-black output from a non-black input.</summary>
    public static InvalidOperationException BlackFailure() =>
        new("the GPU produced an all-black image from a non-black input; nothing was written");
}
