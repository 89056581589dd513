using Silk.NET.Vulkan;

namespace RealtimeUpscale.Runtime;

/// <summary>GPU time of one recorded pass.</summary>
/// <param name="Label">The pass label (layer name).</param>
/// <param name="Milliseconds">Time from the end of the previous pass (or the start) to the end of this one.</param>
public sealed record PassTiming(string Label, double Milliseconds)
{
    /// <summary>
    /// The timings with each run of consecutive passes of one label summed into one: a layer that records several
    /// passes (a Winograd convolution's bands) counts once.
    /// </summary>
    public static IReadOnlyList<PassTiming> PerLabel(IEnumerable<PassTiming> timings)
    {
        ArgumentNullException.ThrowIfNull(timings);
        var merged = new List<PassTiming>();
        foreach (var t in timings)
        {
            if (merged.Count > 0 && merged[^1].Label == t.Label)
            {
                merged[^1] = t with { Milliseconds = merged[^1].Milliseconds + t.Milliseconds };
            }
            else
            {
                merged.Add(t);
            }
        }
        return merged;
    }
}

/// <summary>
/// Timestamp queries around recorded passes: one timestamp at <see cref="CommandRecorder.BeginTiming"/> and
/// one after each dispatch. Passes without a barrier between them may overlap on the GPU; their times then
/// split the overlapped span between them. Owns its query pool; its context destroys it, if the timer is
/// still alive, before the device.
/// </summary>
public sealed unsafe class GpuTimer : IDisposable, IContextChild
{
    private readonly GpuContext _context;
    private readonly QueryPool _pool;
    private readonly List<string> _labels = new();
    private bool _disposed;

    /// <summary>Creates a timer for up to <paramref name="maxPasses"/> passes per recording.</summary>
    public GpuTimer(GpuContext context, int maxPasses = 256)
    {
        ArgumentNullException.ThrowIfNull(context);
        context.ThrowIfDisposed();
        if (!context.Traits.SupportsTimestamps)
        {
            throw new NotSupportedException($"The queue of {context.DeviceName} does not support timestamps.");
        }
        _context = context;
        Capacity = (uint)maxPasses + 1;
        var info = new QueryPoolCreateInfo(queryType: QueryType.Timestamp, queryCount: Capacity);
        context.Vk.CreateQueryPool(context.Device, in info, null, out _pool).Check("vkCreateQueryPool");
        try
        {
            context.Register(this);
        }
        catch
        {
            context.Vk.DestroyQueryPool(context.Device, _pool, null);
            throw;
        }
    }

    /// <summary>Whether the timer was disposed, by its owner or by its context.</summary>
    public bool IsDisposed => _disposed;

    /// <summary>Timestamps the pool holds (passes + 1).</summary>
    public uint Capacity { get; }

    internal void Begin(CommandRecorder recorder)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        _labels.Clear();
        recorder.ResetQueries(_pool, Capacity);
        recorder.WriteTimestamp(_pool, 0);
    }

    internal void Mark(CommandRecorder recorder, string label)
    {
        if (_labels.Count + 1 >= Capacity)
        {
            throw new InvalidOperationException($"The timer holds {Capacity - 1} passes; more were recorded.");
        }
        _labels.Add(label);
        recorder.WriteTimestamp(_pool, (uint)_labels.Count);
    }

    /// <summary>
    /// Waits for and returns the per-pass times of the last recording. The command buffer must have been
    /// submitted.
    /// </summary>
    public IReadOnlyList<PassTiming> Read()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        int n = _labels.Count + 1;
        if (n < 2)
        {
            return Array.Empty<PassTiming>();
        }
        var stamps = new ulong[n];
        fixed (ulong* p = stamps)
        {
            _context.Vk.GetQueryPoolResults(_context.Device, _pool, 0, (uint)n, (nuint)(n * sizeof(ulong)), p,
                sizeof(ulong), QueryResultFlags.Result64Bit | QueryResultFlags.ResultWaitBit).Check("vkGetQueryPoolResults");
        }
        ulong mask = _context.Traits.TimestampValidBits >= 64 ? ulong.MaxValue : (1UL << (int)_context.Traits.TimestampValidBits) - 1;
        var result = new PassTiming[n - 1];
        for (int i = 1; i < n; i++)
        {
            ulong ticks = ((stamps[i] & mask) - (stamps[i - 1] & mask)) & mask;
            result[i - 1] = new PassTiming(_labels[i - 1], ticks * _context.Traits.TimestampPeriod / 1e6);
        }
        return result;
    }

    /// <summary>Destroys the query pool (nothing, once its context has destroyed it).</summary>
    public void Dispose()
    {
        if (!_disposed)
        {
            _context.Release(this);
        }
    }

    void IContextChild.Destroy()
    {
        _disposed = true;
        _context.Vk.DestroyQueryPool(_context.Device, _pool, null);
    }
}
