using RealtimeUpscale.Network;
using RealtimeUpscale.Network.Passes;
using RealtimeUpscale.Tests.Ncnn;
using Xunit;
using static RealtimeUpscale.Tests.Passes.PassGraphs;

namespace RealtimeUpscale.Tests.Passes;

public sealed class ResidualIntoConvolutionTests
{
    private readonly ResidualIntoConvolution _pass = new();

    private static UpsampleSpec Bicubic2 => new() { Mode = UpsampleMode.Bicubic, ScaleY = 2, ScaleX = 2 };

    /// <summary>subpixel_x2's shape: a residual block over the first layer's output, a sub-pixel head, the bicubic input added.</summary>
    private static ModelDefinition Sesr(Random rng, int channels = 1) => Graph(channels,
        Node("first", Conv(rng, channels, 8, 5, Padding.All(2), PaddingMode.Replicate, Slopes(rng, 8)), "x"),
        Node("l0", Conv(rng, 8, 8, 3, Padding.All(1), PaddingMode.Replicate, Slopes(rng, 8)), "first"),
        Node("l1", Conv(rng, 8, 8, 3, Padding.All(1), PaddingMode.Replicate, Slopes(rng, 8)), "l0"),
        Node("add", new BinarySpec(BinaryOperator.Add), "l1", "first"),
        Node("head", new SubPixelConvSpec(Conv(rng, 8, 4 * channels, 3, Padding.All(1), PaddingMode.Replicate), new PixelShuffleSpec(2)), "add"),
        Node("resize", Bicubic2, "x"),
        Node("out", new BinarySpec(BinaryOperator.Add), "head", "resize"));

    [Fact]
    public void ResidualBlockAndBicubicInputFuseIntoTheConvolutions()
    {
        var before = Sesr(new Random(1));
        var after = ApplyAndCompare(_pass, before);
        AssertKinds(after, typeof(Conv2dSpec), typeof(Conv2dSpec), typeof(ResidualConvSpec), typeof(ResidualConvSpec));
        var block = after.Nodes[2];
        Assert.Equal(("l1", "add"), (block.Name, block.Output));
        Assert.Equal(new[] { "l0", "first" }, block.Inputs);
        Assert.Null(((ResidualConvSpec)block.Spec).Upsample);
        var head = after.Nodes[3];
        Assert.Equal(("head", "out"), (head.Name, head.Output));
        Assert.Equal(new[] { "add", "x" }, head.Inputs);
        var fused = (ResidualConvSpec)head.Spec;
        Assert.IsType<SubPixelConvSpec>(fused.Conv);
        Assert.Equal(UpsampleMode.Bicubic, fused.Upsample!.Mode);
    }

    [Fact]
    public void OperandsInEitherOrderFuse()
    {
        var rng = new Random(2);
        var before = Graph(3,
            Node("up", Bicubic2, "x"),
            Node("conv", new ResizeConvSpec(new UpsampleSpec { Mode = UpsampleMode.Nearest }, Conv(rng, 3, 3, 3, Padding.All(1))), "x"),
            Node("sum", new BinarySpec(BinaryOperator.Add), "up", "conv"));
        var after = ApplyAndCompare(_pass, before);
        AssertKinds(after, typeof(ResidualConvSpec));
        Assert.Equal(new[] { "x", "x" }, after.Nodes[0].Inputs);
    }

    [Fact]
    public void LoweredDeconvolutionTakesTheBicubicInput()
    {
        // deconv_x2's head after the optimizer's earlier passes: the transposed convolution as a sub-pixel convolution.
        var rng = new Random(3);
        var lowered = StridedDeconvToSubPixel.TryLower(Deconv(rng, 6, 1, 9, 2, Padding.All(4), outputPadding: 1))!;
        var before = Graph(1,
            Node("body", Conv(rng, 1, 6, 3, Padding.All(1), activation: Slopes(rng, 6)), "x"),
            Node("head", lowered, "body"),
            Node("resize", Bicubic2, "x"),
            Node("out", new BinarySpec(BinaryOperator.Add), "resize", "head"));
        AssertKinds(ApplyAndCompare(_pass, before), typeof(Conv2dSpec), typeof(ResidualConvSpec));
    }

