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

    /// <summary>
    /// Runs the request (checked and planned first, when no plan is given); returns the process exit code (0 only
    /// when every file succeeded; skipped entries are not failures).
    /// </summary>
    public int Run(UpscaleRequest request) => Run(request, Prepare(request), ModelCatalog.Load(request.Model));

    /// <summary>Runs a request already checked and planned (<see cref="Prepare"/>) with a loaded model.</summary>
    internal int Run(UpscaleRequest request, JobPlan plan, Network.ModelDefinition model)
    {
        using var transform = new ModelUpscaleTransform(_context, model, request, plan.Inputs);
        return Process(request, plan, transform);
    }

    /// <summary>
    /// Shrinks the request's images by an integer <paramref name="factor"/> with BlurPool (binomial filter
    /// <paramref name="filter"/>, 1 being the naive strided subsample); same staging, safety and reporting.
    /// </summary>
    public int Downscale(UpscaleRequest request, int factor, int filter) => Downscale(request, factor, filter, Prepare(request));

    /// <summary>As <see cref="Downscale(UpscaleRequest, int, int)"/> for a request already checked and planned.</summary>
    internal int Downscale(UpscaleRequest request, int factor, int filter, JobPlan plan)
    {
        using var transform = new BlurPoolDownscaleTransform(_context, factor, filter);
        return Process(request, plan, transform);
    }

    /// <summary>Checks the request's options and plans its jobs: everything that needs no GPU.</summary>
    /// <exception cref="ArgumentException">An option is out of range or conflicts with another.</exception>
    internal static JobPlan Prepare(UpscaleRequest request)
    {
        request.Validate();
        return JobPlanner.Plan(request);
    }

    /// <summary>
    /// Reports a plan with no job to run (every input refused or skipped) without any GPU work; returns the exit code.
    /// </summary>
    internal static int ReportOnly(UpscaleRequest request, JobPlan plan, TextWriter output, TextWriter error)
    {
        var reporter = Announce(request, plan, output, error);
        reporter.Summary(new BatchStats(0, plan.Refused.Count, 0, 0, 0, 0), "no device (nothing to process)", "none");
        return plan.Refused.Count == 0 ? 0 : CliErrors.Failed;
    }

    private static BatchReporter Announce(UpscaleRequest request, JobPlan plan, TextWriter output, TextWriter error)
    {
        var reporter = new BatchReporter(output, error, request.Json);
        foreach (var (path, reason) in plan.Skipped)
        {
            reporter.Skipped(path, reason);
        }
        foreach (var (path, reason) in plan.Refused)
        {
            reporter.Failed(new BatchJob(path, ""), reason);
        }
        return reporter;
    }

    private int Process(UpscaleRequest request, JobPlan plan, IImageTransform transform)
    {
        var reporter = Announce(request, plan, _out, _err);
        var clock = Stopwatch.StartNew();
        bool live = ProgressDisplay.IsLive(_out, request.Json);
        reporter.Live = live;
        var stats = new BatchPipeline(request, transform, reporter, plan.Inputs).Run(plan.Jobs, clock, gpuStage =>
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
