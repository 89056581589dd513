using RealtimeUpscale.Network;
using RealtimeUpscale.Network.Passes;
using Xunit;
using static RealtimeUpscale.Tests.Passes.PassGraphs;

namespace RealtimeUpscale.Tests.Passes;

public sealed class DepthToSpaceIntoConvolutionTests
{
    private readonly DepthToSpaceIntoConvolution _pass = new();

    [Theory]
    [InlineData(DepthToSpaceOrder.Crd, 2)]
    [InlineData(DepthToSpaceOrder.Dcr, 3)]
    public void ConvolutionThenDepthToSpaceBecomesASubPixelConvolution(DepthToSpaceOrder order, int r)
    {
        var rng = new Random(r);
        // The convolution's own per-channel PReLU applies before the shuffle, to its 2 r^2 channels.
        var before = Graph(3,
            Node("conv", Conv(rng, 3, 2 * r * r, 3, Padding.All(1), activation: Slopes(rng, 2 * r * r)), "x"),
            Node("d2s", new PixelShuffleSpec(r, order), "conv"));
        var after = ApplyAndCompare(_pass, before);
        var node = Assert.Single(after.Nodes);
        var sp = Assert.IsType<SubPixelConvSpec>(node.Spec);
        Assert.Equal(order, sp.Shuffle.Order);
        Assert.Equal(("conv", "d2s"), (node.Name, node.Output));
    }

    [Fact]
    public void ConvolutionOutputReadTwiceIsNotShuffledAway()
    {
        var rng = new Random(3);
        var before = Graph(1,
            Node("conv", Conv(rng, 1, 4, 3, Padding.All(1)), "x"),
            Node("d2s", new PixelShuffleSpec(2), "conv"),
            Node("d2s2", new PixelShuffleSpec(2, DepthToSpaceOrder.Dcr), "conv"),
            Node("sum", new BinarySpec(BinaryOperator.Add), "d2s", "d2s2"));
        Assert.Same(before, ApplyAndCompare(_pass, before));
    }

    [Fact]
    public void DepthToSpaceAfterATransposedConvolutionStays()
    {
        var rng = new Random(4);
        var before = Graph(2,
            Node("deconv", Deconv(rng, 2, 4, 3, 1, Padding.All(1)), "x"),
            Node("d2s", new PixelShuffleSpec(2), "deconv"));
        Assert.Same(before, ApplyAndCompare(_pass, before));
    }
}
