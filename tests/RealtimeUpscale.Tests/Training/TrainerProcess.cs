using System.Diagnostics;
using Xunit;

namespace RealtimeUpscale.Tests.Training;

/// <summary>
/// Runs a script of <c>training/</c> with Debian's interpreter (<c>/usr/bin/python3</c>, which has python3-torch),
/// in the repository root, and returns its standard output; a non-zero exit fails the calling test with both
/// streams.
/// </summary>
internal static class TrainerProcess
{
    public static string Run(TimeSpan timeout, params string[] arguments)
    {
        var psi = new ProcessStartInfo("/usr/bin/python3")
        {
            WorkingDirectory = SharedData.RepositoryRoot,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (string a in arguments)
        {
            psi.ArgumentList.Add(a);
        }
        using var process = Process.Start(psi) ?? throw new InvalidOperationException("/usr/bin/python3 did not start");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(timeout))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"python3 {string.Join(' ', arguments)} did not finish in {timeout.TotalSeconds:F0} s");
        }
        Assert.True(process.ExitCode == 0,
            $"python3 {string.Join(' ', arguments)} failed ({process.ExitCode}):\n{stdout.Result}\n{stderr.Result}");
        return stdout.Result;
    }
}
