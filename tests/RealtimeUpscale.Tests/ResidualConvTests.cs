using RealtimeUpscale.Network;
using RealtimeUpscale.Runtime;
using Xunit;

namespace RealtimeUpscale.Tests;

/// <summary>
/// The convolution with a fused residual addition (shaders/conv2d.comp with RESIDUAL) in both kernel tunings against
/// the float64 CPU reference of the convolution followed by the addition (of the residual, or of the residual
/// source upsampled), on odd sizes wide enough for several workgroups, within <see cref="Compare.RelativeTolerance"/>
/// (1e-5, relative max-norm): a plain convolution's residual block, the sub-pixel head with the bicubic-upsampled
/// input (CRD and DCR, integer and fractional factors), a resize-convolution head, bilinear with align_corners and
/// nearest residuals, cropped residuals (U-Net skip connections, a channel window too), and activations that tell
/// adding before them from adding after them. The bundled models,
/// which contain these fusions, run against ONNX Runtime in <c>OnnxImportTests</c>.
/// </summary>
public sealed class ResidualConvTests : IDisposable
{
    private readonly GpuContext _context = GpuContext.Create(new GpuContextOptions { EnableValidation = true });

    private static Conv2dSpec Conv(Random rng, int inC, int outC, int k, Activation act, PaddingMode mode = PaddingMode.Replicate) => new()
    {
        InChannels = inC, OutChannels = outC, KernelH = k, KernelW = k, Padding = Padding.All(k / 2), PaddingMode = mode,
        Weights = HostTensor.RandomFloats(rng, outC * inC * k * k), Bias = HostTensor.RandomFloats(rng, outC), Activation = act,
    };

    private static UpsampleSpec Up(UpsampleMode mode, double scale, bool alignCorners = false) =>
        new() { Mode = mode, ScaleY = scale, ScaleX = scale, AlignCorners = alignCorners };

    [Theory]
    [InlineData(9, 301)]
    [InlineData(7, 13)]
    public void ResidualBlockMatchesTheReference(int h, int w)
    {
        // The SESR block's end: PReLU(conv 16 -> 16) + the block's input.
        var rng = new Random(h * 1000 + w);
        var spec = new ResidualConvSpec(Conv(rng, 16, 16, 3, Activation.PRelu(HostTensor.RandomFloats(rng, 16, 0.05, 0.5))));
        Check(spec, HostTensor.Random(rng, 16, h, w), HostTensor.Random(rng, 16, h, w), $"16->16 block at {w}x{h}");
    }

    [Theory]
    [InlineData(9, 301)]
    [InlineData(7, 13)]
    public void CroppedSkipConnectionsMatchTheReference(int h, int w)
    {
        // A U-Net's skip connections around valid convolutions (Real-CUGAN): a valid 3x3 layer's output plus a window
        // of an earlier, larger value (uneven margins, channels 2 to 7 of 9), and a 2x2 stride-2 deconvolution's
        // lowered form (a 1x1 sub-pixel convolution) plus the earlier value cropped by 4 on every side.
        var rng = new Random(h * 100 + w);
        var valid = new ResidualConvSpec(Conv(rng, 5, 6, 3, Activation.LeakyRelu(0.1f)) with { Padding = default },
            Crop: new CropSpec(3, 2, 1, 4, ChannelStart: 2, ChannelCount: 6));
        Check(valid, HostTensor.Random(rng, 5, h, w), HostTensor.Random(rng, 9, h - 2 + 4, w - 2 + 6), $"valid 3x3 + cropped skip at {w}x{h}");
        var up = new ResidualConvSpec(
            new SubPixelConvSpec(Conv(rng, 5, 12, 1, Activation.LeakyRelu(0.1f)), new PixelShuffleSpec(2, DepthToSpaceOrder.Crd)),
            Crop: new CropSpec(4, 4, 4, 4));
        Check(up, HostTensor.Random(rng, 5, h, w), HostTensor.Random(rng, 3, 2 * h + 8, 2 * w + 8), $"1x1 sub-pixel x2 + cropped skip at {w}x{h}");
    }

    [Fact]
    public void SubPixelHeadWithTheBicubicUpsampledInputMatchesTheReference()
    {
        var rng = new Random(2);
        var spec = new ResidualConvSpec(
            new SubPixelConvSpec(Conv(rng, 16, 4, 3, Activation.None), new PixelShuffleSpec(2, DepthToSpaceOrder.Crd)),
            Up(UpsampleMode.Bicubic, 2));
        Check(spec, HostTensor.Random(rng, 16, 11, 37), HostTensor.Random(rng, 1, 11, 37), "sub-pixel x2 CRD + bicubic x2");
    }

    [Fact]
    public void BicubicResidualFromOneWindowPerChannelGivesTheSameBitsAsPerOutputReads()
    {
        // An RGB x3 DCR head with its input upsampled by bicubic x3: on CPU devices (several pixels per invocation)
        // each channel's outputs resample from one window of source rows (RES_WINDOW); on GPUs (one pixel) each reads
        // its own 16 taps. The convolution sums in the same order in both, so the outputs agree to the bit.
        var rng = new Random(12);
        var spec = new ResidualConvSpec(
            new SubPixelConvSpec(Conv(rng, 6, 27, 3, Activation.None), new PixelShuffleSpec(3, DepthToSpaceOrder.Dcr)),
            Up(UpsampleMode.Bicubic, 3));
        var x = HostTensor.Random(rng, 6, 9, 53);
        var residual = HostTensor.Random(rng, 3, 9, 53);
        Check(spec, x, residual, "sub-pixel x3 DCR + bicubic x3");
        var windowed = Run(new KernelTuning { CpuStyle = true }, spec, x, residual);
        var perOutput = Run(new KernelTuning { CpuStyle = false }, spec, x, residual);
        Assert.Equal(perOutput.Data, windowed.Data);
    }

