using RealtimeUpscale.Network;
using RealtimeUpscale.Network.Passes;
using Xunit;
using static RealtimeUpscale.Tests.Passes.PassGraphs;

namespace RealtimeUpscale.Tests.Passes;

public sealed class SliceIntoDeconvolutionTests
{
    private readonly SliceIntoDeconvolution _pass = new();

    [Fact]
    public void CropOfATransposedConvolutionBecomesItsLargerOutputCrop()
    {
        var rng = new Random(1);
        var before = Graph(3,
            Node("deconv", Deconv(rng, 3, 2, 9, 2, new Padding(1, 0, 2, 1), activation: Activation.Tanh), "x"),
            Node("crop", new CropSpec(5, 6, 4, 5, 0, 2), "deconv"));
        var after = ApplyAndCompare(_pass, before);
        var node = Assert.Single(after.Nodes);
        Assert.Equal(new Padding(6, 6, 6, 6), Assert.IsType<ConvTranspose2dSpec>(node.Spec).Padding);
        Assert.Equal(("deconv", "crop"), (node.Name, node.Output));
    }

    [Fact]
    public void CropOfChannelsStays()
    {
        var rng = new Random(2);
        var before = Graph(2,
            Node("deconv", Deconv(rng, 2, 3, 4, 2), "x"),
            Node("crop", new CropSpec(1, 1, 1, 1, 1, 2), "deconv"));
        Assert.Same(before, ApplyAndCompare(_pass, before));
    }

    [Fact]
    public void CropOfAConvolutionOrOfAValueReadTwiceStays()
    {
        var rng = new Random(3);
        var afterConv = Graph(2,
            Node("conv", Conv(rng, 2, 2, 3, Padding.All(2)), "x"),
            Node("crop", new CropSpec(1, 1, 1, 1), "conv"));
        Assert.Same(afterConv, ApplyAndCompare(_pass, afterConv));
        var readTwice = Graph(2,
            Node("deconv", Deconv(rng, 2, 2, 3, 1), "x"),
            Node("crop", new CropSpec(1, 1, 1, 1), "deconv"),
            Node("crop2", new CropSpec(1, 1, 1, 1), "deconv"),
            Node("sum", new BinarySpec(BinaryOperator.Add), "crop", "crop2"));
        Assert.Same(readTwice, ApplyAndCompare(_pass, readTwice));
    }
}
