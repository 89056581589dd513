using System.Diagnostics;
using RealtimeUpscale.Cli.Batch;
using RealtimeUpscale.Runtime;

namespace RealtimeUpscale.Cli;

/// <summary>
/// Upscales (or shrinks) files and folders: plans the jobs (<see cref="JobPlanner"/>), runs them through the three
/// overlapping stages of <see cref="BatchPipeline"/> and reports each file and the batch (<see cref="BatchReporter"/>).
/// A file that fails is reported with its reason and the batch goes on; outputs are written atomically
/// (<see cref="Imaging.AtomicFile"/>), so an interrupted run leaves no partial file; inputs are never
/// overwritten, existing outputs only when asked.
/// </summary>
public sealed class BatchUpscaler
{
    private readonly GpuContext _context;
    private readonly TextWriter _out;
    private readonly TextWriter _err;

    /// <summary>Runs on <paramref name="context"/>, reporting to the given writers.</summary>
    public BatchUpscaler(GpuContext context, TextWriter output, TextWriter error)
    {
        _context = context;
        _out = output;
        _err = error;
    }

    /// <summary>Runs the request; returns the process exit code (0 only when every file succeeded).</summary>
    public int Run(UpscaleRequest request)
    {
        var model = ModelCatalog.Load(request.Model);
        using var transform = new ModelUpscaleTransform(_context, model, request);
        return Process(request, transform);
    }

    /// <summary>
    /// Shrinks the request's images by an integer <paramref name="factor"/> with BlurPool (binomial filter
    /// <paramref name="filter"/>, 1 being the naive strided subsample); same staging, safety and reporting.
    /// </summary>
    public int Downscale(UpscaleRequest request, int factor, int filter)
    {
        using var transform = new BlurPoolDownscaleTransform(_context, factor, filter);
        return Process(request, transform);
    }

    private int Process(UpscaleRequest request, IImageTransform transform)
    {
        var plan = JobPlanner.Plan(request);
        var reporter = new BatchReporter(_out, _err, request.Json);
        foreach (var (path, reason) in plan.Refused)
        {
            reporter.Failed(new BatchJob(path, ""), reason);
        }
        var clock = Stopwatch.StartNew();
        bool live = ProgressDisplay.IsLive(_out, request.Json);
        reporter.Live = live;
        var stats = new BatchPipeline(request, transform, reporter).Run(plan.Jobs, clock, gpuStage =>
        {
            if (live)
            {
                ProgressDisplay.Run(plan.Jobs.Count, clock, gpuStage);
            }
            else
            {
                gpuStage(null);
            }
        });
        stats = stats with { Failed = stats.Failed + plan.Refused.Count };
        reporter.Summary(stats, _context.DeviceName, transform.Description);
        return stats.Failed == 0 ? 0 : CliErrors.Failed;
    }
}
