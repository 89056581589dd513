using RealtimeUpscale.Imaging;
using RealtimeUpscale.Network;
using RealtimeUpscale.Runtime;
using RealtimeUpscale.Upscaling;

namespace RealtimeUpscale.Cli.Batch;

/// <summary>A transformed image; <c>Pixels</c> is null when the transform already wrote the file itself (streamed).</summary>
internal readonly record struct TransformedImage(byte[]? Pixels, int Width, int Height);

/// <summary>What the GPU stage of a batch does to each image. Runs on the one thread that owns the queue.</summary>
internal interface IImageTransform : IDisposable
{
    /// <summary>What runs, for the summary (the model file, or the filter).</summary>
    string Description { get; }

    /// <summary>Transforms one image; <paramref name="progress"/> takes the fraction done.</summary>
    TransformedImage Apply(HostImage image, BatchJob job, Action<double> progress);

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

    /// <exception cref="ArgumentException">The model's factor is not an integer of 2 or more.</exception>
    public ModelUpscaleTransform(GpuContext context, ModelDefinition model, UpscaleRequest request)
    {
        double s = model.Info.Scale;
        if (s < 2 || Math.Abs(s - Math.Round(s)) > 1e-9)
        {
            throw new ArgumentException($"{model.Info.Source}: upscaling needs a model with an integer factor of 2 or more, not {s}.");
        }
        _context = context;
        _model = model;
        _request = request;
        _tilers = new TilerCache(context);
    }

    public string Description => _model.Info.Source;

    public TransformedImage Apply(HostImage image, BatchJob job, Action<double> progress)
    {
        int w = image.Width, h = image.Height, channels = image.Channels;
        var format = channels switch { 1 => PixelFormat.Grey, 2 => PixelFormat.GreyAlpha, 3 => PixelFormat.Rgb, _ => PixelFormat.Rgba };
        var plan = OutputSizePlanner.Plan(w, h, channels, _model.Info.Scale, _request, job.Output);
        if (plan.Stream)
        {
            StreamPng(image, job, format, progress);
            return new TransformedImage(null, plan.Width, plan.Height);
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
        return new TransformedImage(pixels, w, h);
    }

    /// <summary>
    /// Upscales a large image band by band straight into its PNG file (written atomically), so the output is never
    /// held whole. An all-black result from a non-black input is an error, as elsewhere.
    /// </summary>
    private void StreamPng(HostImage image, BatchJob job, PixelFormat format, Action<double> progress)
    {
        var tiler = _tilers.Get(_model, _request.Tile);
        int ow = image.Width * tiler.Scale, oh = image.Height * tiler.Scale;
        bool anyInk = false;
        AtomicFile.Write(job.Output, _request.Overwrite, stream =>
        {
            using var png = new PngStreamWriter(stream, ow, oh, image.Channels);
            tiler.UpscaleBands(image.Pixels, image.Width, image.Height, format, (_, rows) =>
            {
                anyInk = anyInk || BlackOutputCheck.HasColour(rows, image.Channels);
                png.WriteRows(rows);
            }, progress);
            if (!anyInk && BlackOutputCheck.HasColour(image.Pixels, image.Channels))
            {
                throw BlackOutputCheck.Failure();
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

    public TransformedImage Apply(HostImage image, BatchJob job, Action<double> progress)
    {
        if (image.Width < _factor || image.Height < _factor)
        {
            throw new ArgumentException($"a {image.Width}x{image.Height} image is smaller than the factor {_factor}");
        }
        var pixels = Resampler.Downscale(_context, image.Pixels.ToArray(), image.Width, image.Height, image.Channels, _factor, _filter);
        return new TransformedImage(pixels, (image.Width + _factor - 1) / _factor, (image.Height + _factor - 1) / _factor);
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

/// <summary>The guard against black outputs: a GPU that produced nothing must not leave a black file behind.</summary>
internal static class BlackOutputCheck
{
    /// <summary>Whether any colour (or grey) byte is non-zero; alpha does not count (an all-black image with alpha is still black).</summary>
    public static bool HasColour(ReadOnlySpan<byte> pixels, int channels)
    {
        if (channels is 1 or 3)
        {
            return pixels.ContainsAnyExcept((byte)0);
        }
        for (int i = 0; i < pixels.Length; i++)
        {
            if (pixels[i] != 0 && i % channels != channels - 1)
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>The error of an all-black output from a non-black input.</summary>
    public static InvalidOperationException Failure() =>
        new("the GPU produced an all-black image from a non-black input; nothing was written");
}
