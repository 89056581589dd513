using System.Diagnostics;
using System.Threading.Channels;
using RealtimeUpscale.Imaging;
using RealtimeUpscale.Runtime;

namespace RealtimeUpscale.Cli.Batch;

/// <summary>
/// The three overlapping stages of a batch, joined by bounded channels (two images in each): a reader task decodes
/// files, the calling thread (the one that owns the GPU queue) transforms them, a writer task encodes and writes
/// them; a batch runs at the speed of its slowest stage. A file that fails at any stage is reported with its reason
/// and the batch goes on.
/// </summary>
internal sealed class BatchPipeline
{
    private readonly UpscaleRequest _request;
    private readonly IImageTransform _transform;
    private readonly BatchReporter _reporter;
    private readonly IReadOnlySet<(ulong, ulong)> _inputs;

    /// <summary>A pipeline whose outputs are checked, just before each is written, against the identities of <paramref name="inputs"/>.</summary>
    public BatchPipeline(UpscaleRequest request, IImageTransform transform, BatchReporter reporter, IReadOnlySet<(ulong, ulong)> inputs)
    {
        _request = request;
        _transform = transform;
        _reporter = reporter;
        _inputs = inputs;
    }

    private sealed record Decoded(BatchJob Job, DecodedImage? Image, string? Error, double Seconds);

    /// <summary>A finished image for the writer stage; <c>Image</c> is null when the GPU stage already streamed the file.</summary>
    private sealed record Encoded(BatchJob Job, HostImage? Image, CarriedMetadata Metadata, int Width, int Height, int InWidth, int InHeight,
        string? Error, double GpuSeconds);

    /// <summary>Runs <paramref name="jobs"/>; <paramref name="progress"/> (null for none) sees the GPU stage's progress.</summary>
    public BatchStats Run(IReadOnlyList<BatchJob> jobs, Stopwatch clock, Action<Action<IBatchProgress?>> progress)
    {
        double load = 0, gpu = 0, save = 0;
        int ok = 0, failed = 0;
        var decoded = Channel.CreateBounded<Decoded>(2);
        var encoded = Channel.CreateBounded<Encoded>(2);
        var reader = Task.Run(async () =>
        {
            try
            {
                foreach (var job in jobs)
                {
                    await decoded.Writer.WriteAsync(Decode(job));
                }
            }
            finally
            {
                decoded.Writer.Complete();
            }
        });
        var writer = Task.Run(async () =>
        {
            await foreach (var item in encoded.Reader.ReadAllAsync())
            {
                var sw = Stopwatch.StartNew();
                string? error = item.Error;
                if (error is null && item.Image is not null)
                {
                    try
                    {
                        OutputEncoder.Write(item.Job.Output, item.Image, item.Metadata, _request, _inputs);
                    }
                    catch (Exception e)
                    {
                        error = e.Message;
                    }
                }
                save += sw.Elapsed.TotalSeconds;
                if (error is null)
                {
                    ok++;
                    _reporter.Succeeded(item.Job, item.InWidth, item.InHeight, item.Width, item.Height, item.GpuSeconds);
                }
                else
                {
                    failed++;
                    _reporter.Failed(item.Job, error, item.InWidth, item.InHeight, item.GpuSeconds);
                }
            }
        });

        try
        {
            progress(display =>
            {
                int index = 0;
                foreach (var item in decoded.Reader.ReadAllAsync().ToBlockingEnumerable())
                {
                    load += item.Seconds;
                    var result = Transform(item, display);
                    gpu += result.GpuSeconds;
                    encoded.Writer.WriteAsync(result).AsTask().Wait();
                    display?.Finished(++index);
                }
            });
        }
        finally
        {
            try
            {
                _transform.Reset();
            }
            finally
            {
                encoded.Writer.Complete();
            }
        }
        reader.Wait();
        writer.Wait();
        return new BatchStats(ok, failed, clock.Elapsed.TotalSeconds, load, gpu, save);
    }

    /// <summary>The reader stage's work on one file: decoded, or the reason it cannot be processed.</summary>
    private Decoded Decode(BatchJob job)
    {
        var sw = Stopwatch.StartNew();
        try
        {
            var decoded = ImageFile.Read(job.Input, new ImageReadOptions { MaxPixels = _request.MaxPixels });
            foreach (var warning in decoded.Warnings)
            {
                _reporter.Warning(job, warning);
            }
            var image = decoded.Image;
            string ext = Path.GetExtension(job.Output).TrimStart('.');
            if (image.HasAlpha && !JobPlanner.KeepsAlpha(job.Output) && !_request.DropAlpha)
            {
                return new Decoded(job, null, $"it has alpha, which .{ext} cannot store here; choose --format png, tga or webp, or pass --drop-alpha",
                    sw.Elapsed.TotalSeconds);
            }
            if (image.BitsPerChannel == 16 && !ImageFileWriter.KeepsSixteenBits(ext))
            {
                _reporter.Warning(job, $"16-bit samples are written as 8 bits (.{ext} holds 8; choose --format png to keep 16)");
            }
            return new Decoded(job, decoded, null, sw.Elapsed.TotalSeconds);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // Any failure to read one file (including running out of memory on a huge one) fails that file only.
            return new Decoded(job, null, e.Message, sw.Elapsed.TotalSeconds);
        }
    }

    /// <summary>The GPU stage's work on one file. Only a lost GPU stops the batch; any other failure fails the file.</summary>
    private Encoded Transform(Decoded item, IBatchProgress? display)
    {
        if (item.Image is null)
        {
            return new Encoded(item.Job, null, CarriedMetadata.Empty, 0, 0, 0, 0, item.Error, 0);
        }
        var sw = Stopwatch.StartNew();
        string name = Path.GetFileName(item.Job.Input);
        var image = item.Image.Image;
        try
        {
            var result = _transform.Apply(item.Image, item.Job, f => display?.File(name, f));
            _transform.AfterImage();
            if (result.Image is { } output)
            {
                if (OutputCheck.AllColourAt(output, 0) && !OutputCheck.AllColourAt(image, 0))
                {
                    throw OutputCheck.BlackFailure();
                }
                if (OutputCheck.AllColourAt(output, -1) && !OutputCheck.AllColourAt(image, -1))
                {
                    _reporter.Warning(item.Job, $"{_transform.Description}: every output pixel is saturated (white) although the input is not; the model may be wrong for this image");
                }
            }
            foreach (var warning in result.Warnings)
            {
                _reporter.Warning(item.Job, warning);
            }
            return new Encoded(item.Job, result.Image, item.Image.Metadata, result.Width, result.Height, image.Width, image.Height, null, sw.Elapsed.TotalSeconds);
        }
        catch (Exception e) when (e is not GpuUnavailableException)
        {
            _transform.Reset(); // the next image starts from a clean state
            return new Encoded(item.Job, null, CarriedMetadata.Empty, 0, 0, image.Width, image.Height, e.Message, sw.Elapsed.TotalSeconds);
        }
    }
}
