using System.Text.Json;

namespace RealtimeUpscale.Cli.Batch;

/// <summary>What a batch did, stage by stage (the stages overlap, so their seconds add up to more than the wall time).</summary>
internal sealed record BatchStats(int Ok, int Failed, double Seconds, double LoadSeconds, double GpuSeconds, double SaveSeconds);

/// <summary>
/// Reports a batch: one line per file (JSON with <c>--json</c>; in a live terminal display only the errors, which
/// interrupt it) and the summary with the time of each stage.
/// </summary>
internal sealed class BatchReporter
{
    private readonly TextWriter _out;
    private readonly TextWriter _err;
    private readonly bool _json;

    public BatchReporter(TextWriter output, TextWriter error, bool json)
    {
        _out = output;
        _err = error;
        _json = json;
    }

    /// <summary>Set while a live progress display shows the files: only errors are printed.</summary>
    public bool Live { get; set; }

    /// <summary>Reports a file that succeeded.</summary>
    public void Succeeded(BatchJob job, int inW, int inH, int outW, int outH, double gpuSeconds) =>
        File(job, "ok", null, inW, inH, outW, outH, gpuSeconds);

    /// <summary>Reports an entry left alone, with the reason (not a failure).</summary>
    public void Skipped(string path, string reason)
    {
        lock (_out)
        {
            if (_json)
            {
                _out.WriteLine(JsonSerializer.Serialize(new { input = path, status = "skipped", reason }));
            }
            else
            {
                _out.WriteLine($"skip   {path}: {reason}");
            }
        }
    }

    /// <summary>Reports what the user should know about a file that is still processed (on standard error).</summary>
    public void Warning(BatchJob job, string warning)
    {
        lock (_out)
        {
            if (_json)
            {
                _out.WriteLine(JsonSerializer.Serialize(new { input = job.Input, output = job.Output, status = "warning", warning }));
            }
            else
            {
                _err.WriteLine($"warning {job.Input}: {warning}");
            }
        }
    }

    /// <summary>Reports a file that failed, with its reason.</summary>
    public void Failed(BatchJob job, string error, int inW = 0, int inH = 0, double gpuSeconds = 0) =>
        File(job, "error", error, inW, inH, 0, 0, gpuSeconds);

    private void File(BatchJob job, string status, string? error, int inW, int inH, int outW, int outH, double gpuSeconds)
    {
        lock (_out)
        {
            FileLine(job, status, error, inW, inH, outW, outH, gpuSeconds);
        }
    }

    private void FileLine(BatchJob job, string status, string? error, int inW, int inH, int outW, int outH, double gpuSeconds)
    {
        if (_json)
        {
            _out.WriteLine(JsonSerializer.Serialize(new
            {
                input = job.Input, output = job.Output, status, error, width = inW, height = inH, out_width = outW, out_height = outH,
                gpu_seconds = gpuSeconds,
            }));
        }
        else if (error is null)
        {
            if (Live)
            {
                return; // the live display shows progress; only errors interrupt it
            }
            _out.WriteLine($"ok     {job.Input} -> {job.Output} ({inW}x{inH} -> {outW}x{outH}, GPU {gpuSeconds * 1000:F0} ms)");
        }
        else
        {
            _err.WriteLine($"error  {job.Input}: {error}");
        }
    }

    /// <summary>Reports the whole batch: counts, images per second, the stages' seconds, the device and what ran.</summary>
    public void Summary(BatchStats s, string device, string what)
    {
        double perSecond = s.Ok / Math.Max(s.Seconds, 1e-9);
        if (_json)
        {
            _out.WriteLine(JsonSerializer.Serialize(new
            {
                summary = new
                {
                    total = s.Ok + s.Failed, ok = s.Ok, failed = s.Failed, seconds = s.Seconds, images_per_second = perSecond,
                    load_seconds = s.LoadSeconds, gpu_seconds = s.GpuSeconds, save_seconds = s.SaveSeconds, device, model = what,
                },
            }));
            return;
        }
        _out.WriteLine($"{s.Ok} of {s.Ok + s.Failed} images processed in {s.Seconds:F1} s ({perSecond:F2} images/s; " +
                       $"stages: load {s.LoadSeconds:F1} s, GPU {s.GpuSeconds:F1} s, save {s.SaveSeconds:F1} s) on {device}");
        if (s.Failed > 0)
        {
            _err.WriteLine($"rtup: {s.Failed} file(s) failed (see the errors above)");
        }
    }
}
