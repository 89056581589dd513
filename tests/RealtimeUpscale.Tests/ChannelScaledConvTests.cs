using RealtimeUpscale.Network;
using RealtimeUpscale.Network.Layers;
using RealtimeUpscale.Runtime;
using Xunit;

namespace RealtimeUpscale.Tests;

/// <summary>
/// The convolution with fused per-channel scales of its input and of its residual source (shaders/conv2d.comp with
/// IN_SCALE and RES_SCALE: a squeeze-excitation block's last step) in both kernel tunings against the float64 CPU
/// reference of the multiplications followed by the convolution, on odd sizes wide enough for several workgroups,
/// within <see cref="Compare.RelativeTolerance"/> (1e-5, relative max-norm): Real-CUGAN's three kinds of reader (a
/// 2x2 stride-2 convolution, a 1x1 sub-pixel convolution whose input and cropped skip connection are both scaled,
/// with a channel window), a resize-convolution with padding, a residual of the output's shape, grouped and wide
/// convolutions (weights from the storage buffer), and a DCR head with an upsampled residual. The factors
/// span (0, 1) as a sigmoid's do, and beyond. Real-CUGAN as a whole runs against the PyTorch reference's golden
/// outputs in <c>NcnnGoldenTests</c>.
/// </summary>
public sealed class ChannelScaledConvTests : IDisposable
{
    private readonly GpuContext _context = GpuContext.Create(new GpuContextOptions { EnableValidation = true });

    private static Conv2dSpec Conv(Random rng, int inC, int outC, int k, int stride, Activation act, int pad = 0) => new()
    {
        InChannels = inC, OutChannels = outC, KernelH = k, KernelW = k, StrideY = stride, StrideX = stride, Padding = Padding.All(pad),
        PaddingMode = PaddingMode.Replicate, Weights = HostTensor.RandomFloats(rng, outC * inC * k * k), Bias = HostTensor.RandomFloats(rng, outC),
        Activation = act,
    };

    private static HostTensor Factors(Random rng, int channels) => HostTensor.Random(rng, channels, 1, 1, 0, 1.5);

    [Theory]
    [InlineData(9, 301)]
    [InlineData(7, 13)]
    public void StridedConvolutionOfAScaledInputMatchesTheReference(int h, int w)
    {
        var rng = new Random(h * 1000 + w);
        var spec = new ChannelScaledConvSpec(Conv(rng, 12, 10, 2, 2, Activation.LeakyRelu(0.1f)), ScalesInput: true, ScalesResidual: false);
        Check(spec, new[] { HostTensor.Random(rng, 12, 2 * h, 2 * w), Factors(rng, 12) }, $"2x2 s2 12->10 at {2 * w}x{2 * h}");
    }

    [Theory]
    [InlineData(9, 301)]
    [InlineData(7, 13)]
    public void SubPixelConvolutionWithScaledInputAndSkipConnectionMatchesTheReference(int h, int w)
    {
        // Real-CUGAN's up-step: a 1x1 sub-pixel x2 of the scaled input, plus channels 2 to 4 of a scaled earlier value
        // cropped by 4 (that value's 7 channels have 7 factors, of which the window reads 2 to 4).
        var rng = new Random(h * 100 + w);
        var conv = new ResidualConvSpec(
            new SubPixelConvSpec(Conv(rng, 9, 12, 1, 1, Activation.LeakyRelu(0.1f)), new PixelShuffleSpec(2, DepthToSpaceOrder.Crd)),
            Crop: new CropSpec(4, 4, 4, 4, ChannelStart: 2, ChannelCount: 3));
        var both = new ChannelScaledConvSpec(conv, ScalesInput: true, ScalesResidual: true);
        var x = HostTensor.Random(rng, 9, h, w);
        var skip = HostTensor.Random(rng, 7, 2 * h + 8, 2 * w + 8);
        Check(both, new[] { x, skip, Factors(rng, 9), Factors(rng, 7) }, $"1x1 sub-pixel, both scaled, at {w}x{h}");
        var residualOnly = new ChannelScaledConvSpec(conv, ScalesInput: false, ScalesResidual: true);
        Check(residualOnly, new[] { x, skip, Factors(rng, 7) }, $"1x1 sub-pixel, skip scaled, at {w}x{h}");
    }

