using RealtimeUpscale.Network;
using RealtimeUpscale.Network.Passes;
using Xunit;
using static RealtimeUpscale.Tests.Passes.PassGraphs;

namespace RealtimeUpscale.Tests.Passes;

public sealed class UpsampleIntoConvolutionTests
{
    private readonly UpsampleIntoConvolution _pass = new();

    [Theory]
    [InlineData(UpsampleMode.Nearest, 2)]
    [InlineData(UpsampleMode.Bilinear, 3)]
    [InlineData(UpsampleMode.Bicubic, 2)]
    public void UpsampleThenConvolutionBecomesAResizeConvolution(UpsampleMode mode, int scale)
    {
        var rng = new Random(scale);
        var before = Graph(3,
            Node("up", UpsampleSpec.By(mode, scale), "x"),
            Node("conv", Conv(rng, 3, 4, 3, Padding.All(1), PaddingMode.Replicate, Slopes(rng, 4)), "up"));
        var after = ApplyAndCompare(_pass, before);
        var node = Assert.Single(after.Nodes);
        var rc = Assert.IsType<ResizeConvSpec>(node.Spec);
        Assert.Equal(mode, rc.Upsample.Mode);
        Assert.Equal(("conv", "x", "conv"), (node.Name, node.Inputs[0], node.Output));
    }

    [Fact]
    public void UpsampleReadTwiceIsNotFused()
    {
        var rng = new Random(7);
        var before = Graph(2,
            Node("up", UpsampleSpec.By(UpsampleMode.Bilinear, 2), "x"),
            Node("conv", Conv(rng, 2, 2, 3, Padding.All(1)), "up"),
            Node("skip", new BinarySpec(BinaryOperator.Add), "conv", "up"));
        Assert.Same(before, ApplyAndCompare(_pass, before));
    }

    [Fact]
    public void UpsampleBeforeAnythingButAConvolutionStays()
    {
        var rng = new Random(8);
        var before = Graph(2,
            Node("up", UpsampleSpec.By(UpsampleMode.Nearest, 2), "x"),
            Node("deconv", Deconv(rng, 2, 2, 3, 1), "up"));
        Assert.Same(before, ApplyAndCompare(_pass, before));
    }
}
