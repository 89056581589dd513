using RealtimeUpscale.Cli;
using RealtimeUpscale.Network;
using RealtimeUpscale.Runtime;
using Xunit;

namespace RealtimeUpscale.Tests;

/// <summary><c>rtup models --graph</c>, run as the real tool: the graph that runs, and the importer's.</summary>
public sealed class ModelsGraphCommandTests
{
    private static string[] Lines(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries);

    [Fact]
    public void GraphIsTheOptimisedGraphWithShapesAtTheGivenSize()
    {
        string model = SharedData.FsrcnnModel("FSRCNN_x2.onnx");
        var run = CliErrorTests.Rtup("models", "--graph", model, "--size", "13x11");
        Assert.True(run.Code == 0, run.Err);
        var lines = Lines(run.Out);
        Assert.Equal(GraphListing.Lines(ModelDefinition.Load(model), new TensorShape(1, 11, 13)), lines);
        // The input, the first convolution and the shrinking 1x1 fused, four convolutions, the transposed
        // convolution lowered to a sub-pixel convolution that computes its input from the expanding 1x1, the output.
        Assert.Equal(8, lines.Length);
        Assert.Equal("input y [1x11x13]", lines[0]);
        Assert.Matches(@"^conv1\s+ConvPointwise 5x5 s1 1->56 pad 2,2,2,2 Replicate .* then 1x1 s1 56->12 .*\[1x11x13\] -> \S+ \[12x11x13\]$", lines[1]);
        Assert.Matches(@"^deconv\s+PointwiseConv 1x1 s1 12->56 PRelu.* then SubPixelConv 5x5 s1 56->4 pad 2,2,2,2 Replicate shuffle x2 Crd\s+act6 \[12x11x13\] -> y_sr \[1x22x26\]$", lines[6]);
        Assert.Equal("output y_sr [1x22x26]", lines[7]);
    }

    [Fact]
    public void UnfusedGraphHasOneNodePerOperator()
    {
        string model = SharedData.FsrcnnModel("FSRCNN_x2.onnx");
        var run = CliErrorTests.Rtup("models", "--graph", model, "--unfused");
        Assert.True(run.Code == 0, run.Err);
        var lines = Lines(run.Out);
        Assert.Equal(GraphListing.Lines(ModelDefinition.Import(model), new TensorShape(1, 64, 64)), lines);
        Assert.Contains(lines, l => l.StartsWith("pad1 ", StringComparison.Ordinal) && l.Contains("Pad 2,2,2,2 Replicate", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains("ConvTranspose2d 9x9 s2 56->1", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains("Activation PRelu", StringComparison.Ordinal));
    }

    [Fact]
    public void UnknownModelIsAOneLineError()
    {
        var run = CliErrorTests.Rtup("models", "--graph", "no-such-model");
        Assert.Equal(CliErrors.Failed, run.Code);
        Assert.StartsWith("rtup: ", run.Err);
        Assert.Contains("no-such-model", run.Err);
        Assert.DoesNotContain("   at ", run.Err);
    }
}