    [Fact]
    public void DcrHeadWithABilinearAlignCornersResidualMatchesTheReference()
    {
        var rng = new Random(3);
        var spec = new ResidualConvSpec(
            new SubPixelConvSpec(Conv(rng, 8, 27, 3, Activation.Tanh, PaddingMode.Zeros), new PixelShuffleSpec(3, DepthToSpaceOrder.Dcr)),
            Up(UpsampleMode.Bilinear, 3, alignCorners: true));
        Check(spec, HostTensor.Random(rng, 8, 7, 19), HostTensor.Random(rng, 3, 7, 19), "sub-pixel x3 DCR + bilinear x3 align_corners");
    }

    [Fact]
    public void FractionalBicubicResidualMatchesTheReference()
    {
        // A residual source resized to a fixed size: no integer period, each pixel's own weights.
        var rng = new Random(4);
        var up = new UpsampleSpec { Mode = UpsampleMode.Bicubic, OutputHeight = 22, OutputWidth = 74 };
        var spec = new ResidualConvSpec(
            new SubPixelConvSpec(Conv(rng, 5, 4, 5, Activation.Relu), new PixelShuffleSpec(2, DepthToSpaceOrder.Crd)), up);
        Check(spec, HostTensor.Random(rng, 5, 11, 37), HostTensor.Random(rng, 1, 15, 50), "sub-pixel x2 + bicubic 50x15 -> 74x22");
    }

    [Fact]
    public void ResizeConvolutionHeadWithTheBicubicUpsampledInputMatchesTheReference()
    {
        // resizeconv_x2's head: nearest x2 of 16 channels, a 3x3 convolution to 1, plus the bicubic x2 input.
        var rng = new Random(5);
        var spec = new ResidualConvSpec(new ResizeConvSpec(Up(UpsampleMode.Nearest, 2), Conv(rng, 16, 1, 3, Activation.None)),
            Up(UpsampleMode.Bicubic, 2));
        Check(spec, HostTensor.Random(rng, 16, 9, 23), HostTensor.Random(rng, 1, 9, 23), "resize-conv x2 + bicubic x2");
    }

    [Fact]
    public void NearestResidualAfterASigmoidMatchesTheReference()
    {
        // The residual comes after the activation: sigmoid outputs lie in (0, 1), the sum well outside.
        var rng = new Random(6);
        var spec = new ResidualConvSpec(Conv(rng, 5, 7, 3, Activation.Sigmoid, PaddingMode.Reflect), Up(UpsampleMode.Nearest, 2));
        var x = HostTensor.Random(rng, 5, 14, 18);
        var residual = HostTensor.Random(rng, 7, 7, 9, -3, 3);
        Check(spec, x, residual, "conv 5 -> 7 sigmoid + nearest x2");
    }

    [Fact]
    public void ResidualOfAnotherShapeIsRefused()
    {
        var rng = new Random(7);
        var spec = new ResidualConvSpec(Conv(rng, 2, 3, 3, Activation.None));
        var e = Assert.Throws<ArgumentException>(() => spec.OutputShape(new[] { new TensorShape(2, 5, 7), new TensorShape(1, 5, 7) }));
        Assert.Contains("residual", e.Message);
        Assert.Throws<ArgumentException>(() => new ResidualConvSpec(new BinarySpec()).Validate());
        var both = new ResidualConvSpec(Conv(rng, 2, 2, 3, Activation.None), Up(UpsampleMode.Nearest, 2), new CropSpec(1, 1, 1, 1));
        Assert.Contains("not both", Assert.Throws<ArgumentException>(both.Validate).Message);
        var cropped = new ResidualConvSpec(Conv(rng, 2, 3, 3, Activation.None), Crop: new CropSpec(1, 1, 1, 1));
        Assert.Contains("residual", Assert.Throws<ArgumentException>(() => cropped.OutputShape(new[] { new TensorShape(2, 5, 7), new TensorShape(3, 6, 9) })).Message);
        Assert.Equal(new TensorShape(3, 5, 7), cropped.OutputShape(new[] { new TensorShape(2, 5, 7), new TensorShape(3, 7, 9) }));
    }

    private void Check(ResidualConvSpec spec, HostTensor x, HostTensor residual, string what)
    {
        var expected = CpuReference.Layer(spec, new[] { x, residual });
        foreach (var tuning in new[] { new KernelTuning { CpuStyle = true }, new KernelTuning { CpuStyle = false } })
        {
            Compare.Close(expected, Run(tuning, spec, x, residual), what: $"{what}, CPU style {tuning.CpuStyle}");
        }
    }

    private HostTensor Run(KernelTuning tuning, LayerSpec spec, HostTensor x, HostTensor residual) =>
        TunedLayer.Run(_context, tuning, spec, x, residual);

    public void Dispose() => _context.Dispose();
}
