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

    public BatchPipeline(UpscaleRequest request, IImageTransform transform, BatchReporter reporter)
    {
        _request = request;
        _transform = transform;
        _reporter = reporter;
    }

    private sealed record Decoded(BatchJob Job, HostImage? Image, string? Error, double Seconds);

    /// <summary>A finished image for the writer stage; <c>Pixels</c> is null when the GPU stage already streamed the file.</summary>
    private sealed record Encoded(BatchJob Job, byte[]? Pixels, int Width, int Height, int Channels, int InWidth, int InHeight, string? Error, double GpuSeconds);

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
                if (error is null && item.Pixels is not null)
                {
                    try
                    {
                        OutputEncoder.Write(item.Job.Output, item.Pixels, item.Width, item.Height, item.Channels, _request);
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
            var image = ImageFile.Load(job.Input);
            string? problem = image.SourceBitsPerChannel > 8
                ? $"{image.SourceBitsPerChannel}-bit images are not upscaled at full depth yet; convert it to 8 bits first"
                : image.HasAlpha && !JobPlanner.KeepsAlpha(job.Output) && !_request.DropAlpha
                    ? $"it has alpha, which {Path.GetExtension(job.Output)} cannot store; choose --format png or tga, or pass --drop-alpha"
                    : null;
            return new Decoded(job, problem is null ? image : null, problem, sw.Elapsed.TotalSeconds);
        }
        catch (Exception e)
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
            return new Encoded(item.Job, null, 0, 0, 0, 0, 0, item.Error, 0);
        }
        var sw = Stopwatch.StartNew();
        string name = Path.GetFileName(item.Job.Input);
        var image = item.Image;
        try
        {
            var (pixels, w, h) = _transform.Apply(image, item.Job, f => display?.File(name, f));
            _transform.AfterImage();
            if (pixels is not null && !BlackOutputCheck.HasColour(pixels, image.Channels) && BlackOutputCheck.HasColour(image.Pixels, image.Channels))
            {
                throw BlackOutputCheck.Failure();
            }
            return new Encoded(item.Job, pixels, w, h, image.Channels, image.Width, image.Height, null, sw.Elapsed.TotalSeconds);
        }
        catch (Exception e) when (e is not GpuUnavailableException)
        {
            _transform.Reset(); // the next image starts from a clean state
            return new Encoded(item.Job, null, 0, 0, 0, image.Width, image.Height, e.Message, sw.Elapsed.TotalSeconds);
        }
    }
}
