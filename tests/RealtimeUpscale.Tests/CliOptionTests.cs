using System.Diagnostics;
using System.Text.Json;
using RealtimeUpscale.Cli;
using RealtimeUpscale.Imaging;
using Xunit;

namespace RealtimeUpscale.Tests;

/// <summary>
/// Every numeric option is range-checked and every conflict refused before any work, in one line with exit code 2
/// (JSON with --json, even when the command line does not parse); <c>rtup models</c> lists a damaged bundled model
/// as unreadable and goes on. The commands run as the real tool, in a process.
/// </summary>
public sealed class CliOptionTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "rtup-options-" + Guid.NewGuid().ToString("N"));
    private readonly string _image;

    public CliOptionTests()
    {
        Directory.CreateDirectory(_dir);
        _image = Path.Combine(_dir, "a.png");
        using var stream = File.Create(_image);
        ImageFileWriter.Write(stream, new HostImage(4, 3, 3, new byte[36]), "png");
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static (int Code, string Out, string Err) RtupAt(string dll, params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add(dll);
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

    private static (int Code, string Out, string Err) Rtup(params string[] args) => RtupAt(Path.Combine(AppContext.BaseDirectory, "rtup.dll"), args);

    public static TheoryData<string, string[]> BadOptions() => new()
    {
        { "--scale", ["--scale", "NaN"] },
        { "--scale", ["--scale", "Infinity"] },
        { "--scale", ["--scale", "0.5"] },
        { "--scale", ["--scale", "1000"] },
        { "--scale", ["--scale", "2", "--width", "100"] },
        { "--width", ["--width", "0"] },
        { "--height", ["--height", "2000000"] },
        { "--size", ["--size", "100x100", "--width", "50"] },
        { "--size", ["--size", "4294967297x2"] },
        { "--quality", ["--quality", "0", "--format", "jpg"] },
        { "--quality", ["--quality", "101"] },
        { "--tile", ["--tile", "100000"] },
        { "--max-pixels", ["--max-pixels", "0"] },
        { "--format", ["--format", "gif"] },
        { "--skip-existing", ["--overwrite", "--skip-existing"] },
        { "--precision", ["--precision", "fp8"] },
        { "--winograd", ["--winograd", "yes"] },
    };

    [Theory]
    [MemberData(nameof(BadOptions))]
    public void UpscaleOptionsOutOfRangeOrInConflictAreOneLineUsageErrors(string named, string[] options)
    {
        var run = Rtup(["upscale", _image, "-o", Path.Combine(_dir, "out"), .. options]);
        AssertUsage(run, named);
        Assert.False(Directory.Exists(Path.Combine(_dir, "out")));
    }

    [Fact]
    public void OtherCommandsAndOutputsAreCheckedToo()
    {
        AssertUsage(Rtup("upscale", _image, "-o", ""), "-o");
        AssertUsage(Rtup("upscale", _image, "-o", Path.Combine(_dir, "x.png"), "--format", "jpg"), "--format");
        AssertUsage(Rtup("downscale", _image, "-o", Path.Combine(_dir, "d.png"), "--factor", "1"), "--factor");
        AssertUsage(Rtup("downscale", _image, "-o", Path.Combine(_dir, "d.png"), "--factor", "2", "--filter", "9"), "--filter");
        AssertUsage(Rtup("eval", _dir, "--model", "x", "--scale", "9"), "--scale");
        AssertUsage(Rtup("bench", "--model", "x", "--size", "16x16", "--runs", "0"), "--runs");
        AssertUsage(Rtup("analyze", "--model", "bicubic:99"), "bicubic");
        AssertUsage(Rtup("bench", "--model", "x", "--size", "16x16", "--precision", "half"), "--precision");
        AssertUsage(Rtup("bench", "--model", "subpixel_x2", "--size", "16x16", "--winograd", "1"), "--winograd");
        AssertUsage(Rtup("bench", "--model", "subpixel_x2", "--size", "16x16", "--conv-pixels", "0"), "--conv-pixels");
        AssertUsage(Rtup("bench", "--model", "subpixel_x2", "--size", "16x16", "--conv-block", "65"), "--conv-block");
        AssertUsage(Rtup("eval", _dir, "--model", "subpixel_x2", "--scale", "2", "--winograd", "maybe"), "--winograd");
    }

    /// <summary>The commands that take options of their own parse without the others': downscale has no --precision.</summary>
    [Fact]
    public void DownscaleRunsWithItsOwnOptionsAlone()
    {
        string output = Path.Combine(_dir, "small.png");
        var run = Rtup("downscale", _image, "-o", output, "--factor", "2");
        Assert.True(run.Code == 0, run.Out + run.Err);
        Assert.True(File.Exists(output));
    }

    [Fact]
    public void WithJsonEvenAnUnparsableCommandLineAnswersInJson()
    {
        var run = Rtup("upscale", _image, "-o", Path.Combine(_dir, "out"), "--scale", "abc", "--json");
        Assert.Equal(CliErrors.Usage, run.Code);
        using var json = JsonDocument.Parse(run.Out.Trim());
        Assert.Equal("usage", json.RootElement.GetProperty("kind").GetString());
        Assert.Contains("--scale", json.RootElement.GetProperty("error").GetString());

        var range = Rtup("upscale", _image, "-o", Path.Combine(_dir, "out"), "--scale", "-3", "--json");
        Assert.Equal(CliErrors.Usage, range.Code);
        using var rangeJson = JsonDocument.Parse(range.Out.Trim());
        Assert.Contains("--scale", rangeJson.RootElement.GetProperty("error").GetString());
    }

    [Fact]
    public void ModelsListsADamagedBundledModelAsUnreadableAndGoesOn()
    {
        // A copy of the tool (hard links) whose models folder holds one damaged file besides the real ones.
        string tool = Path.Combine(_dir, "tool");
        using (var cp = Process.Start("cp", ["-al", AppContext.BaseDirectory, tool]))
        {
            cp.WaitForExit();
            Assert.Equal(0, cp.ExitCode);
        }
        string broken = Path.Combine(tool, "models", "zz_damaged.onnx");
        File.WriteAllBytes(broken, new byte[] { 0x08, 0x07, 0x12, 0xFF, 0xFF, 0x3A, 0x05 });
        var run = RtupAt(Path.Combine(tool, "rtup.dll"), "models");
        Assert.Equal(CliErrors.Failed, run.Code);
        Assert.DoesNotContain("   at ", run.Err + run.Out);
        var lines = run.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var damaged = Assert.Single(lines, l => l.StartsWith("zz_damaged", StringComparison.Ordinal));
        Assert.Contains("unreadable", damaged);
        Assert.Single(System.Text.RegularExpressions.Regex.Matches(damaged, "zz_damaged.onnx"));
        Assert.True(damaged.Length < 400, damaged);
        Assert.Contains(lines, l => l.StartsWith("deconv_x2", StringComparison.Ordinal) && l.Contains("x2", StringComparison.Ordinal));
        // The default model is still found past the damaged one.
        var up = RtupAt(Path.Combine(tool, "rtup.dll"), "upscale", _image, "-o", Path.Combine(_dir, "up.png"));
        Assert.True(up.Code == 0, up.Err);
    }

    private static void AssertUsage((int Code, string Out, string Err) run, string named)
    {
        var lines = run.Err.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(lines.Length == 1 && lines[0].StartsWith("rtup: ", StringComparison.Ordinal), $"expected one line, got (exit code {run.Code}):\n{run.Err}{run.Out}");
        Assert.Contains(named, lines[0]);
        Assert.Equal(CliErrors.Usage, run.Code);
    }
}