    [Fact]
    public void CroppedSkipConnectionIsReadInPlace()
    {
        // Real-CUGAN's U-Net: valid convolutions, then the earlier value cropped to the later one's size and added.
        // The crop read only by the addition goes into the fused layer; one read twice stays a node.
        var rng = new Random(7);
        var before = Graph(3,
            Node("a", Conv(rng, 3, 8, 3, Padding.All(1)), "x"),
            Node("b", Conv(rng, 8, 4, 3, activation: Slopes(rng, 4)), "a"),
            Node("skip", new CropSpec(1, 1, 1, 1, ChannelStart: 3, ChannelCount: 4), "a"),
            Node("sum", new BinarySpec(BinaryOperator.Add), "b", "skip"),
            Node("c", Conv(rng, 4, 4, 3), "sum"),
            Node("twice", new CropSpec(1, 1, 1, 1), "sum"),
            Node("sum2", new BinarySpec(BinaryOperator.Add), "twice", "c"),
            Node("out", new BinarySpec(BinaryOperator.Mul), "sum2", "twice"));
        var after = ApplyAndCompare(_pass, before);
        AssertKinds(after, typeof(Conv2dSpec), typeof(ResidualConvSpec), typeof(CropSpec), typeof(ResidualConvSpec), typeof(BinarySpec));
        var fused = (ResidualConvSpec)after.Nodes[1].Spec;
        Assert.Equal(new CropSpec(1, 1, 1, 1, ChannelStart: 3, ChannelCount: 4), fused.Crop);
        Assert.Equal(new[] { "a", "a" }, after.Nodes[1].Inputs);
        Assert.Null(((ResidualConvSpec)after.Nodes[3].Spec).Crop);
        Assert.Equal(new[] { "sum", "twice" }, after.Nodes[3].Inputs);
    }

    [Fact]
    public void CropToTheConvolutionsOwnOutputIsReadInPlace()
    {
        // waifu2x cunet's skip connections: Crop(earlier, reference = the up-step's output) + that output. The
        // reference is read for its shape only, so the convolution's output, the crop and the sum all go. A crop to
        // a reference whose margin changes with the size (a stride-2 value's) stays a node, added as it is.
        var rng = new Random(8);
        var before = Graph(3,
            Node("a", Conv(rng, 3, 6, 3, Padding.All(1)), "x"),
            Node("b", Conv(rng, 6, 6, 3), "a"),
            Node("c", Conv(rng, 6, 4, 3, activation: Slopes(rng, 4)), "b"),
            Node("skip", new CropToSpec(2, 2, ChannelStart: 1), "a", "c"),
            Node("sum", new BinarySpec(BinaryOperator.Add), "skip", "c"),
            Node("half", Conv(rng, 4, 4, 3, Padding.All(1)) with { StrideY = 2, StrideX = 2 }, "sum"),
            Node("d", Conv(rng, 4, 4, 1), "half"),
            Node("moving", new CropToSpec(0, 0), "sum", "half"),
            Node("out", new BinarySpec(BinaryOperator.Add), "moving", "d"));
        var after = ApplyAndCompare(_pass, before);
        AssertKinds(after, typeof(Conv2dSpec), typeof(Conv2dSpec), typeof(ResidualConvSpec), typeof(Conv2dSpec), typeof(CropToSpec), typeof(ResidualConvSpec));
        var fused = after.Nodes[2];
        Assert.Equal(("c", "sum"), (fused.Name, fused.Output));
        Assert.Equal(new[] { "b", "a" }, fused.Inputs);
        Assert.Equal(new CropSpec(2, 2, 2, 2, ChannelStart: 1, ChannelCount: 4), ((ResidualConvSpec)fused.Spec).Crop);
        Assert.Null(((ResidualConvSpec)after.Nodes[5].Spec).Crop);
        Assert.Equal(new[] { "half", "moving" }, after.Nodes[5].Inputs);
    }

    [Fact]
    public void CropToAnotherValuesSizeWithFixedMarginsIsReadInPlace()
    {
        // The reference is a value that stays (read again later): the crop becomes the fused residual's window.
        var rng = new Random(9);
        var before = Graph(2,
            Node("a", Conv(rng, 2, 5, 3, Padding.All(1)), "x"),
            Node("b", Conv(rng, 5, 5, 3), "a"),
            Node("c", Conv(rng, 5, 5, 3), "a"),
            Node("skip", new CropToSpec(1, 1), "a", "c"),
            Node("sum", new BinarySpec(BinaryOperator.Add), "b", "skip"),
            Node("out", new BinarySpec(BinaryOperator.Mul), "sum", "c"));
        var after = ApplyAndCompare(_pass, before);
        AssertKinds(after, typeof(Conv2dSpec), typeof(Conv2dSpec), typeof(ResidualConvSpec), typeof(BinarySpec));
        Assert.Equal(new[] { "a", "a" }, after.Nodes[2].Inputs);
        Assert.Equal(new CropSpec(1, 1, 1, 1), ((ResidualConvSpec)after.Nodes[2].Spec).Crop);
    }

