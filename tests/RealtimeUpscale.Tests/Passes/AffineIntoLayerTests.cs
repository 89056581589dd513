using RealtimeUpscale.Network;
using RealtimeUpscale.Network.Passes;
using Xunit;
using static RealtimeUpscale.Tests.Passes.PassGraphs;

namespace RealtimeUpscale.Tests.Passes;

public sealed class AffineIntoLayerTests
{
    private readonly AffineIntoLayer _pass = new();

    public static TheoryData<string> Layers() => new() { "conv", "grouped deconv", "subpixel crd", "subpixel dcr", "resizeconv", "affine" };

    private static LayerSpec Layer(string kind, Random rng) => kind switch
    {
        "conv" => Conv(rng, 3, 4, 3, Padding.All(1)),
        "grouped deconv" => Deconv(rng, 2, 4, 4, 2, Padding.All(1), groups: 2),
        "subpixel crd" => new SubPixelConvSpec(Conv(rng, 3, 16, 3, Padding.All(1)), new PixelShuffleSpec(2)),
        "subpixel dcr" => new SubPixelConvSpec(Conv(rng, 3, 16, 3, Padding.All(1)), new PixelShuffleSpec(2, DepthToSpaceOrder.Dcr)),
        "resizeconv" => new ResizeConvSpec(UpsampleSpec.By(UpsampleMode.Bilinear, 2), Conv(rng, 3, 4, 3, Padding.All(1))),
        _ => Affine(rng, 3),
    };

    [Theory]
    [MemberData(nameof(Layers))]
    public void AffineFoldsIntoTheLayerBefore(string kind)
    {
        var rng = new Random(kind.Length);
        var layer = Layer(kind, rng);
        int inC = kind == "grouped deconv" ? 2 : 3;
        int outC = kind == "affine" ? 3 : 4;
        var before = Graph(inC, Node("layer", layer, "x"), Node("bn", Affine(rng, outC), "layer"));
        var after = ApplyAndCompare(_pass, before, kind.Length);
        var node = Assert.Single(after.Nodes);
        Assert.Equal(layer.GetType(), node.Spec.GetType());
        Assert.Equal(("layer", "bn"), (node.Name, node.Output));
    }

    [Fact]
    public void ChainOfAffineMapsFoldsIntoOneConvolution()
    {
        var rng = new Random(9);
        var before = Graph(2,
            Node("conv", Conv(rng, 2, 3, 3), "x"),
            Node("bn", Affine(rng, 3), "conv"),
            Node("add", new ScaleBiasSpec(new[] { 1f, 1f, 1f }, HostTensor.RandomFloats(rng, 3)), "bn"));
        AssertKinds(ApplyAndCompare(_pass, before), typeof(Conv2dSpec));
    }

    [Fact]
    public void AffineAfterALayerWithAnActivationStays()
    {
        var rng = new Random(10);
        var before = Graph(2,
            Node("conv", Conv(rng, 2, 3, 3, activation: Activation.Relu), "x"),
            Node("bn", Affine(rng, 3), "conv"));
        Assert.Same(before, ApplyAndCompare(_pass, before));
    }

    [Fact]
    public void AffineOfTheInputOrOfAValueReadTwiceStays()
    {
        var rng = new Random(11);
        var before = Graph(2,
            Node("scale", Affine(rng, 2), "x"),
            Node("conv", Conv(rng, 2, 2, 3, Padding.All(1)), "scale"),
            Node("bn", Affine(rng, 2), "conv"),
            Node("skip", new BinarySpec(BinaryOperator.Sub), "bn", "conv"));
        Assert.Same(before, ApplyAndCompare(_pass, before));
    }
}
