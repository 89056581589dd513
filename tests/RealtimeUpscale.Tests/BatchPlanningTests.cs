using RealtimeUpscale.Cli;
using RealtimeUpscale.Cli.Batch;
using Xunit;

namespace RealtimeUpscale.Tests;

/// <summary>
/// The batch's planning parts on the CPU: output sizes and model passes, when an output is streamed or refused,
/// and how inputs become jobs (relative paths, formats, clashes, refusals).
/// </summary>
public sealed class BatchPlanningTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "rtup-plan-" + Guid.NewGuid().ToString("N"));

    public BatchPlanningTests() => Directory.CreateDirectory(_dir);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static UpscaleRequest Request(double? scale = null, int? width = null, int? height = null, long streamAbove = 1L << 30) =>
        new() { Inputs = new[] { "in.png" }, Output = "out.png", Scale = scale, Width = width, Height = height, StreamAboveBytes = streamAbove };

    [Theory]
    // width, height, model scale, requested scale / width / height -> output size and passes
    [InlineData(37, 23, 2, null, null, null, 74, 46, 1)]
    [InlineData(37, 23, 2, 3.0, null, null, 111, 69, 2)]
    [InlineData(37, 23, 2, 8.0, null, null, 296, 184, 3)]
    [InlineData(37, 23, 3, 1.5, null, null, 56, 34, 1)] // 34.5 rounds to even
    [InlineData(37, 23, 2, null, 101, 50, 101, 50, 2)]
    [InlineData(37, 23, 2, null, 74, null, 74, 46, 1)]
    [InlineData(37, 23, 2, null, null, 100, 161, 100, 3)]
    [InlineData(10, 10, 4, null, 41, 40, 41, 40, 2)]
    public void PlansTheExactSizeAndTheFewestPassesThatCoverIt(int w, int h, double modelScale, double? scale, int? width, int? height,
        int outW, int outH, int passes)
    {
        var plan = OutputSizePlanner.Plan(w, h, 3, 1, modelScale, Request(scale, width, height), "out.png");
        Assert.Equal(new UpscalePlan(outW, outH, passes, false), plan);
        // The passes reach the target on both axes, one pass fewer does not.
        Assert.True(Math.Pow(modelScale, passes) * w >= outW - 1e-9 && Math.Pow(modelScale, passes) * h >= outH - 1e-9);
        Assert.True(passes == 1 || Math.Pow(modelScale, passes - 1) * w < outW - 1e-9 || Math.Pow(modelScale, passes - 1) * h < outH - 1e-9);
    }

    [Fact]
    public void LargeOutputsAreStreamedOnlyAsPngAtTheModelsOwnScale()
    {
        Assert.True(OutputSizePlanner.Plan(37, 23, 4, 1, 2, Request(streamAbove: 0), "a.png").Stream);
        Assert.False(OutputSizePlanner.Plan(37, 23, 4, 1, 2, Request(streamAbove: 0), "a.tga").Stream);
        Assert.False(OutputSizePlanner.Plan(37, 23, 4, 1, 2, Request(scale: 3, streamAbove: 0), "a.png").Stream);
        Assert.False(OutputSizePlanner.Plan(37, 23, 4, 1, 2, Request(streamAbove: 74 * 46 * 4), "a.png").Stream);
        Assert.True(OutputSizePlanner.Plan(37, 23, 4, 1, 2, Request(streamAbove: 74 * 46 * 4 - 1), "a.png").Stream);
    }

    [Fact]
    public void AnOutputTooLargeToHoldIsRefusedUnlessItCanBeStreamed()
    {
        // 40000 x 40000 RGBA is 6.4 GB: more than one array holds.
        var request = Request(width: 40000, height: 40000);
        var e = Assert.Throws<ArgumentException>(() => OutputSizePlanner.Plan(20000, 20000, 4, 1, 2, request with { Width = 40001 }, "a.png"));
        Assert.Contains("too large", e.Message);
        Assert.Throws<ArgumentException>(() => OutputSizePlanner.Plan(20000, 20000, 4, 1, 2, request, "a.tga"));
        Assert.True(OutputSizePlanner.Plan(20000, 20000, 4, 1, 2, request, "a.png").Stream);
    }

    private string Touch(string relative)
    {
        string path = Path.Combine(_dir, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, "");
        return path;
    }

    [Fact]
    public void FoldersKeepRelativePathsAndFormatsAreMapped()
    {
        Touch("in/a.png");
        Touch("in/sub/b.jpeg");
        Touch("in/sub/c.gif");
        Touch("in/notes.txt");
        string output = Path.Combine(_dir, "out");
        var plan = JobPlanner.Plan(new UpscaleRequest { Inputs = new[] { Path.Combine(_dir, "in") }, Output = output });
        Assert.Empty(plan.Refused);
        Assert.Equal(new[] { "a.png", "sub/b.jpg", "sub/c.png" }, plan.Jobs.Select(j => Path.GetRelativePath(output, j.Output)));
        var tga = JobPlanner.Plan(new UpscaleRequest { Inputs = new[] { Path.Combine(_dir, "in") }, Output = output, Format = "tga" });
        Assert.All(tga.Jobs, j => Assert.EndsWith(".tga", j.Output));
        Assert.Throws<ArgumentException>(() => BatchUpscaler.Prepare(new UpscaleRequest { Inputs = new[] { Path.Combine(_dir, "in") }, Output = output, Format = "gif" }));
    }

    [Fact]
    public void MissingInputsClashesInputsAsOutputsAndExistingOutputsAreRefused()
    {
        string a = Touch("in/a.png");
        string a2 = Touch("in2/a.png");
        string output = Path.Combine(_dir, "out");
        Touch("out/existing.png");
        string existing = Touch("in/existing.png");
        var plan = JobPlanner.Plan(new UpscaleRequest { Inputs = new[] { a, a2, existing, Path.Combine(_dir, "nothing") }, Output = output });
        Assert.Equal(new[] { a }, plan.Jobs.Select(j => j.Input));
        Assert.Contains(plan.Refused, r => r.Path == a2 && r.Reason.Contains("already the output of"));
        Assert.Contains(plan.Refused, r => r.Path == existing && r.Reason.Contains("--overwrite"));
        Assert.Contains(plan.Refused, r => r.Reason == "no such file or folder");
        var self = JobPlanner.Plan(new UpscaleRequest { Inputs = new[] { a }, Output = a, Overwrite = true });
        Assert.Empty(self.Jobs);
        Assert.Contains("never overwritten", self.Refused.Single().Reason);
        var single = JobPlanner.Plan(new UpscaleRequest { Inputs = new[] { a }, Output = Path.Combine(_dir, "one.jpg") });
        Assert.Equal(Path.Combine(_dir, "one.jpg"), single.Jobs.Single().Output);
    }
}