    [Fact]
    public void UpsampleReadTwiceStaysAndIsAddedAsItIs()
    {
        var rng = new Random(4);
        var before = Graph(1,
            Node("head", new SubPixelConvSpec(Conv(rng, 1, 4, 3, Padding.All(1)), new PixelShuffleSpec(2)), "x"),
            Node("resize", Bicubic2, "x"),
            Node("sum", new BinarySpec(BinaryOperator.Add), "head", "resize"),
            Node("out", new BinarySpec(BinaryOperator.Mul), "sum", "resize"));
        var after = ApplyAndCompare(_pass, before);
        AssertKinds(after, typeof(UpsampleSpec), typeof(ResidualConvSpec), typeof(BinarySpec));
        Assert.Null(((ResidualConvSpec)after.Nodes[1].Spec).Upsample);
        Assert.Equal(new[] { "x", "resize" }, after.Nodes[1].Inputs);
    }

    [Fact]
    public void ConvolutionOutputReadTwiceOrAsTheOutputIsNotFusedAway()
    {
        var rng = new Random(5);
        var readTwice = Graph(2,
            Node("a", Conv(rng, 2, 2, 3, Padding.All(1)), "x"),
            Node("b", Conv(rng, 2, 2, 1), "a"),
            Node("sum", new BinarySpec(BinaryOperator.Add), "a", "x"),
            Node("out", new BinarySpec(BinaryOperator.Add), "sum", "b"));
        // "a" is read twice; "b" by the last addition only, so that one fuses.
        var after = ApplyAndCompare(_pass, readTwice);
        AssertKinds(after, typeof(Conv2dSpec), typeof(BinarySpec), typeof(ResidualConvSpec));

        var conv = Node("a", Conv(rng, 2, 2, 3, Padding.All(1)), "x");
        var add = Node("sum", new BinarySpec(BinaryOperator.Add), "a", "x");
        var outputIsTheConvolution = new ModelDefinition(Info(2), "x", "a", new[] { conv, add });
        Assert.Same(outputIsTheConvolution, _pass.Apply(outputIsTheConvolution));
    }

    [Fact]
    public void AdditionsThatDoNotFitStayNodes()
    {
        var rng = new Random(6);
        foreach (var before in new[]
        {
            // An activation after the sum would have to follow the addition.
            Graph(2, Node("a", Conv(rng, 2, 2, 3, Padding.All(1)), "x"), Node("s", new BinarySpec(BinaryOperator.Add, Activation.Relu), "a", "x")),
            // Not an addition.
            Graph(2, Node("a", Conv(rng, 2, 2, 3, Padding.All(1)), "x"), Node("s", new BinarySpec(BinaryOperator.Sub), "a", "x")),
            // Broadcast: a per-channel residual, and a convolution to one channel added to two.
            Graph(2, Node("a", Conv(rng, 2, 2, 3, Padding.All(1)), "x"), Node("p", new Pool2dSpec { Global = true, Mode = PoolMode.Average }, "x"),
                Node("s", new BinarySpec(BinaryOperator.Add), "a", "p")),
            Graph(2, Node("a", Conv(rng, 2, 1, 3, Padding.All(1)), "x"), Node("s", new BinarySpec(BinaryOperator.Add), "a", "x")),
            // A transposed convolution that is not lowered is not a convolution this fusion takes.
            Graph(2, Node("a", Deconv(rng, 2, 2, 3, 1, Padding.All(1)), "x"), Node("s", new BinarySpec(BinaryOperator.Add), "a", "x")),
        })
        {
            Assert.Same(before, ApplyAndCompare(_pass, before));
        }
    }

    [Fact]
    public void OptimizerFusesCunetsSkipConnectionsAndScales()
    {
        // All four of cunet's crop-and-add skip connections go into the convolutions, and with them the products of
        // its squeeze-excitation blocks (one read by a strided convolution and a skip connection). Its numbers
        // against the PyTorch reference: NcnnGoldenTests.
        var optimized = ModelDefinition.Load(NcnnImportTests.PeerModel("waifu2x", "models-cunet", "noise0_scale2.0x_model.param"));
        Assert.DoesNotContain(optimized.Nodes, n => n.Spec is BinarySpec or CropToSpec or CropSpec);
        Assert.Equal(4, optimized.Nodes.Count(n => ChannelScaledConvSpec.Unscaled(n.Spec) is ResidualConvSpec { Crop: not null }));
    }

    [Fact]
    public void OptimizerFusesTheBundledModelsResiduals()
    {
        foreach (var name in new[] { "subpixel_x2.onnx", "deconv_x2.onnx", "resizeconv_x2.onnx", "subpixel_rgb_x2.onnx" })
        {
            var imported = ModelDefinition.Import(Path.Combine(SharedData.RepositoryRoot, "models", name));
            var optimized = GraphOptimizer.Optimize(imported);
            Assert.DoesNotContain(optimized.Nodes, n => n.Spec is BinarySpec or UpsampleSpec);
            Assert.Equal(2, optimized.Nodes.Count(n => n.Spec is ResidualConvSpec));
            Assert.Single(optimized.Nodes, n => n.Spec is ResidualConvSpec { Upsample.Mode: UpsampleMode.Bicubic });
            SameOutputs(imported, optimized);
        }
    }
}
