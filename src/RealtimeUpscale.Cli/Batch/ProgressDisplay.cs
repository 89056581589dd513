using System.Diagnostics;
using Spectre.Console;

namespace RealtimeUpscale.Cli.Batch;

/// <summary>Where the GPU stage reports its progress: the fraction of the current file, and the files finished.</summary>
internal interface IBatchProgress
{
    /// <summary><paramref name="fraction"/> of file <paramref name="name"/> is done.</summary>
    void File(string name, double fraction);

    /// <summary><paramref name="count"/> files have left the GPU stage.</summary>
    void Finished(int count);
}

/// <summary>
/// The live progress display of a terminal (overall, current file, images per second, time left); anything else
/// (redirected output, <c>--json</c>, a caller's writer) gets the reporter's plain lines instead.
/// </summary>
internal static class ProgressDisplay
{
    /// <summary>Whether output to <paramref name="output"/> gets the live display.</summary>
    public static bool IsLive(TextWriter output, bool json) =>
        !json && ReferenceEquals(output, Console.Out) && !Console.IsOutputRedirected && AnsiConsole.Profile.Capabilities.Interactive;

    /// <summary>Runs <paramref name="body"/> under a live display of <paramref name="jobs"/> files, the rate measured on <paramref name="clock"/>.</summary>
    public static void Run(int jobs, Stopwatch clock, Action<IBatchProgress> body)
    {
        AnsiConsole.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn())
            .Start(ctx =>
            {
                var overall = ctx.AddTask("all images", maxValue: Math.Max(jobs, 1));
                var current = ctx.AddTask("current", maxValue: 1);
                body(new Live(overall, current, clock));
                overall.Value = overall.MaxValue;
            });
    }

    private sealed class Live(ProgressTask overall, ProgressTask current, Stopwatch clock) : IBatchProgress
    {
        public void File(string name, double fraction)
        {
            current.Description = Markup.Escape(name);
            current.Value = fraction;
        }

        public void Finished(int count)
        {
            overall.Value = count;
            overall.Description = $"all images ({count / Math.Max(clock.Elapsed.TotalSeconds, 1e-9):F2}/s)";
            current.Value = 1;
        }
    }
}
