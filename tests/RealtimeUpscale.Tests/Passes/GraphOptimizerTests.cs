using System.Text.Json;
using RealtimeUpscale.Network;
using RealtimeUpscale.Network.Importers;
using RealtimeUpscale.Network.Importers.Onnx;
using RealtimeUpscale.Network.Passes;
using RealtimeUpscale.Runtime;
using Xunit;

namespace RealtimeUpscale.Tests.Passes;

/// <summary>The importer's plain graph, the optimiser's order, and what it makes of whole models (CPU only).</summary>
public sealed class GraphOptimizerTests
{
    [Fact]
    public void PassesRunInTheDocumentedOrder()
    {
        Assert.Equal(new[]
        {
            typeof(PadIntoConvolution), typeof(UpsampleIntoConvolution), typeof(DepthToSpaceIntoConvolution),
            typeof(SliceIntoDeconvolution), typeof(AffineIntoLayer), typeof(ActivationIntoLayer),
            typeof(StridedDeconvToSubPixel), typeof(PointwiseIntoConvolution), typeof(ResidualIntoConvolution),
            typeof(ChannelScaleIntoConvolution), typeof(PointwiseIntoNextConvolution),
            typeof(DeadNodeElimination),
        }, GraphOptimizer.Passes.Select(p => p.GetType()));
    }

    [Fact]
    public void FsrcnnReleaseOptimisesToFusedConvolutionsAndALoweredDeconvolution()
    {
        string path = SharedData.FsrcnnModel("FSRCNN_x2.onnx");
        var unfused = ModelDefinition.Import(path);
        // One node per ONNX operator: pads, PReLUs, the crop and the bias add each their own.
        Assert.Contains(unfused.Nodes, n => n.Spec is PadSpec);
        Assert.Contains(unfused.Nodes, n => n.Spec is ActivationSpec);
        Assert.Contains(unfused.Nodes, n => n.Spec is CropSpec);
        Assert.Contains(unfused.Nodes, n => n.Spec is ScaleBiasSpec);
        Assert.Single(unfused.Nodes, n => n.Spec is ConvTranspose2dSpec);

        var optimised = GraphOptimizer.Optimize(unfused);
        var stepwise = GraphOptimizer.Passes.Aggregate(unfused, (d, pass) => pass.Apply(d));
        Assert.Equal(Layout(stepwise), Layout(optimised));
        Assert.Equal(Layout(ModelDefinition.Load(path)), Layout(optimised));

        // conv1 (5x5, 1 -> 56) and the shrinking 1x1 (56 -> 12) in one pass; the four mapping layers each a
        // convolution of their own; the expanding 1x1 (12 -> 56) computed by the head as it reads its windows.
        Assert.Equal(6, optimised.Nodes.Count);
        var first = Assert.IsType<ConvPointwiseSpec>(optimised.Nodes[0].Spec);
        Assert.Equal((1, 56, 12), (first.Conv.InChannels, first.Conv.OutChannels, first.Pointwise.OutChannels));
        var expanding = Assert.IsType<PointwiseConvSpec>(optimised.Nodes[5].Spec);
        Assert.Equal((12, 56), (expanding.Pointwise.InChannels, expanding.Pointwise.OutChannels));
        var convs = new[] { first.Conv, first.Pointwise, expanding.Pointwise }
            .Concat(optimised.Nodes.Skip(1).Take(4).Select(n => Assert.IsType<Conv2dSpec>(n.Spec)));
        foreach (var conv in convs)
        {
            Assert.Equal(ActivationKind.PRelu, conv.Activation.Kind);
            Assert.True(conv.KernelH == 1 || conv.PaddingMode == PaddingMode.Replicate);
        }
        var head = Assert.IsType<SubPixelConvSpec>(expanding.Conv);
        Assert.Equal((56, 4, 2), (head.Conv.InChannels, head.Conv.OutChannels, head.Shuffle.Scale));
        Assert.NotNull(head.Conv.Bias); // the bias add after the crop
        Assert.Equal(unfused.Output, optimised.Output);

        // The tiler's and the timings' view is the graph that runs; it still covers the 9x9 head's reach.
        Assert.InRange(optimised.ReceptiveRadius(), 8, 64);
        Assert.Equal(1, optimised.DownsamplingStride());

        var x = HostTensor.Random(new Random(2), 1, 13, 11, 0.06, 0.92);
        Compare.Close(CpuReference.Run(unfused, x), CpuReference.Run(optimised, x), what: "FSRCNN x2 optimised");
    }

