using RealtimeUpscale.Network;
using RealtimeUpscale.Network.Layers;
using RealtimeUpscale.Network.Passes;
using RealtimeUpscale.Runtime;
using Xunit;

namespace RealtimeUpscale.Tests;

/// <summary>
/// A convolution computing its input from a 1x1 convolution as it reads it (shaders/conv2d.comp with IN_EXPAND,
/// <see cref="PointwiseConvSpec"/>) in both kernel tunings against the float64 CPU reference of the two convolutions in
/// sequence, on odd sizes wide enough for several workgroups, within <see cref="Compare.RelativeTolerance"/> (1e-5,
/// relative max-norm): FSRCNN's expanding 1x1 and sub-pixel head as the lowering makes it, every padding mode, a
/// strided, a dilated and a 1x1 convolution after it, and the activations of the 1x1. FSRCNN's release runs fused
/// against ONNX Runtime in <c>OnnxImportTests</c>.
/// </summary>
public sealed class PointwiseConvTests : IDisposable
{
    private readonly GpuContext _context = GpuContext.Create(new GpuContextOptions { EnableValidation = true });

    [Fact]
    public void FsrcnnHeadMatchesTheReferenceInBothTunings()
    {
        var rng = new Random(11);
        var x = HostTensor.Random(rng, 12, 9, 131);
        var pw = Pointwise(rng, 12, 56, Activation.PRelu(HostTensor.RandomFloats(rng, 56, -0.5, 0.5)));
        // The release's deconvolution (9x9, stride 2, crop 4, output padding 1) after an edge pad of 1, lowered to
        // the 5x5 sub-pixel convolution that runs.
        var deconv = Passes.PassGraphs.Deconv(rng, 56, 1, 9, 2, Padding.All(4), outputPadding: 1) with
        {
            InputPadding = Padding.All(1),
            InputPaddingMode = PaddingMode.Replicate,
        };
        var head = StridedDeconvToSubPixel.TryLower(deconv)!;
        var spec = new PointwiseConvSpec(pw, head);
        spec.Validate();
        var expected = CpuReference.ConvTranspose2d(CpuReference.Conv2d(x, pw), deconv);
        Assert.Equal(expected.Shape, spec.OutputShape(new[] { x.Shape }));
        foreach (var tuning in new[] { new KernelTuning { CpuStyle = true }, new KernelTuning { CpuStyle = false } })
        {
            Compare.Close(expected, Run(tuning, spec, x), what: $"FSRCNN head, CPU style {tuning.CpuStyle}");
        }
    }

