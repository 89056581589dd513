using RealtimeUpscale.Network;
using RealtimeUpscale.Network.Passes;
using Xunit;

namespace RealtimeUpscale.Tests.Passes;

/// <summary>
/// Small hand-built graphs for the pass tests, and the check every pass test makes: the graph before and after
/// the pass, evaluated by the float64 <see cref="CpuReference"/> on random inputs of odd sizes, agree within
/// <see cref="Compare.RelativeTolerance"/> (1e-5, relative max-norm).
/// </summary>
internal static class PassGraphs
{
    /// <summary>A graph reading "x" of <paramref name="channels"/> channels; its output is the last node's.</summary>
    public static ModelDefinition Graph(int channels, params ModelNode[] nodes) => new(Info(channels), "x", nodes[^1].Output, nodes);

    public static ModelInfo Info(int channels) => new("test", ColorSpace.Rgb, channels, 1, "0-1", new Dictionary<string, string>());

    /// <summary>A node whose output is named after it.</summary>
    public static ModelNode Node(string name, LayerSpec spec, params string[] inputs) => new(name, spec, inputs, name);

    public static Conv2dSpec Conv(Random rng, int inC, int outC, int k, Padding padding = default,
        PaddingMode mode = PaddingMode.Zeros, Activation? activation = null, int groups = 1) => new()
        {
            InChannels = inC, OutChannels = outC, KernelH = k, KernelW = k, Groups = groups, Padding = padding, PaddingMode = mode,
            Weights = HostTensor.RandomFloats(rng, outC * (inC / groups) * k * k), Bias = HostTensor.RandomFloats(rng, outC),
            Activation = activation ?? Activation.None,
        };

    public static ConvTranspose2dSpec Deconv(Random rng, int inC, int outC, int k, int stride, Padding crop = default,
        int outputPadding = 0, int groups = 1, Activation? activation = null) => new()
        {
            InChannels = inC, OutChannels = outC, KernelH = k, KernelW = k, StrideY = stride, StrideX = stride, Padding = crop,
            OutputPaddingY = outputPadding, OutputPaddingX = outputPadding, Groups = groups,
            Weights = HostTensor.RandomFloats(rng, inC * (outC / groups) * k * k), Bias = HostTensor.RandomFloats(rng, outC),
            Activation = activation ?? Activation.None,
        };

    public static ScaleBiasSpec Affine(Random rng, int channels) =>
        new(HostTensor.RandomFloats(rng, channels, 0.5, 1.5), HostTensor.RandomFloats(rng, channels));

    public static Activation Slopes(Random rng, int channels) => Activation.PRelu(HostTensor.RandomFloats(rng, channels, 0.05, 0.5));

    /// <summary>Applies <paramref name="pass"/> and checks the numbers on two odd input sizes.</summary>
    public static ModelDefinition ApplyAndCompare(IGraphPass pass, ModelDefinition before, int seed = 1)
    {
        var after = pass.Apply(before);
        SameOutputs(before, after, seed);
        return after;
    }

    /// <summary>Both graphs give the same output (1e-5 relative max-norm) on random inputs of 7x9 and 11x5.</summary>
    public static void SameOutputs(ModelDefinition before, ModelDefinition after, int seed = 1)
    {
        var rng = new Random(seed);
        foreach (var (h, w) in new[] { (7, 9), (11, 5) })
        {
            var x = HostTensor.Random(rng, before.Info.InputChannels, h, w);
            Compare.Close(CpuReference.Run(before, x), CpuReference.Run(after, x), what: $"after the pass at {h}x{w}");
        }
    }

    /// <summary>The spec types of the nodes, in order.</summary>
    public static Type[] Kinds(ModelDefinition d) => d.Nodes.Select(n => n.Spec.GetType()).ToArray();

    public static void AssertKinds(ModelDefinition d, params Type[] kinds) => Assert.Equal(kinds, Kinds(d));
}