    [Fact]
    public void ResizeConvolutionOfAScaledInputMatchesTheReference()
    {
        // The factors commute with the resize and the replicated border; both lie between the read and the weights.
        var rng = new Random(5);
        var up = new UpsampleSpec { Mode = UpsampleMode.Bilinear, ScaleY = 2, ScaleX = 2 };
        var spec = new ChannelScaledConvSpec(new ResizeConvSpec(up, Conv(rng, 6, 5, 3, 1, Activation.PRelu(HostTensor.RandomFloats(rng, 5, 0.05, 0.5)), pad: 1)),
            ScalesInput: true, ScalesResidual: false);
        Check(spec, new[] { HostTensor.Random(rng, 6, 11, 37), Factors(rng, 6) }, "bilinear x2 then 3x3 6->5, input scaled");
    }

    [Fact]
    public void ScaledResidualOfTheOutputsShapeMatchesTheReference()
    {
        var rng = new Random(6);
        var spec = new ChannelScaledConvSpec(new ResidualConvSpec(Conv(rng, 4, 8, 3, 1, Activation.Sigmoid, pad: 1)), ScalesInput: false, ScalesResidual: true);
        Check(spec, new[] { HostTensor.Random(rng, 4, 13, 29), HostTensor.Random(rng, 8, 13, 29), Factors(rng, 8) }, "3x3 4->8 + scaled residual");
    }

    [Fact]
    public void GroupedAndWideConvolutionsOfAScaledInputMatchTheReference()
    {
        // Groups: each group's factors are its own input channels'. 48 -> 64 channels: weights beyond the 64 KiB
        // uniform block, read from the storage buffer with the subgroup broadcast on CPU devices.
        var rng = new Random(10);
        var grouped = Conv(rng, 8, 6, 3, 1, Activation.Relu, pad: 1) with { Groups = 2, Weights = HostTensor.RandomFloats(rng, 6 * 4 * 9) };
        Check(new ChannelScaledConvSpec(grouped, ScalesInput: true, ScalesResidual: false), new[] { HostTensor.Random(rng, 8, 11, 29), Factors(rng, 8) },
            "3x3 8->6 in 2 groups, input scaled");
        var wide = Conv(rng, 48, 64, 3, 1, Activation.LeakyRelu(0.1f));
        Check(new ChannelScaledConvSpec(wide, ScalesInput: true, ScalesResidual: false), new[] { HostTensor.Random(rng, 48, 9, 21), Factors(rng, 48) },
            "valid 3x3 48->64, input scaled");
    }

    [Fact]
    public void DcrHeadWithAScaledUpsampledResidualMatchesTheReference()
    {
        // The residual factor's channel after a DCR shuffle, and a factor applied after the resize it commutes with.
        var rng = new Random(11);
        var up = new UpsampleSpec { Mode = UpsampleMode.Bilinear, ScaleY = 2, ScaleX = 2 };
        var head = new ResidualConvSpec(new SubPixelConvSpec(Conv(rng, 5, 12, 3, 1, Activation.None, pad: 1), new PixelShuffleSpec(2, DepthToSpaceOrder.Dcr)), up);
        Check(new ChannelScaledConvSpec(head, ScalesInput: true, ScalesResidual: true),
            new[] { HostTensor.Random(rng, 5, 9, 23), HostTensor.Random(rng, 3, 9, 23), Factors(rng, 5), Factors(rng, 3) }, "sub-pixel x2 DCR + scaled bilinear x2");
    }