    [Fact]
    public void ActivationAfterTheShuffleReachesTheSubPixelConvolution()
    {
        var rng = new Random(3);
        // SRGAN's upsampling block: convolution, pixel shuffle, then a per-channel PReLU of the shuffled channels.
        var before = PassGraphs.Graph(2,
            PassGraphs.Node("pad", new PadSpec(2, Padding.All(1), PaddingMode.Replicate), "x"),
            PassGraphs.Node("conv", PassGraphs.Conv(rng, 2, 12, 3), "pad"),
            PassGraphs.Node("d2s", new PixelShuffleSpec(2), "conv"),
            PassGraphs.Node("act", new ActivationSpec(3, Activation.PRelu(HostTensor.RandomFloats(rng, 3, -2, 2))), "d2s"));
        var after = GraphOptimizer.Optimize(before);
        PassGraphs.AssertKinds(after, typeof(SubPixelConvSpec));
        PassGraphs.SameOutputs(before, after);
    }

    [Fact]
    public void ActivationBeforeTheShuffleFusesIntoTheConvolutionAndTheShuffleStays()
    {
        var rng = new Random(4);
        var before = PassGraphs.Graph(2,
            PassGraphs.Node("conv", PassGraphs.Conv(rng, 2, 12, 3, Padding.All(1)), "x"),
            PassGraphs.Node("bn", PassGraphs.Affine(rng, 12), "conv"),
            PassGraphs.Node("act", new ActivationSpec(12, Activation.Relu), "bn"),
            PassGraphs.Node("d2s", new PixelShuffleSpec(2, DepthToSpaceOrder.Dcr), "act"));
        var after = GraphOptimizer.Optimize(before);
        PassGraphs.AssertKinds(after, typeof(Conv2dSpec), typeof(PixelShuffleSpec));
        PassGraphs.SameOutputs(before, after);
    }

    private static string[] Layout(ModelDefinition d) =>
        d.Nodes.Select(n => $"{n.Name} {GraphListing.Describe(n.Spec)} {string.Join(",", n.Inputs)} -> {n.Output}").ToArray();

    private static string ModelPath(string file) => Path.Combine(AppContext.BaseDirectory, "Models", file);

    public static TheoryData<string> ConformanceModels()
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(ModelPath("manifest.json")));
        var data = new TheoryData<string>();
        foreach (var m in doc.RootElement.GetProperty("models").EnumerateArray())
        {
            data.Add(m.GetProperty("file").GetString()!);
        }
        return data;
    }

    /// <summary>Every conformance model: the optimised graph computes what the importer's graph does, with GPU layers only.</summary>
    [Theory]
    [MemberData(nameof(ConformanceModels))]
    public void OptimisedConformanceModelComputesTheImportedGraph(string file)
    {
        var unfused = ModelDefinition.Import(ModelPath(file));
        var optimised = GraphOptimizer.Optimize(unfused);
        Assert.DoesNotContain(optimised.Nodes, n => n.Spec is PadSpec or ActivationSpec);
        Assert.True(optimised.Nodes.Count <= unfused.Nodes.Count);
        var x = HostTensor.Random(new Random(file.Length), unfused.Info.InputChannels, 13, 11, 0, 1);
        Compare.Close(CpuReference.Run(unfused, x), CpuReference.Run(optimised, x), what: file);
    }

    [Fact]
    public void ImporterWritesOneNodePerOperator()
    {
        var bytes = new OnnxBuilder { Opset = 10 }
            .Initializer("W", new long[] { 2, 1, 3, 3 }, Enumerable.Range(0, 18).Select(i => i * 0.01f).ToArray())
            .Node("Pad", new[] { "input" }, "padded",
                OnnxBuilder.IntsAttribute("pads", 0, 0, 1, 1, 0, 0, 1, 1) + OnnxBuilder.StringAttribute("mode", "edge"), "pad")
            .Node("Conv", new[] { "padded", "W" }, "conv", name: "conv")
            .Node("Identity", new[] { "conv" }, "same", name: "id")
            .Node("Relu", new[] { "same" }, "output", name: "relu")
            .Build();
        var unfused = OnnxImporter.Import(OnnxModel.Parse(bytes, "plain.onnx"));
        Assert.Equal(new[] { "pad", "conv", "relu" }, unfused.Nodes.Select(n => n.Name));
        Assert.Equal(new PadSpec(1, Padding.All(1), PaddingMode.Replicate), unfused.Nodes[0].Spec);
        Assert.Equal(new[] { "conv" }, unfused.Nodes[2].Inputs); // Identity names the value it reads
        Assert.Equal(Activation.Relu, Assert.IsType<ActivationSpec>(unfused.Nodes[2].Spec).Activation);
        Assert.Equal(new TensorShape(2, 5, 4), unfused.OutputShape(new TensorShape(1, 5, 4)));
    }

    [Fact]
    public void ModelFilesChooseTheirImporterByName()
    {
        Assert.IsType<OnnxImporter>(ModelImporters.For("a/b/model.ONNX"));
        // A name no importer claims is read as ONNX, whose parser names the file when it is not one.
        Assert.IsType<OnnxImporter>(ModelImporters.For("model.bin"));
        var e = Assert.Throws<ModelFormatException>(() => ModelDefinition.Import("/nonexistent/model.param"));
        Assert.Contains("/nonexistent/model.param", e.Message);
    }
}
