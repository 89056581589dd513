using System.Collections.Concurrent;
using System.Runtime.InteropServices;

namespace RealtimeUpscale.Upscaling;

/// <summary>
/// Touches the pages of fresh host arrays ahead of their first write, on one background thread of the lowest
/// scheduling class (Linux's SCHED_IDLE: it runs only on a core nothing else wants). The kernel hands a process
/// zeroed pages on first touch; for the gigabytes a tiled run of a squeeze-excitation model holds between its passes
/// (<see cref="TileValues"/>) that zeroing cost the thread that copies a pass's values out about 2 s per GB on a
/// virtual machine, while the device's threads waited for it. Warmed while a pass runs, it takes the time the
/// device's threads leave idle (their waits at each dispatch's end) instead.
/// </summary>
internal static class PageWarmer
{
    /// <summary>Floats per 4 KiB page: touching one per page maps the page.</summary>
    private const int PageFloats = 1024;

    /// <summary>Arrays smaller than this (4 MiB) are not worth a handoff.</summary>
    private const int SmallestFloats = 1 << 20;

    private static readonly BlockingCollection<Warming> Queue = new();
    private static readonly Lazy<Thread> Worker = new(() =>
    {
        var thread = new Thread(Run) { IsBackground = true, Name = "rtup page warmer" };
        thread.Start();
        return thread;
    });

    /// <summary>Whether <paramref name="data"/> is large enough to warm.</summary>
    public static bool Worthwhile(float[] data) => data.Length >= SmallestFloats;

    /// <summary>Starts touching <paramref name="data"/>'s pages; the caller must <see cref="Warming.Finish"/> before writing it.</summary>
    public static Warming Warm(float[] data)
    {
        var warming = new Warming(data);
        _ = Worker.Value;
        Queue.Add(warming);
        return warming;
    }

    /// <summary>The touching of one array's pages.</summary>
    public sealed class Warming(float[] data)
    {
        private readonly ManualResetEventSlim _done = new(false);
        private volatile bool _stop;

        /// <summary>Whether every page was touched (false once stopped early).</summary>
        public bool Complete { get; private set; }

        /// <summary>Stops the touching where it is and waits for the worker to let go of the array.</summary>
        public void Finish()
        {
            _stop = true;
            _done.Wait();
            _done.Dispose();
        }

        internal void Touch()
        {
            int i = 0;
            for (; i < data.Length && !_stop; i += PageFloats)
            {
                data[i] = 0;
            }
            Complete = i >= data.Length;
            _done.Set();
        }
    }

    private static void Run()
    {
        if (OperatingSystem.IsLinux())
        {
            var param = 0;
            _ = SchedSetScheduler(0, SchedIdle, ref param); // where refused, it runs at the normal class
        }
        foreach (var warming in Queue.GetConsumingEnumerable())
        {
            warming.Touch();
        }
    }

    private const int SchedIdle = 5;

    [DllImport("libc", EntryPoint = "sched_setscheduler")]
    private static extern int SchedSetScheduler(int pid, int policy, ref int param);
}
