using RealtimeUpscale.Network;
using RealtimeUpscale.Network.Layers;
using RealtimeUpscale.Runtime;
using Xunit;

namespace RealtimeUpscale.Tests;

/// <summary>
/// The fused convolution + 1x1 convolution (shaders/conv_pointwise.comp) in both kernel tunings against the float64
/// CPU reference of the two convolutions in sequence, on odd sizes wide enough for several workgroups, within
/// <see cref="Compare.RelativeTolerance"/> (1e-5, relative max-norm): the shrinking shape the graph pass fuses
/// (mid channels streamed, outputs held), the expanding shape (mid channels held, outputs in blocks), channel
/// counts that leave padding channels in the blocks, and every padding mode and activation pair. FSRCNN's release
/// runs fused against ONNX Runtime in <c>OnnxImportTests</c>.
/// </summary>
public sealed class ConvPointwiseTests : IDisposable
{
    private readonly GpuContext _context = GpuContext.Create(new GpuContextOptions { EnableValidation = true });

    public static TheoryData<int, int, int, int, PaddingMode, int, int> Cases() => new()
    {
        // inC, mid, out, kernel, padding mode, height, width
        { 1, 56, 12, 5, PaddingMode.Replicate, 9, 301 },   // FSRCNN x2's conv1 and conv2
        { 1, 32, 5, 5, PaddingMode.Zeros, 7, 45 },          // FSRCNN-s
        { 1, 20, 3, 3, PaddingMode.Reflect, 6, 29 },        // one input channel held, mid blocks, the last padded
        { 12, 12, 56, 3, PaddingMode.Replicate, 11, 129 },  // an expanding 1x1: 56 outputs in blocks
        { 3, 20, 7, 3, PaddingMode.Reflect, 13, 11 },       // 20 mid channels: the last block padded
        { 2, 9, 3, 1, PaddingMode.Zeros, 5, 7 },            // two 1x1 convolutions
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void FusedConvolutionsMatchTheReferenceInBothTunings(int inC, int mid, int outC, int kernel, PaddingMode mode, int h, int w)
    {
        var rng = new Random(inC * 7919 + mid * 31 + outC * 7 + w);
        var x = HostTensor.Random(rng, inC, h, w);
        var conv = new Conv2dSpec
        {
            InChannels = inC, OutChannels = mid, KernelH = kernel, KernelW = kernel, Padding = Padding.All(kernel / 2),
            PaddingMode = mode, Weights = HostTensor.RandomFloats(rng, mid * inC * kernel * kernel),
            Bias = HostTensor.RandomFloats(rng, mid), Activation = Activation.PRelu(HostTensor.RandomFloats(rng, mid, -0.5, 0.5)),
        };
        var pw = new Conv2dSpec
        {
            InChannels = mid, OutChannels = outC, KernelH = 1, KernelW = 1, Weights = HostTensor.RandomFloats(rng, outC * mid),
            Bias = HostTensor.RandomFloats(rng, outC), Activation = Activation.PRelu(HostTensor.RandomFloats(rng, outC, -0.5, 0.5)),
        };
        var spec = new ConvPointwiseSpec(conv, pw);
        var expected = CpuReference.Conv2d(CpuReference.Conv2d(x, conv), pw);
        foreach (var tuning in new[] { new KernelTuning { CpuStyle = true }, new KernelTuning { CpuStyle = false } })
        {
            Compare.Close(expected, Run(tuning, spec, x), what: $"{inC}->{mid}->{outC} k{kernel} {mode} {w}x{h}, CPU style {tuning.CpuStyle}");
        }
    }

    [Theory]
    [InlineData("relu", "none")]
    [InlineData("tanh", "sigmoid")]
    [InlineData("clip", "leaky")]
    [InlineData("prelu", "prelu")]
    public void ActivationPairsMatchTheReference(string first, string second)
    {
        var rng = new Random(first.Length * 10 + second.Length);
        var x = HostTensor.Random(rng, 2, 7, 37);
        var conv = new Conv2dSpec
        {
            InChannels = 2, OutChannels = 24, KernelH = 3, KernelW = 3, Padding = Padding.All(1),
            Weights = HostTensor.RandomFloats(rng, 24 * 2 * 9), Bias = HostTensor.RandomFloats(rng, 24), Activation = Act(first),
        };
        var pw = new Conv2dSpec
        {
            InChannels = 24, OutChannels = 6, KernelH = 1, KernelW = 1, Weights = HostTensor.RandomFloats(rng, 6 * 24),
            Bias = HostTensor.RandomFloats(rng, 6), Activation = Act(second),
        };
        var expected = CpuReference.Conv2d(CpuReference.Conv2d(x, conv), pw);
        Compare.Close(expected, Run(new KernelTuning { CpuStyle = true }, new ConvPointwiseSpec(conv, pw), x), what: $"{first} then {second}");
    }

    [Fact]
    public void PixelsPerInvocationKeepAccumulatorsWithinTheLimits()
    {
        // FSRCNN's conv1 + conv2 on a CPU device: 8 mid channels at a time, the 12 outputs held, 40 pixels (800
        // accumulators); with 16 outputs held, 33.
        Assert.Equal(40, ConvPointwiseLayer.PixelsPerInvocation(8, 12, cpu: true));
        Assert.Equal(33, ConvPointwiseLayer.PixelsPerInvocation(8, 16, cpu: true));
        Assert.Equal(2, ConvPointwiseLayer.PixelsPerInvocation(16, 12, cpu: false));
    }

    [Fact]
    public void SpecRefusesConvolutionsThatDoNotFit()
    {
        var rng = new Random(9);
        var conv = Passes.PassGraphs.Conv(rng, 2, 8, 3, Padding.All(1));
        var e = Assert.Throws<ArgumentException>(() => new ConvPointwiseSpec(conv, Passes.PassGraphs.Conv(rng, 8, 4, 3)).Validate());
        Assert.Contains("1x1", e.Message);
        Assert.Throws<ArgumentException>(() => new ConvPointwiseSpec(conv with { StrideX = 2 }, Passes.PassGraphs.Conv(rng, 8, 4, 1)).Validate());
        Assert.Throws<ArgumentException>(() => new ConvPointwiseSpec(conv, Passes.PassGraphs.Conv(rng, 6, 4, 1)).Validate());
    }

    private static Activation Act(string name) => name switch
    {
        "relu" => Activation.Relu,
        "tanh" => Activation.Tanh,
        "sigmoid" => Activation.Sigmoid,
        "clip" => Activation.Clip(-0.3f, 0.4f),
        "leaky" => Activation.LeakyRelu(0.1f),
        "prelu" => Activation.PRelu(0.25f),
        _ => Activation.None,
    };

    private HostTensor Run(KernelTuning tuning, LayerSpec spec, HostTensor x) => TunedLayer.Run(_context, tuning, spec, x);

    public void Dispose() => _context.Dispose();
}
