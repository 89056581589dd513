using RealtimeUpscale.Network;
using RealtimeUpscale.Network.Passes;
using Xunit;
using static RealtimeUpscale.Tests.Passes.PassGraphs;

namespace RealtimeUpscale.Tests.Passes;

public sealed class PadIntoConvolutionTests
{
    private readonly PadIntoConvolution _pass = new();

    [Fact]
    public void ZeroPadAddsToTheConvolutionsOwnZeroPadding()
    {
        var rng = new Random(1);
        var before = Graph(3,
            Node("pad", new PadSpec(3, new Padding(1, 2, 0, 1), PaddingMode.Zeros), "x"),
            Node("conv", Conv(rng, 3, 4, 3, Padding.All(1)), "pad"));
        var after = ApplyAndCompare(_pass, before);
        var conv = Assert.IsType<Conv2dSpec>(Assert.Single(after.Nodes).Spec);
        Assert.Equal(new Padding(2, 3, 1, 2), conv.Padding);
        Assert.Equal(new[] { "x" }, after.Nodes[0].Inputs);
        Assert.Equal("conv", after.Nodes[0].Name);
    }

    [Theory]
    [InlineData(PaddingMode.Replicate)]
    [InlineData(PaddingMode.Reflect)]
    public void PadOfAnyModeBecomesThePaddingOfAnUnpaddedConvolution(PaddingMode mode)
    {
        var rng = new Random(2);
        var before = Graph(2,
            Node("pad", new PadSpec(2, new Padding(2, 1, 2, 1), mode), "x"),
            Node("conv", Conv(rng, 2, 3, 5, activation: Activation.Relu), "pad"));
        var conv = Assert.IsType<Conv2dSpec>(Assert.Single(ApplyAndCompare(_pass, before).Nodes).Spec);
        Assert.Equal(mode, conv.PaddingMode);
        Assert.Equal(new Padding(2, 1, 2, 1), conv.Padding);
    }

    [Fact]
    public void PadBecomesTheInputPaddingOfATransposedConvolution()
    {
        var rng = new Random(3);
        var before = Graph(2,
            Node("pad", new PadSpec(2, Padding.All(1), PaddingMode.Replicate), "x"),
            Node("deconv", Deconv(rng, 2, 3, 4, 2, Padding.All(3)), "pad"));
        var t = Assert.IsType<ConvTranspose2dSpec>(Assert.Single(ApplyAndCompare(_pass, before).Nodes).Spec);
        Assert.Equal(Padding.All(1), t.InputPadding);
        Assert.Equal(PaddingMode.Replicate, t.InputPaddingMode);
    }

    [Theory]
    [InlineData(PaddingMode.Reflect, PaddingMode.Reflect)]  // reflecting twice is not reflecting by the sum
    [InlineData(PaddingMode.Replicate, PaddingMode.Zeros)]  // one layer pads one way
    public void PadOfAModeTheConvolutionCannotAddToRunsAsAnIdentityConvolution(PaddingMode padMode, PaddingMode convMode)
    {
        var rng = new Random(4);
        var before = Graph(3,
            Node("pad", new PadSpec(3, Padding.All(1), padMode), "x"),
            Node("conv", Conv(rng, 3, 2, 3, Padding.All(1), convMode), "pad"));
        var after = ApplyAndCompare(_pass, before);
        AssertKinds(after, typeof(Conv2dSpec), typeof(Conv2dSpec));
        var identity = (Conv2dSpec)after.Nodes[0].Spec;
        Assert.Equal((1, 1, 3, 3), (identity.KernelH, identity.KernelW, identity.Groups, identity.OutChannels));
        Assert.Equal(padMode, identity.PaddingMode);
        Assert.Equal(Padding.All(1), ((Conv2dSpec)after.Nodes[1].Spec).Padding);
    }

    [Fact]
    public void PadReadTwiceIsNotFused()
    {
        var rng = new Random(5);
        var before = Graph(2,
            Node("pad", new PadSpec(2, Padding.All(2), PaddingMode.Replicate), "x"),
            Node("a", Conv(rng, 2, 2, 3), "pad"),
            Node("b", Conv(rng, 2, 2, 3), "pad"),
            Node("sum", new BinarySpec(BinaryOperator.Add), "a", "b"));
        var after = ApplyAndCompare(_pass, before);
        AssertKinds(after, typeof(Conv2dSpec), typeof(Conv2dSpec), typeof(Conv2dSpec), typeof(BinarySpec));
        Assert.Equal(default, ((Conv2dSpec)after.Nodes[1].Spec).Padding);
    }

    [Fact]
    public void PadBeforeAnUpsampleRunsAsAnIdentityConvolution()
    {
        var before = Graph(2,
            Node("pad", new PadSpec(2, new Padding(0, 1, 2, 3), PaddingMode.Reflect), "x"),
            Node("up", UpsampleSpec.By(UpsampleMode.Bilinear, 2), "pad"));
        var after = ApplyAndCompare(_pass, before);
        AssertKinds(after, typeof(Conv2dSpec), typeof(UpsampleSpec));
    }
}
