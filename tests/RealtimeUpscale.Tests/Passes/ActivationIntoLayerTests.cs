using RealtimeUpscale.Network;
using RealtimeUpscale.Network.Passes;
using Xunit;
using static RealtimeUpscale.Tests.Passes.PassGraphs;

namespace RealtimeUpscale.Tests.Passes;

public sealed class ActivationIntoLayerTests
{
    private readonly ActivationIntoLayer _pass = new();

    [Theory]
    [InlineData("conv")]
    [InlineData("deconv")]
    [InlineData("subpixel crd")]
    [InlineData("subpixel dcr")]
    [InlineData("resizeconv")]
    [InlineData("affine")]
    public void PerChannelPReluFusesIntoTheLayerBefore(string kind)
    {
        var rng = new Random(kind.Length * 3);
        LayerSpec layer = kind switch
        {
            "conv" => Conv(rng, 3, 4, 3, Padding.All(1)),
            "deconv" => Deconv(rng, 3, 4, 3, 2, Padding.All(1), outputPadding: 1),
            "subpixel crd" => new SubPixelConvSpec(Conv(rng, 3, 16, 3, Padding.All(1)), new PixelShuffleSpec(2)),
            "subpixel dcr" => new SubPixelConvSpec(Conv(rng, 3, 16, 3, Padding.All(1)), new PixelShuffleSpec(2, DepthToSpaceOrder.Dcr)),
            "resizeconv" => new ResizeConvSpec(UpsampleSpec.By(UpsampleMode.Nearest, 2), Conv(rng, 3, 4, 3, Padding.All(1))),
            _ => Affine(rng, 3),
        };
        int outC = kind == "affine" ? 3 : 4;
        // Slopes above 1 and below 0 make any misplaced slope visible in the numbers.
        var prelu = Activation.PRelu(HostTensor.RandomFloats(rng, outC, -2, 2));
        var before = Graph(3, Node("layer", layer, "x"), Node("act", new ActivationSpec(outC, prelu), "layer"));
        var after = ApplyAndCompare(_pass, before, kind.Length);
        var node = Assert.Single(after.Nodes);
        Assert.Equal(layer.GetType(), node.Spec.GetType());
        Assert.Equal(("layer", "act"), (node.Name, node.Output));
    }

    [Fact]
    public void ActivationFusesIntoABinaryOperation()
    {
        var rng = new Random(5);
        var before = Graph(2,
            Node("conv", Conv(rng, 2, 2, 3, Padding.All(1)), "x"),
            Node("sum", new BinarySpec(BinaryOperator.Add), "conv", "x"),
            Node("act", new ActivationSpec(2, Activation.LeakyRelu(0.2f)), "sum"));
        var after = ApplyAndCompare(_pass, before);
        AssertKinds(after, typeof(Conv2dSpec), typeof(BinarySpec));
        Assert.Equal(ActivationKind.LeakyRelu, ((BinarySpec)after.Nodes[1].Spec).Activation.Kind);
    }

    [Fact]
    public void ActivationAfterALayerWithAnActivationRunsAsAUnitScaleBias()
    {
        var rng = new Random(6);
        var before = Graph(2,
            Node("conv", Conv(rng, 2, 3, 3, activation: Activation.Tanh), "x"),
            Node("clip", new ActivationSpec(3, Activation.Clip(-0.2f, 0.3f)), "conv"));
        var after = ApplyAndCompare(_pass, before);
        AssertKinds(after, typeof(Conv2dSpec), typeof(ScaleBiasSpec));
        var sb = (ScaleBiasSpec)after.Nodes[1].Spec;
        Assert.All(sb.Scale, s => Assert.Equal(1f, s));
        Assert.All(sb.Bias, b => Assert.Equal(0f, b));
        Assert.Equal(ActivationKind.Clip, sb.Activation.Kind);
    }

    [Fact]
    public void ActivationOfAValueReadTwiceOrAfterAShuffleOrOfTheInputStays()
    {
        var rng = new Random(7);
        var before = Graph(1,
            Node("relu", new ActivationSpec(1, Activation.Relu), "x"),
            Node("conv", Conv(rng, 1, 4, 3, Padding.All(1)), "relu"),
            Node("sig", new ActivationSpec(4, Activation.Sigmoid), "conv"),
            Node("d2s", new PixelShuffleSpec(2), "conv"),
            Node("tanh", new ActivationSpec(1, Activation.Tanh), "d2s"),
            Node("d2s2", new PixelShuffleSpec(2), "sig"),
            Node("sum", new BinarySpec(BinaryOperator.Add), "tanh", "d2s2"));
        var after = ApplyAndCompare(_pass, before);
        AssertKinds(after, typeof(ScaleBiasSpec), typeof(Conv2dSpec), typeof(ScaleBiasSpec), typeof(PixelShuffleSpec),
            typeof(ScaleBiasSpec), typeof(PixelShuffleSpec), typeof(BinarySpec));
    }
}
