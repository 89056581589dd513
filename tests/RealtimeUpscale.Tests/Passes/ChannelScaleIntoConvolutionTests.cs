using RealtimeUpscale.Network;
using RealtimeUpscale.Network.Passes;
using RealtimeUpscale.Tests.Ncnn;
using Xunit;
using static RealtimeUpscale.Tests.Passes.PassGraphs;

namespace RealtimeUpscale.Tests.Passes;

public sealed class ChannelScaleIntoConvolutionTests
{
    private readonly ChannelScaleIntoConvolution _pass = new();

    /// <summary>A squeeze-excitation block's factors for <paramref name="value"/>: global mean, two fully connected layers, sigmoid.</summary>
    private static ModelNode[] Excitation(Random rng, string value, int channels, string name) => new[]
    {
        Node($"{name}_mean", new Pool2dSpec { Global = true, Mode = PoolMode.Average }, value),
        Node($"{name}_fc1", Dense(rng, channels, 2, Activation.Relu), $"{name}_mean"),
        Node($"{name}_fc2", Dense(rng, 2, channels, Activation.Sigmoid), $"{name}_fc1"),
    };

    private static FullyConnectedSpec Dense(Random rng, int inputs, int outputs, Activation activation) => new()
    {
        InFeatures = inputs, OutFeatures = outputs, Weights = HostTensor.RandomFloats(rng, inputs * outputs),
        Bias = HostTensor.RandomFloats(rng, outputs), Activation = activation,
    };

    [Fact]
    public void SqueezeExcitationScalesFuseIntoTheirReaders()
    {
        // Real-CUGAN's pattern: a scaled value read by the next convolution and, later, as a fused skip connection,
        // whose own input is another scaled value (the factors as either operand of the multiplication).
        var rng = new Random(1);
        var nodes = new List<ModelNode> { Node("a", Conv(rng, 3, 6, 3, Padding.All(1), activation: Activation.LeakyRelu(0.1f)), "x") };
        nodes.AddRange(Excitation(rng, "a", 6, "se1"));
        nodes.Add(Node("m1", new BinarySpec(BinaryOperator.Mul), "a", "se1_fc2"));
        nodes.Add(Node("b", Conv(rng, 6, 6, 3, Padding.All(1), PaddingMode.Replicate), "m1"));
        nodes.AddRange(Excitation(rng, "b", 6, "se2"));
        nodes.Add(Node("m2", new BinarySpec(BinaryOperator.Mul), "se2_fc2", "b"));
        nodes.Add(Node("c", new ResidualConvSpec(Conv(rng, 6, 6, 3, Padding.All(1))), "m2", "m1"));
        nodes.Add(Node("out", Conv(rng, 6, 3, 3, Padding.All(1)), "c"));
        var after = ApplyAndCompare(_pass, Graph(3, nodes.ToArray()));

        Assert.DoesNotContain(after.Nodes, n => n.Spec is BinarySpec);
        var b = after.Nodes.Single(n => n.Name == "b");
        Assert.Equal(new ChannelScaledConvSpec(((ChannelScaledConvSpec)b.Spec).Conv, ScalesInput: true, ScalesResidual: false), b.Spec);
        Assert.Equal(new[] { "a", "se1_fc2" }, b.Inputs);
        var c = after.Nodes.Single(n => n.Name == "c");
        var scaled = Assert.IsType<ChannelScaledConvSpec>(c.Spec);
        Assert.True(scaled is { ScalesInput: true, ScalesResidual: true });
        Assert.IsType<ResidualConvSpec>(scaled.Conv);
        Assert.Equal(new[] { "b", "a", "se2_fc2", "se1_fc2" }, c.Inputs);
    }

    [Fact]
    public void ScalesThatDoNotFitStayNodes()
    {
        var rng = new Random(2);
        ModelDefinition With(LayerSpec reader, params string[] readerInputs)
        {
            var nodes = new List<ModelNode> { Node("a", Conv(rng, 2, 4, 3, Padding.All(1)), "x") };
            nodes.AddRange(Excitation(rng, "a", 4, "se"));
            nodes.Add(Node("m", new BinarySpec(BinaryOperator.Mul), "a", "se_fc2"));
            nodes.Add(Node("r", reader, readerInputs));
            return Graph(2, nodes.ToArray());
        }
        foreach (var before in new[]
        {
            // Read by a layer that is not a convolution.
            With(new Pool2dSpec { Global = false, Mode = PoolMode.Max, KernelH = 2, KernelW = 2, StrideY = 2, StrideX = 2 }, "m"),
            // Read twice by one convolution (input and residual).
            With(new ResidualConvSpec(Conv(rng, 4, 4, 3, Padding.All(1))), "m", "m"),
            // Read by a convolution and by an addition.
            Graph(2, new[] { Node("a", Conv(rng, 2, 4, 3, Padding.All(1)), "x") }.Concat(Excitation(rng, "a", 4, "se")).Concat(new[]
            {
                Node("m", new BinarySpec(BinaryOperator.Mul), "a", "se_fc2"),
                Node("b", Conv(rng, 4, 4, 3, Padding.All(1)), "m"),
                Node("s", new BinarySpec(BinaryOperator.Add), "b", "m"),
            }).ToArray()),
            // An element-wise product of two images, and one with an activation of its own.
            Graph(2, Node("a", Conv(rng, 2, 4, 3, Padding.All(1)), "x"), Node("b", Conv(rng, 2, 4, 3, Padding.All(1)), "x"),
                Node("m", new BinarySpec(BinaryOperator.Mul), "a", "b"), Node("c", Conv(rng, 4, 2, 3, Padding.All(1)), "m")),
            Graph(2, new[] { Node("a", Conv(rng, 2, 4, 3, Padding.All(1)), "x") }.Concat(Excitation(rng, "a", 4, "se")).Concat(new[]
            {
                Node("m", new BinarySpec(BinaryOperator.Mul, Activation.Relu), "a", "se_fc2"),
                Node("b", Conv(rng, 4, 4, 3, Padding.All(1)), "m"),
            }).ToArray()),
        })
        {
            Assert.Same(before, ApplyAndCompare(_pass, before));
        }

        // The product as the graph's output.
        var last = With(Conv(rng, 4, 4, 3, Padding.All(1)), "m");
        var output = new ModelDefinition(last.Info, "x", "m", last.Nodes.Take(last.Nodes.Count - 1).ToList());
        Assert.Same(output, _pass.Apply(output));
    }

    [Fact]
    public void OptimizerFusesRealCuganScales()
    {
        // Real-CUGAN se x2's four blocks: every product goes, read by a strided convolution, sub-pixel convolutions
        // and (one) a fused skip connection. Its numbers against the PyTorch reference: NcnnGoldenTests.
        var optimized = ModelDefinition.Load(NcnnImportTests.PeerModel("realcugan", "models-se", "up2x-no-denoise.param"));
        Assert.DoesNotContain(optimized.Nodes, n => n.Spec is BinarySpec { Operator: BinaryOperator.Mul });
        var scaled = optimized.Nodes.Where(n => n.Spec is ChannelScaledConvSpec).Select(n => (ChannelScaledConvSpec)n.Spec).ToList();
        Assert.Equal(4, scaled.Count);
        Assert.Single(scaled, s => s.ScalesResidual);
    }
}