    public static TheoryData<int, int, int, int, int, int, PaddingMode, int, int> Cases() => new()
    {
        // inC, mid, out, kernel, stride, dilation, padding mode, height, width
        { 3, 10, 5, 3, 1, 1, PaddingMode.Zeros, 13, 71 },
        { 4, 20, 7, 3, 1, 1, PaddingMode.Reflect, 11, 37 },       // 20 channels computed into 7 outputs
        { 2, 9, 3, 5, 1, 1, PaddingMode.Replicate, 7, 45 },
        { 5, 9, 3, 3, 2, 1, PaddingMode.Zeros, 17, 29 },          // strided: overlapping windows per invocation
        { 4, 12, 6, 3, 1, 2, PaddingMode.Zeros, 9, 23 },          // dilated: one pixel per invocation
        { 16, 24, 8, 1, 1, 1, PaddingMode.Zeros, 5, 19 },         // the most held channels, a 1x1 after the 1x1
        { 12, 56, 9, 3, 1, 1, PaddingMode.Replicate, 7, 53 },    // FSRCNN x3's head: 9 channels in one block
        { 12, 56, 16, 3, 1, 1, PaddingMode.Zeros, 5, 67 },       // FSRCNN x4's: 16
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void FusedConvolutionsMatchTheReferenceInBothTunings(int inC, int mid, int outC, int kernel, int stride, int dilation,
        PaddingMode mode, int h, int w)
    {
        var rng = new Random(inC * 7919 + mid * 31 + outC * 7 + w);
        var x = HostTensor.Random(rng, inC, h, w);
        var pw = Pointwise(rng, inC, mid, Activation.PRelu(HostTensor.RandomFloats(rng, mid, -0.5, 0.5)));
        int pad = dilation * (kernel / 2);
        var conv = new Conv2dSpec
        {
            InChannels = mid, OutChannels = outC, KernelH = kernel, KernelW = kernel, StrideY = stride, StrideX = stride,
            DilationY = dilation, DilationX = dilation, Padding = Padding.All(pad), PaddingMode = mode,
            Weights = HostTensor.RandomFloats(rng, outC * mid * kernel * kernel), Bias = HostTensor.RandomFloats(rng, outC),
            Activation = Activation.PRelu(HostTensor.RandomFloats(rng, outC, -0.5, 0.5)),
        };
        var spec = new PointwiseConvSpec(pw, conv);
        var expected = CpuReference.Conv2d(CpuReference.Conv2d(x, pw), conv);
        foreach (var tuning in new[] { new KernelTuning { CpuStyle = true }, new KernelTuning { CpuStyle = false } })
        {
            Compare.Close(expected, Run(tuning, spec, x),
                what: $"{inC}->{mid}->{outC} k{kernel} s{stride} d{dilation} {mode} {w}x{h}, CPU style {tuning.CpuStyle}");
        }
    }

    [Fact]
    public void WeightsPastTheUniformBlockAndABiasFreePointwiseMatchTheReference()
    {
        // 256 channels computed into 8 outputs: 18 432 weights, read from the storage buffer (with the subgroup
        // broadcast on CPU devices); the 1x1 has no bias.
        var rng = new Random(21);
        var x = HostTensor.Random(rng, 16, 5, 29);
        var pw = Pointwise(rng, 16, 256, Activation.Relu) with { Bias = null };
        var conv = Passes.PassGraphs.Conv(rng, 256, 8, 3, Padding.All(1), PaddingMode.Replicate, Activation.Tanh);
        var expected = CpuReference.Conv2d(CpuReference.Conv2d(x, pw), conv);
        foreach (var tuning in new[] { new KernelTuning { CpuStyle = true }, new KernelTuning { CpuStyle = false } })
        {
            Compare.Close(expected, Run(tuning, new PointwiseConvSpec(pw, conv), x), what: $"16->256->8, CPU style {tuning.CpuStyle}");
        }
    }

    [Theory]
    [InlineData("none")]
    [InlineData("relu")]
    [InlineData("tanh")]
    [InlineData("clip")]
    [InlineData("leaky")]
    [InlineData("prelu-shared")]
    public void ActivationsOfThePointwiseMatchTheReference(string name)
    {
        var rng = new Random(name.Length * 101);
        var x = HostTensor.Random(rng, 3, 7, 41);
        var act = name switch
        {
            "relu" => Activation.Relu,
            "tanh" => Activation.Tanh,
            "clip" => Activation.Clip(-0.3f, 0.4f),
            "leaky" => Activation.LeakyRelu(0.1f),
            "prelu-shared" => Activation.PRelu(0.25f),
            _ => Activation.None,
        };
        var pw = Pointwise(rng, 3, 14, act);
        var conv = Passes.PassGraphs.Conv(rng, 14, 4, 3, Padding.All(1), PaddingMode.Zeros, Activation.Sigmoid);
        var expected = CpuReference.Conv2d(CpuReference.Conv2d(x, pw), conv);
        Compare.Close(expected, Run(new KernelTuning { CpuStyle = true }, new PointwiseConvSpec(pw, conv), x), what: name);
    }

    [Fact]
    public void PixelsPerInvocationCountTheHeldChannels()
    {
        // FSRCNN's head on a CPU device: 4 outputs of 5x5 taps, the 12 held channels over 44 columns fit 40 pixels.
        var head = new Conv2dSpec { InChannels = 56, OutChannels = 4, KernelH = 5, KernelW = 5, Weights = new float[56 * 4 * 25] };
        Assert.Equal(40, Conv2dLayer.PixelsPerInvocation(head, 4, cpu: true, expand: 12));
        // 16 held channels over 44 columns would pass the unrolled loop's limit: 37 pixels.
        Assert.Equal(37, Conv2dLayer.PixelsPerInvocation(head, 4, cpu: true, expand: 16));
        // FSRCNN x3's and x4's heads, 3x3 taps in one block of 9 and 16 channels: 35 and 22 pixels (at most 384
        // accumulators, and the unrolled limit).
        var head3 = head with { OutChannels = 9, KernelH = 3, KernelW = 3, Weights = new float[56 * 9 * 9] };
        Assert.Equal(35, Conv2dLayer.PixelsPerInvocation(head3, 9, cpu: true, expand: 12));
        Assert.Equal(22, Conv2dLayer.PixelsPerInvocation(head3 with { OutChannels = 16, Weights = new float[56 * 16 * 9] }, 16, cpu: true, expand: 12));
        // Without a fused 1x1, the plain convolution's 32.
        Assert.Equal(32, Conv2dLayer.PixelsPerInvocation(head, 4, cpu: true));
    }

    [Fact]
    public void SpecRefusesPointwiseConvolutionsThatDoNotFit()
    {
        var rng = new Random(9);
        var conv = Passes.PassGraphs.Conv(rng, 8, 4, 3, Padding.All(1));
        var e = Assert.Throws<ArgumentException>(() => new PointwiseConvSpec(Passes.PassGraphs.Conv(rng, 2, 8, 3), conv).Validate());
        Assert.Contains("1x1", e.Message);
        Assert.Throws<ArgumentException>(() => new PointwiseConvSpec(Passes.PassGraphs.Conv(rng, 2, 6, 1), conv).Validate());
        Assert.Throws<ArgumentException>(() => new PointwiseConvSpec(Passes.PassGraphs.Conv(rng, 17, 8, 1), conv).Validate());
        Assert.Throws<ArgumentException>(() => new PointwiseConvSpec(Passes.PassGraphs.Conv(rng, 2, 8, 1, Padding.All(1)), conv).Validate());
        Assert.Throws<ArgumentException>(() => new PointwiseConvSpec(Passes.PassGraphs.Conv(rng, 2, 8, 1),
            Passes.PassGraphs.Conv(rng, 8, 4, 3, Padding.All(1), groups: 2)).Validate());
        Assert.Throws<ArgumentException>(() => new PointwiseConvSpec(Passes.PassGraphs.Conv(rng, 2, 8, 1),
            new UpsampleSpec { Mode = UpsampleMode.Nearest }).Validate());
        // More outputs than one block holds.
        var wide = Assert.Throws<ArgumentException>(() => new PointwiseConvSpec(Passes.PassGraphs.Conv(rng, 2, 8, 1),
            Passes.PassGraphs.Conv(rng, 8, 17, 3, Padding.All(1))).Validate());
        Assert.Contains("8 -> 17", wide.Message);
    }

    private static Conv2dSpec Pointwise(Random rng, int inC, int outC, Activation activation) => new()
    {
        InChannels = inC, OutChannels = outC, KernelH = 1, KernelW = 1, Weights = HostTensor.RandomFloats(rng, outC * inC),
        Bias = HostTensor.RandomFloats(rng, outC), Activation = activation,
    };

    private HostTensor Run(KernelTuning tuning, LayerSpec spec, HostTensor x) => TunedLayer.Run(_context, tuning, spec, x);

    public void Dispose() => _context.Dispose();
}
