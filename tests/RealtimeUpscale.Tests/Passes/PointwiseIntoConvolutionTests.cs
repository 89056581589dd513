using RealtimeUpscale.Network;
using RealtimeUpscale.Network.Passes;
using Xunit;
using static RealtimeUpscale.Tests.Passes.PassGraphs;

namespace RealtimeUpscale.Tests.Passes;

public sealed class PointwiseIntoConvolutionTests
{
    private readonly PointwiseIntoConvolution _pass = new();

    [Fact]
    public void ShrinkingPointwiseFusesIntoTheConvolutionBeforeIt()
    {
        var rng = new Random(1);
        // FSRCNN's feature extraction and shrinking, each with its per-channel PReLU.
        var before = Graph(1,
            Node("conv1", Conv(rng, 1, 56, 5, Padding.All(2), PaddingMode.Replicate, Slopes(rng, 56)), "x"),
            Node("conv2", Conv(rng, 56, 12, 1, activation: Slopes(rng, 12)), "conv1"),
            Node("conv3", Conv(rng, 12, 12, 3, Padding.All(1), PaddingMode.Replicate, Slopes(rng, 12)), "conv2"));
        var after = ApplyAndCompare(_pass, before);
        AssertKinds(after, typeof(ConvPointwiseSpec), typeof(Conv2dSpec));
        var fused = (ConvPointwiseSpec)after.Nodes[0].Spec;
        Assert.Equal(("conv1", "conv2"), (after.Nodes[0].Name, after.Nodes[0].Output));
        Assert.Equal((56, 12), (fused.Conv.OutChannels, fused.Pointwise.OutChannels));
        Assert.Equal(new[] { "conv2" }, after.Nodes[1].Inputs);
    }

    [Fact]
    public void ShrinkAfterAPaddedConvolutionWithSigmoidKeepsBothActivations()
    {
        var rng = new Random(2);
        // 20 channels: not a multiple of the kernel's channel blocks.
        var before = Graph(3,
            Node("conv", Conv(rng, 3, 20, 3, Padding.All(1), PaddingMode.Reflect, Activation.Sigmoid), "x"),
            Node("pw", Conv(rng, 20, 5, 1, activation: Activation.Clip(-0.2f, 0.3f)), "conv"));
        AssertKinds(ApplyAndCompare(_pass, before), typeof(ConvPointwiseSpec));
    }

    [Fact]
    public void ExpandingPointwiseStaysApart()
    {
        var rng = new Random(3);
        // FSRCNN's expanding 1x1 after its last mapping layer: the fused kernel would hold the 12 channels and
        // write 56 as before, and measured slower on lavapipe than the two passes.
        var before = Graph(12,
            Node("conv6", Conv(rng, 12, 12, 3, Padding.All(1), PaddingMode.Replicate, Slopes(rng, 12)), "x"),
            Node("conv7", Conv(rng, 12, 56, 1, activation: Slopes(rng, 56)), "conv6"));
        Assert.Same(before, ApplyAndCompare(_pass, before));
    }

    [Fact]
    public void ConvolutionsThatDoNotFitStayApart()
    {
        var rng = new Random(4);
        var strided = Conv(rng, 2, 24, 3, Padding.All(1)) with { StrideY = 2, StrideX = 2 };
        var grouped = Conv(rng, 4, 24, 3, Padding.All(1), groups: 2);
        var padded1x1 = Conv(rng, 24, 4, 1, Padding.All(1));
        var wide = Conv(rng, 2, 64, 3, Padding.All(1));
        foreach (var (first, second, channels) in new[]
        {
            (strided, Conv(rng, 24, 4, 1), 2),
            (grouped, Conv(rng, 24, 4, 1), 4),
            (Conv(rng, 2, 24, 3, Padding.All(1)), padded1x1, 2),
            (Conv(rng, 2, 24, 3, Padding.All(1)), Conv(rng, 24, 4, 3, Padding.All(1)), 2),
            (wide, Conv(rng, 64, 32, 1), 2), // both sides wider than the kernel holds
        })
        {
            var before = Graph(channels, Node("a", first, "x"), Node("b", second, "a"));
            Assert.Same(before, ApplyAndCompare(_pass, before));
        }
    }

    [Fact]
    public void ConvolutionOutputReadTwiceIsNotFusedAway()
    {
        var rng = new Random(5);
        var before = Graph(1,
            Node("conv", Conv(rng, 1, 24, 3, Padding.All(1)), "x"),
            Node("pw", Conv(rng, 24, 4, 1), "conv"),
            Node("pw2", Conv(rng, 24, 4, 1), "conv"),
            Node("sum", new BinarySpec(BinaryOperator.Add), "pw", "pw2"));
        Assert.Same(before, ApplyAndCompare(_pass, before));
    }
}
