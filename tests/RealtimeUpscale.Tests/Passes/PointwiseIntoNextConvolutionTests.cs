using RealtimeUpscale.Network;
using RealtimeUpscale.Network.Passes;
using Xunit;
using static RealtimeUpscale.Tests.Passes.PassGraphs;

namespace RealtimeUpscale.Tests.Passes;

public sealed class PointwiseIntoNextConvolutionTests
{
    private readonly PointwiseIntoNextConvolution _pass = new();

    [Fact]
    public void ExpandingPointwiseFusesIntoTheSubPixelHeadAfterIt()
    {
        var rng = new Random(1);
        // FSRCNN's last mapping layer, its expanding 1x1 and its deconvolution as the lowering leaves it.
        var deconv = Deconv(rng, 56, 1, 9, 2, Padding.All(4), outputPadding: 1);
        var head = StridedDeconvToSubPixel.TryLower(deconv)!;
        var before = Graph(12,
            Node("conv6", Conv(rng, 12, 12, 3, Padding.All(1), PaddingMode.Replicate, Slopes(rng, 12)), "x"),
            Node("conv7", Conv(rng, 12, 56, 1, activation: Slopes(rng, 56)), "conv6"),
            Node("deconv", head, "conv7"));
        var after = ApplyAndCompare(_pass, before);
        AssertKinds(after, typeof(Conv2dSpec), typeof(PointwiseConvSpec));
        var fused = (PointwiseConvSpec)after.Nodes[1].Spec;
        Assert.Equal(("deconv", "deconv"), (after.Nodes[1].Name, after.Nodes[1].Output));
        Assert.Equal(new[] { "conv6" }, after.Nodes[1].Inputs);
        Assert.Equal((12, 56), (fused.Pointwise.InChannels, fused.Pointwise.OutChannels));
        Assert.Same(head, fused.Conv);
        // The tiler reasons about the layer that runs: the fused graph reaches as far and shrinks by as much.
        Assert.Equal(before.ReceptiveRadius(), after.ReceptiveRadius());
        Assert.True(after.ConservativeRadius() >= before.ConservativeRadius());
        Assert.Equal(before.DownsamplingStride(), after.DownsamplingStride());
    }

    [Fact]
    public void ExpandingPointwiseFusesIntoAPlainConvolutionWithItsActivation()
    {
        var rng = new Random(2);
        var before = Graph(3,
            Node("pw", Conv(rng, 3, 10, 1, activation: Activation.Sigmoid), "x"),
            Node("conv", Conv(rng, 10, 5, 3, Padding.All(1), PaddingMode.Reflect, Activation.Relu), "pw"));
        AssertKinds(ApplyAndCompare(_pass, before), typeof(PointwiseConvSpec));
    }

    [Fact]
    public void PointwiseThatDoesNotFitOrPayStaysApart()
    {
        var rng = new Random(3);
        foreach (var (pw, conv, channels) in new[]
        {
            (Conv(rng, 12, 12, 1), Conv(rng, 12, 4, 3, Padding.All(1)), 12),                 // not expanding
            (Conv(rng, 4, 24, 1), Conv(rng, 24, 17, 3, Padding.All(1)), 4),                  // more outputs than one block holds
            (Conv(rng, 20, 40, 1), Conv(rng, 40, 4, 3, Padding.All(1)), 20),                 // too many channels to hold
            (Conv(rng, 4, 24, 1, Padding.All(1)), Conv(rng, 24, 4, 3, Padding.All(1)), 4),   // a padded 1x1
            (Conv(rng, 4, 24, 3, Padding.All(1)), Conv(rng, 24, 4, 3, Padding.All(1)), 4),   // not a 1x1
            (Conv(rng, 4, 24, 1), Conv(rng, 24, 4, 3, Padding.All(1), groups: 2), 4),        // a grouped convolution
            (Conv(rng, 4, 24, 1) with { StrideY = 2, StrideX = 2 }, Conv(rng, 24, 4, 3, Padding.All(1)), 4),
        })
        {
            var before = Graph(channels, Node("a", pw, "x"), Node("b", conv, "a"));
            Assert.Same(before, ApplyAndCompare(_pass, before));
        }
    }

    [Fact]
    public void PointwiseOutputReadTwiceIsNotFusedAway()
    {
        var rng = new Random(4);
        var before = Graph(2,
            Node("pw", Conv(rng, 2, 16, 1), "x"),
            Node("a", Conv(rng, 16, 3, 3, Padding.All(1)), "pw"),
            Node("b", Conv(rng, 16, 3, 3, Padding.All(1)), "pw"),
            Node("sum", new BinarySpec(BinaryOperator.Add), "a", "b"));
        Assert.Same(before, ApplyAndCompare(_pass, before));
    }

    [Fact]
    public void AConvolutionAddingAResidualKeepsThatFusion()
    {
        var rng = new Random(5);
        var before = Graph(3,
            Node("pw", Conv(rng, 3, 12, 1, activation: Activation.Relu), "x"),
            Node("conv", Conv(rng, 12, 3, 3, Padding.All(1)), "pw"),
            Node("sum", new BinarySpec(BinaryOperator.Add), "conv", "x"));
        var optimised = GraphOptimizer.Optimize(before);
        AssertKinds(optimised, typeof(Conv2dSpec), typeof(ResidualConvSpec));
        SameOutputs(before, optimised);
    }
}
