using System.Diagnostics;
using System.Text.Json;
using RealtimeUpscale.Cli;
using RealtimeUpscale.Network.Importers;
using RealtimeUpscale.Runtime;
using Xunit;

namespace RealtimeUpscale.Tests;

/// <summary>
/// Every command ends a listed failure (a missing model or dataset, a bad option, an unreadable file) with one line,
/// <c>rtup: MESSAGE</c>, and its exit code, never a stack trace; with <c>--json</c> the error is one JSON object.
/// The commands run as the real tool, in a process.
/// </summary>
public sealed class CliErrorTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "rtup-errors-" + Guid.NewGuid().ToString("N"));

    public CliErrorTests() => Directory.CreateDirectory(_dir);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    internal static (int Code, string Out, string Err) Rtup(params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "rtup.dll"));
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }
        using var process = Process.Start(psi)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        Assert.True(process.WaitForExit(120_000), "rtup did not finish");
        return (process.ExitCode, stdout.Result, stderr.Result);
    }

    private static void AssertOneLineError(int expectedCode, string expectedText, (int Code, string Out, string Err) run, string what)
    {
        var lines = run.Err.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(lines.Length == 1, $"{what}: expected one line on stderr, got:\n{run.Err}");
        Assert.StartsWith("rtup: ", lines[0]);
        Assert.Contains(expectedText, lines[0]);
        Assert.DoesNotContain("   at ", run.Err);
        Assert.True(run.Code == expectedCode, $"{what}: exit code {run.Code}, expected {expectedCode}: {run.Err}");
    }

    [Fact]
    public void EvalBenchAndAnalyzeWithAMissingModelOrDatasetEndInOneLine()
    {
        string model = SharedData.FsrcnnModel("FSRCNN-s_x2.onnx");
        string set5 = SharedData.Path("datasets", "Set5");
        string missing = Path.Combine(_dir, "missing.onnx");
        AssertOneLineError(CliErrors.Failed, "missing.onnx", Rtup("eval", set5, "--model", missing, "--scale", "2"), "eval, missing model");
        AssertOneLineError(CliErrors.Failed, "no-such-dataset", Rtup("eval", Path.Combine(_dir, "no-such-dataset"), "--model", model, "--scale", "2"),
            "eval, missing dataset");
        Directory.CreateDirectory(Path.Combine(_dir, "empty"));
        AssertOneLineError(CliErrors.Failed, "holds no images", Rtup("eval", Path.Combine(_dir, "empty"), "--model", model, "--scale", "2"),
            "eval, empty dataset");
        AssertOneLineError(CliErrors.Usage, "not 3", Rtup("eval", set5, "--model", model, "--scale", "3"), "eval, wrong scale");
        AssertOneLineError(CliErrors.Failed, "missing.onnx", Rtup("bench", "--model", missing, "--size", "16x16", "--runs", "1"), "bench, missing model");
        string broken = Path.Combine(_dir, "broken.onnx");
        File.WriteAllBytes(broken, new byte[] { 0x08, 0x07, 0x12, 0xFF, 0xFF });
        AssertOneLineError(CliErrors.Failed, "broken.onnx", Rtup("bench", "--model", broken, "--size", "16x16", "--runs", "1"), "bench, broken model");
        AssertOneLineError(CliErrors.Failed, "missing.onnx", Rtup("analyze", "--model", missing), "analyze, missing model");
    }

    [Fact]
    public void BadOptionsAreUsageErrorsForEveryCommand()
    {
        string model = SharedData.FsrcnnModel("FSRCNN-s_x2.onnx");
        AssertOneLineError(CliErrors.Usage, "--size", Rtup("bench", "--model", model, "--size", "16x0"), "bench, zero height");
        AssertOneLineError(CliErrors.Usage, "--size", Rtup("bench", "--model", model, "--size", "99999999999x16"), "bench, overflowing width");
        AssertOneLineError(CliErrors.Usage, "--size", Rtup("upscale", model, "-o", _dir, "--size", "wide"), "upscale, size not WxH");
        AssertOneLineError(CliErrors.Usage, "--tile", Rtup("upscale", model, "-o", _dir, "--tile", "3"), "upscale, tile too small");
        AssertOneLineError(CliErrors.Usage, "--frames", Rtup("demo", "--offscreen"), "demo, offscreen without frames");
        AssertOneLineError(CliErrors.Usage, "64 to 16384", Rtup("demo", "--offscreen", "--frames", "1", "--size", "8x8"), "demo, tiny window");
        AssertOneLineError(CliErrors.Failed, "no-such-model", Rtup("upscale", model, "-o", _dir, "--model", "no-such-model"), "upscale, unknown model");
    }

    [Fact]
    public void WithJsonTheErrorIsOneJsonObject()
    {
        var run = Rtup("bench", "--model", Path.Combine(_dir, "missing.onnx"), "--size", "16x16", "--json");
        Assert.Equal(CliErrors.Failed, run.Code);
        Assert.DoesNotContain("   at ", run.Err);
        using var json = JsonDocument.Parse(run.Out.Trim());
        Assert.Contains("missing.onnx", json.RootElement.GetProperty("error").GetString());
        Assert.Equal("model", json.RootElement.GetProperty("kind").GetString());
        Assert.Equal(CliErrors.Failed, json.RootElement.GetProperty("exit_code").GetInt32());

        var usage = Rtup("bench", "--model", "x", "--size", "0x1", "--json");
        Assert.Equal(CliErrors.Usage, usage.Code);
        using var usageJson = JsonDocument.Parse(usage.Out.Trim());
        Assert.Equal("usage", usageJson.RootElement.GetProperty("kind").GetString());
    }

    [Fact]
    public void TheListMapsTheProjectsExceptionsAndLeavesDefectsAlone()
    {
        Assert.Equal(("usage", CliErrors.Usage), CliErrors.Classify(new ArgumentOutOfRangeException("x")));
        Assert.Equal(("model", CliErrors.Failed), CliErrors.Classify(new ModelFormatException("bad")));
        Assert.Equal(("gpu", CliErrors.Failed), CliErrors.Classify(new GpuUnavailableException("none")));
        Assert.Equal(("data", CliErrors.Failed), CliErrors.Classify(new InvalidDataException("corrupt")));
        Assert.Equal(("io", CliErrors.Failed), CliErrors.Classify(new FileNotFoundException("gone")));
        Assert.Equal(("io", CliErrors.Failed), CliErrors.Classify(new UnauthorizedAccessException("denied")));
        Assert.Null(CliErrors.Classify(new NullReferenceException()));
        Assert.Null(CliErrors.Classify(new IndexOutOfRangeException()));
        Assert.Null(CliErrors.Classify(new ObjectDisposedException("context")));
        var output = new StringWriter();
        var error = new StringWriter();
        Assert.Equal(CliErrors.Failed, CliErrors.Report(new IOException("disk full\nwhile writing"), json: false, output, error));
        Assert.Equal("rtup: disk full while writing" + Environment.NewLine, error.ToString());
        Assert.Empty(output.ToString());
        Assert.Throws<ArgumentException>(() => CliErrors.Report(new NullReferenceException(), json: false, output, error));
    }
}
