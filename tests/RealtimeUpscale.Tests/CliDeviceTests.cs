using System.Diagnostics;
using RealtimeUpscale.Cli;
using RealtimeUpscale.Runtime;
using Xunit;

namespace RealtimeUpscale.Tests;

/// <summary>
/// What the application, not the library, does about the device: the CLI reads <c>RTUP_DEVICE</c> as the default
/// of <c>--device</c>, and keeps the driver's pipeline cache under <c>XDG_CACHE_HOME</c>. The tool runs in a process.
/// </summary>
public sealed class CliDeviceTests : IDisposable
{
    private readonly string _cache = Path.Combine(Path.GetTempPath(), "rtup-cache-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_cache))
        {
            Directory.Delete(_cache, recursive: true);
        }
    }

    private (int Code, string Out, string Err) Rtup(string? deviceVariable, params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "rtup.dll"));
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }
        psi.Environment[Program.DeviceEnvironmentVariable] = deviceVariable;
        psi.Environment["XDG_CACHE_HOME"] = _cache;
        using var process = Process.Start(psi)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        Assert.True(process.WaitForExit(120_000), "rtup did not finish");
        return (process.ExitCode, stdout.Result, stderr.Result);
    }

    [Fact]
    public void TheDeviceVariableIsTheDefaultOfTheDeviceOption()
    {
        var refused = Rtup("no-such-device-by-env", "devices");
        Assert.Equal(CliErrors.Failed, refused.Code);
        Assert.Contains("no-such-device-by-env", refused.Err);

        string name;
        using (var context = GpuContext.Create())
        {
            name = context.DeviceName;
        }
        var chosen = Rtup(name, "devices");
        Assert.True(chosen.Code == 0, chosen.Err);
        Assert.Contains(name, chosen.Out);
        // The option wins over the variable.
        var option = Rtup("no-such-device-by-env", "devices", "--device", name);
        Assert.True(option.Code == 0, option.Err);
    }

    [Fact]
    public void ThePipelineCacheIsKeptBetweenRuns()
    {
        var run = Rtup(null, "devices");
        Assert.True(run.Code == 0, run.Err);
        var bytes = File.ReadAllBytes(Path.Combine(_cache, "rtup", "pipelines.bin"));
        // The driver's header: its length (at least 32 bytes) and version one.
        Assert.True(bytes.Length >= 32, $"{bytes.Length} bytes");
        Assert.True(BitConverter.ToUInt32(bytes, 0) >= 32);
        Assert.Equal(1u, BitConverter.ToUInt32(bytes, 4));
        // Written atomically: no temporary file is left beside it.
        Assert.Equal(new[] { "pipelines.bin" }, Directory.GetFiles(Path.Combine(_cache, "rtup")).Select(Path.GetFileName));
        var again = Rtup(null, "devices");
        Assert.True(again.Code == 0, again.Err);
    }
}