    /// <summary>
    /// On CPU devices the input's factors are read as texels (IN_SCALE_TEXELS) when their buffer allows a texel view, and
    /// from the storage buffer when a caller's buffer does not: both match the reference. GPUs read the storage buffer.
    /// </summary>
    [Fact]
    public void FactorsAreReadAsTexelsWhereTheirBufferAllows()
    {
        var rng = new Random(12);
        var spec = new ChannelScaledConvSpec(Conv(rng, 10, 7, 3, 1, Activation.LeakyRelu(0.1f), pad: 1), ScalesInput: true, ScalesResidual: false);
        var x = HostTensor.Random(rng, 10, 11, 45);
        var factors = Factors(rng, 10);
        var expected = CpuReference.Layer(spec, new[] { x, factors });
        using var input = new GpuTensor(_context, x.Shape, x.ToFloat());
        using var texelFactors = new GpuTensor(_context, factors.Shape, factors.ToFloat());
        using var storageOnly = new GpuBuffer(_context, factors.Shape.ByteSize, MemoryUsage.Device,
            Silk.NET.Vulkan.BufferUsageFlags.StorageBufferBit | Silk.NET.Vulkan.BufferUsageFlags.TransferDstBit);
        using var storageFactors = new GpuTensor(storageOnly, factors.Shape);
        storageFactors.Upload(factors.ToFloat());
        foreach (var (tuning, scale, texels) in new[]
                 {
                     (new KernelTuning { CpuStyle = true }, texelFactors, true), (new KernelTuning { CpuStyle = true }, storageFactors, false),
                     (new KernelTuning { CpuStyle = false }, texelFactors, false),
                 })
        {
            using var layer = (Conv2dLayer)GpuLayer.Create(_context, spec, tuning: tuning);
            Assert.Equal(texels, layer.ReadsScaleTexels(new[] { input, scale }));
            using var output = new GpuTensor(_context, layer.OutputShape(new[] { x.Shape, factors.Shape }));
            using var dispatch = layer.Bind(new[] { input, scale }, output);
            _context.Execute(r => r.Dispatch(dispatch));
            Compare.Close(expected, HostTensor.FromFloat(output.Shape, output.Download()), what: $"factors as texels {texels}, CPU style {tuning.CpuStyle}");
            var messages = _context.Validation!.Drain();
            Assert.True(messages.Count == 0, "The Vulkan validation layer reported:" + Environment.NewLine + string.Join(Environment.NewLine, messages));
        }
        // Float16 tensors (the factors as R16F texels where the device reads them): within a few float16 roundings of the
        // reference on the inputs as the upload rounds them.
        if (_context.HalfStorage)
        {
            var rounded = new[] { x, factors }.Select(t => t with { Data = t.Data.Select(v => (double)(float)(Half)(float)v).ToArray() }).ToArray();
            var half = new KernelTuning { CpuStyle = true, Precision = TensorPrecision.Float16 };
            double error = Compare.RelativeError(CpuReference.Layer(spec, rounded), TunedLayer.Run(_context, half, spec, x, factors));
            Assert.True(error < 4 * Math.Pow(2, -11), $"float16 factors: relative error {error:E3}");
        }
    }

    [Fact]
    public void InconsistentScalesAreRefused()
    {
        var rng = new Random(7);
        var conv = Conv(rng, 3, 4, 3, 1, Activation.None, pad: 1);
        var scaled = new ChannelScaledConvSpec(conv, ScalesInput: true, ScalesResidual: false);
        Assert.Equal(new TensorShape(4, 5, 7), scaled.OutputShape(new[] { new TensorShape(3, 5, 7), new TensorShape(3, 1, 1) }));
        Assert.Contains("factors", Assert.Throws<ArgumentException>(() => scaled.OutputShape(new[] { new TensorShape(3, 5, 7), new TensorShape(4, 1, 1) })).Message);
        Assert.Contains("factors", Assert.Throws<ArgumentException>(() => scaled.OutputShape(new[] { new TensorShape(3, 5, 7), new TensorShape(3, 5, 7) })).Message);
        Assert.Contains("inputs", Assert.Throws<ArgumentException>(() => scaled.OutputShape(new[] { new TensorShape(3, 5, 7) })).Message);
        Assert.Contains("without one", Assert.Throws<ArgumentException>(new ChannelScaledConvSpec(conv, false, true).Validate).Message);
        Assert.Contains("neither", Assert.Throws<ArgumentException>(new ChannelScaledConvSpec(conv, false, false).Validate).Message);
        Assert.Contains("not a convolution", Assert.Throws<ArgumentException>(new ChannelScaledConvSpec(new BinarySpec(), true, false).Validate).Message);
    }

    private void Check(ChannelScaledConvSpec spec, HostTensor[] inputs, string what)
    {
        var expected = CpuReference.Layer(spec, inputs);
        foreach (var tuning in new[] { new KernelTuning { CpuStyle = true }, new KernelTuning { CpuStyle = false } })
        {
            Compare.Close(expected, Run(tuning, spec, inputs), what: $"{what}, CPU style {tuning.CpuStyle}");
        }
    }

    private HostTensor Run(KernelTuning tuning, LayerSpec spec, HostTensor[] inputs) => TunedLayer.Run(_context, tuning, spec, inputs);

    public void Dispose() => _context.Dispose();
}
