using RealtimeUpscale.Runtime;

namespace RealtimeUpscale.Demo;

/// <summary>
/// Frame times (every frame after the first) and GPU milliseconds per pass group: the latest frame's for the HUD,
/// and the mean over the current view's frames for the summary.
/// </summary>
internal sealed class FrameStatistics
{
    private readonly List<double> _frameMs = new();
    private readonly Dictionary<string, (double Sum, int Count)> _gpuTotals = new();

    /// <summary>The GPU milliseconds per pass group of the latest completed frame.</summary>
    public IReadOnlyList<(string Name, double Ms)> LatestGpuMs { get; private set; } = Array.Empty<(string, double)>();

    /// <summary>Takes a frame's time, in seconds.</summary>
    public void FrameDone(double seconds) => _frameMs.Add(seconds * 1000);

    /// <summary>Takes a completed frame's timestamps, summed by its pass groups.</summary>
    public void GpuDone(PassGroups groups, IReadOnlyList<PassTiming> timings)
    {
        var ms = groups.Sum(timings);
        LatestGpuMs = ms;
        foreach (var (name, value) in ms)
        {
            _gpuTotals[name] = _gpuTotals.TryGetValue(name, out var t) ? (t.Sum + value, t.Count + 1) : (value, 1);
        }
    }

    /// <summary>The view was built again: its GPU means start over.</summary>
    public void ViewRebuilt() => _gpuTotals.Clear();

    /// <summary>The frame rate of the median of the last 30 frames, or 0 before the second frame.</summary>
    public double RecentFps()
    {
        if (_frameMs.Count == 0)
        {
            return 0;
        }
        var recent = _frameMs.Skip(Math.Max(0, _frameMs.Count - 30)).OrderBy(x => x).ToArray();
        return 1000 / recent[recent.Length / 2];
    }

    /// <summary>The median frame time of the whole run, in milliseconds (0 when fewer than two frames ran).</summary>
    public double MedianFrameMs()
    {
        var sorted = _frameMs.OrderBy(x => x).ToArray();
        return sorted.Length == 0 ? 0 : sorted[sorted.Length / 2];
    }

    /// <summary>The mean GPU milliseconds per pass group over the current view's frames.</summary>
    public List<(string Pass, double Ms)> MeanGpuMs() => _gpuTotals.Select(kv => (kv.Key, kv.Value.Sum / kv.Value.Count)).ToList();
}
