using System.Collections.Concurrent;
using System.Runtime.InteropServices;

namespace RealtimeUpscale.Upscaling;

/// <summary>
/// Maps the pages of fresh host arrays ahead of their first write, on one background thread of the lowest
/// scheduling class (Linux's SCHED_IDLE: it runs only on a core nothing else wants). The kernel hands a process
/// zeroed pages on first touch; for the gigabytes a tiled run of a squeeze-excitation model holds between its passes
/// (<see cref="TileValues"/>) that cost the thread that copies a pass's values out about 2 s per GB on a virtual
/// machine, while the device's threads waited for it. Mapped while a pass runs, it takes the time the device's
/// threads leave idle (their waits at each dispatch's end) instead.
/// The pages are mapped with <c>madvise(MADV_POPULATE_WRITE)</c> (Linux 5.14), which faults them in writable and
/// never changes their contents, so the owner may write the array at any time, warming or not: nothing waits for
/// the warming thread. Elsewhere, or where the kernel refuses it, nothing is warmed.
/// </summary>
internal static class PageWarmer
{
    private const long PageBytes = 4096;

    /// <summary>Bytes mapped per call, between checks for <see cref="Warming.Stop"/>.</summary>
    private const long ChunkBytes = 4 << 20;

    /// <summary>Arrays smaller than this (4 MiB of floats) are not worth a handoff.</summary>
    private const int SmallestFloats = 1 << 20;

    private const int MadvPopulateWrite = 23;
    private const int SchedIdle = 5;

    private static volatile bool _refused = !OperatingSystem.IsLinux();
    private static readonly BlockingCollection<Warming> Queue = new();
    private static readonly Lazy<Thread> Worker = new(() =>
    {
        var thread = new Thread(Run) { IsBackground = true, Name = "rtup page warmer", Priority = ThreadPriority.Lowest };
        thread.Start();
        return thread;
    });

    /// <summary>Whether an array of <paramref name="length"/> floats is worth warming here.</summary>
    public static bool Worthwhile(int length) => !_refused && length >= SmallestFloats;

    /// <summary>Starts mapping <paramref name="data"/>'s pages. The caller may read and write the array meanwhile.</summary>
    public static Warming Warm(float[] data)
    {
        var warming = new Warming(data);
        _ = Worker.Value;
        Queue.Add(warming);
        return warming;
    }

    /// <summary>The mapping of one array's pages.</summary>
    public sealed class Warming(float[] data)
    {
        private readonly ManualResetEventSlim _done = new(false);
        private volatile bool _stop;

        /// <summary>Whether every whole page of the array was mapped (false when stopped early or refused).</summary>
        public bool Complete { get; private set; }

        /// <summary>Asks the worker to leave the rest of the array (it needs no more warming); returns at once.</summary>
        public void Stop() => _stop = true;

        /// <summary>Waits until the worker is done with the array, at most <paramref name="timeout"/>.</summary>
        public bool Wait(TimeSpan timeout) => _done.Wait(timeout);

        internal void Populate()
        {
            var handle = GCHandle.Alloc(data, GCHandleType.Pinned);
            try
            {
                long start = handle.AddrOfPinnedObject();
                long first = (start + PageBytes - 1) / PageBytes * PageBytes;
                long end = (start + (long)data.Length * sizeof(float)) / PageBytes * PageBytes;
                long at = first;
                for (; at < end && !_stop && !_refused; at += ChunkBytes)
                {
                    if (Madvise((nint)at, (nuint)Math.Min(ChunkBytes, end - at), MadvPopulateWrite) != 0)
                    {
                        _refused = true; // an older kernel (EINVAL): warm nothing from now on
                        break;
                    }
                }
                Complete = at >= end;
            }
            finally
            {
                handle.Free();
                _done.Set();
            }
        }
    }

    private static void Run()
    {
        if (OperatingSystem.IsLinux())
        {
            var param = 0;
            _ = SchedSetScheduler(0, SchedIdle, ref param); // where refused, it runs at the lowest normal priority
        }
        foreach (var warming in Queue.GetConsumingEnumerable())
        {
            warming.Populate();
        }
    }

    [DllImport("libc", EntryPoint = "madvise")]
    private static extern int Madvise(nint address, nuint length, int advice);

    [DllImport("libc", EntryPoint = "sched_setscheduler")]
    private static extern int SchedSetScheduler(int pid, int policy, ref int param);
}
