using RealtimeUpscale.Network;
using RealtimeUpscale.Network.Layers;
using RealtimeUpscale.Runtime;
using Silk.NET.Vulkan;
using Xunit;

namespace RealtimeUpscale.Tests;

/// <summary>
/// The convolution shader is configured per device type: on CPU devices it reads its input through a texel
/// buffer and computes up to 32 output pixels per invocation; on GPUs it reads storage buffers with at most 4.
/// Both configurations run here on the same device (each layer is given the tuning), against the CPU
/// reference, on odd sizes wide enough to span several workgroups and channel counts that need several
/// channel blocks, with every padding mode (the lowered deconvolution's bounded edge included), fused
/// upsampling and fused pixel shuffle.
/// </summary>
public sealed class KernelTuningTests : IDisposable
{
    private static readonly KernelTuning CpuTuned = new() { CpuStyle = true };
    private static readonly KernelTuning GpuTuned = new() { CpuStyle = false };
    private readonly GpuContext _context;

    public KernelTuningTests()
    {
        _context = GpuContext.Create(new GpuContextOptions { EnableValidation = true });
    }

    public static TheoryData<int, int, int, int, PaddingMode, int> Cases() => new()
    {
        // inC, outC, kernel, dilation, padding mode, width
        { 1, 56, 5, 1, PaddingMode.Zeros, 301 },      // FSRCNN's first layer: 7 blocks of 8 channels (CPU), 2 of 28 (GPU)
        { 12, 12, 3, 1, PaddingMode.Replicate, 263 },  // its mapping layers
        { 56, 4, 5, 1, PaddingMode.Reflect, 77 },      // its lowered deconvolution
        { 12, 56, 1, 1, PaddingMode.Zeros, 129 },      // its expanding 1x1
        { 3, 17, 9, 1, PaddingMode.Reflect, 45 },      // wide kernel: fewer pixels per invocation
        { 5, 7, 3, 2, PaddingMode.Zeros, 67 },         // dilation along x: one pixel per invocation
        { 40, 72, 3, 1, PaddingMode.Zeros, 97 },       // waifu2x-like width: 104 KB of weights, read from the storage buffer
        { 37, 70, 3, 1, PaddingMode.Reflect, 131 },    // wide, odd counts: 9 blocks of 8 channels, the last with 6 padding channels
    };

    /// <summary>
    /// waifu2x upconv_7's shapes: valid (unpadded) 3x3 convolutions with LeakyReLU 0.1 and many channel blocks, on odd
    /// sizes, within <see cref="Compare.RelativeTolerance"/> (1e-5, relative max-norm) of the float64 reference. On
    /// CPU devices these run with the channel blocks as the fastest-varying workgroup index and the weights read
    /// once per subgroup (see Conv2dLayer).
    /// </summary>
    [Theory]
    [InlineData(37, 70, 133, 11)]
    [InlineData(64, 128, 75, 7)]
    [InlineData(128, 256, 41, 5)]
    [InlineData(500, 5, 29, 9)] // one block of 5 channels: three lanes of each subgroup read the last channel's weights
    public void WideValidConvolutionMatchesReferenceInBothTunings(int inC, int outC, int width, int height)
    {
        var rng = new Random(inC * 131 + outC + width);
        var x = HostTensor.Random(rng, inC, height, width);
        var spec = new Conv2dSpec
        {
            InChannels = inC, OutChannels = outC, KernelH = 3, KernelW = 3,
            Weights = HostTensor.RandomFloats(rng, outC * inC * 9), Bias = HostTensor.RandomFloats(rng, outC),
            Activation = Activation.LeakyRelu(0.1f),
        };
        var expected = CpuReference.Conv2d(x, spec);
        foreach (var tuning in new[] { CpuTuned, GpuTuned })
        {
            Compare.Close(expected, Run(tuning, spec, x), what: $"valid conv {inC}->{outC} {width}x{height}, {Tuning(tuning)}");
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void ConvolutionMatchesReferenceInBothTunings(int inC, int outC, int kernel, int dilation, PaddingMode mode, int width)
    {
        var rng = new Random(inC * 7919 + outC * 31 + kernel * 7 + width);
        var x = HostTensor.Random(rng, inC, 9, width);
        var spec = new Conv2dSpec
        {
            InChannels = inC, OutChannels = outC, KernelH = kernel, KernelW = kernel,
            DilationY = dilation, DilationX = dilation, Padding = Padding.All(dilation * (kernel / 2)),
            PaddingMode = mode, Weights = HostTensor.RandomFloats(rng, outC * inC * kernel * kernel),
            Bias = HostTensor.RandomFloats(rng, outC), Activation = Activation.PRelu(HostTensor.RandomFloats(rng, outC, -0.5, 0.5)),
        };
        var expected = CpuReference.Conv2d(x, spec);
        foreach (var tuning in new[] { CpuTuned, GpuTuned })
        {
            Compare.Close(expected, Run(tuning, spec, x), what: $"conv {inC}->{outC} k{kernel} d{dilation} {mode} w{width}, {Tuning(tuning)}");
        }
    }

    /// <summary>
    /// Strided convolutions with several output pixels per invocation on CPU devices (their windows read
    /// (PX - 1) * stride + kernel columns): Real-CUGAN's and cunet's 2x2 stride-2 downsampling, a padded 3x3 stride
    /// 2 whose windows overlap, a 4x4 stride 3 and strides that differ between the axes, on odd sizes.
    /// </summary>
    [Theory]
    [InlineData(64, 64, 2, 2, 2, 0, 263)]
    [InlineData(5, 9, 3, 2, 2, 1, 131)]
    [InlineData(7, 6, 4, 3, 3, 1, 101)]
    [InlineData(3, 10, 3, 1, 2, 1, 77)]
    [InlineData(4, 8, 3, 2, 1, 1, 45)]
    public void StridedConvolutionMatchesReferenceInBothTunings(int inC, int outC, int kernel, int strideY, int strideX, int pad, int width)
    {
        var rng = new Random(inC * 31 + outC + kernel * 7 + strideX + width);
        var x = HostTensor.Random(rng, inC, 13, width);
        var spec = new Conv2dSpec
        {
            InChannels = inC, OutChannels = outC, KernelH = kernel, KernelW = kernel, StrideY = strideY, StrideX = strideX,
            Padding = Padding.All(pad), Weights = HostTensor.RandomFloats(rng, outC * inC * kernel * kernel),
            Bias = HostTensor.RandomFloats(rng, outC), Activation = Activation.LeakyRelu(0.1f),
        };
        Assert.True(Conv2dLayer.PixelsPerInvocation(spec, 8, cpu: true) > 1, "the CPU tuning should compute several pixels per invocation");
        var expected = CpuReference.Conv2d(x, spec);
        foreach (var tuning in new[] { CpuTuned, GpuTuned })
        {
            Compare.Close(expected, Run(tuning, spec, x), what: $"conv {inC}->{outC} k{kernel} s{strideY}x{strideX} w{width}, {Tuning(tuning)}");
        }
    }

    [Theory]
    [InlineData(DepthToSpaceOrder.Crd, 509)] // 32 pixels per invocation on CPU devices
    [InlineData(DepthToSpaceOrder.Dcr, 263)]
    public void LoweredDeconvolutionShapeMatchesReferenceInBothTunings(DepthToSpaceOrder order, int width)
    {
        // What StridedDeconvToSubPixel makes of FSRCNN's 9x9 stride-2 transposed convolution: a 5x5 convolution from 56
        // channels to the 4 phases over an edge-replicated border of 2, then a pixel shuffle.
        var rng = new Random(width);
        var x = HostTensor.Random(rng, 56, 7, width);
        var conv = new Conv2dSpec
        {
            InChannels = 56, OutChannels = 4, KernelH = 5, KernelW = 5, Padding = Padding.All(2),
            PaddingMode = PaddingMode.Replicate, ReplicateBorder = 2, Weights = HostTensor.RandomFloats(rng, 4 * 56 * 25), Bias = HostTensor.RandomFloats(rng, 4),
        };
        var shuffle = new PixelShuffleSpec(2, order);
        var expected = CpuReference.PixelShuffle(CpuReference.Conv2d(x, conv), shuffle);
        foreach (var tuning in new[] { CpuTuned, GpuTuned })
        {
            Compare.Close(expected, Run(tuning, new SubPixelConvSpec(conv, shuffle), x), what: $"lowered deconv w{width} {order}, {Tuning(tuning)}");
        }
    }

    [Theory]
    [InlineData(5, 1, 2, 0, 1, PaddingMode.Zeros, 131)]     // stride 1: runs by gathering, not as a sub-pixel convolution
    [InlineData(3, 2, 1, 1, 2, PaddingMode.Replicate, 67)]  // grouped, with a fused edge-padded input
    [InlineData(4, 3, 0, 1, 1, PaddingMode.Reflect, 45)]    // an output that is no multiple of the stride, reflect-padded input
    public void GatheringTransposedConvolutionMatchesReferenceInBothTunings(int kernel, int stride, int pad, int outputPad, int groups, PaddingMode inputPad, int width)
    {
        var rng = new Random(kernel * 31 + stride * 7 + width);
        var x = HostTensor.Random(rng, 6, 5, width);
        int outC = 10;
        var spec = new ConvTranspose2dSpec
        {
            InChannels = 6, OutChannels = outC, KernelH = kernel, KernelW = kernel, StrideY = stride, StrideX = stride,
            Padding = Padding.All(pad), OutputPaddingY = outputPad, OutputPaddingX = outputPad, Groups = groups,
            InputPadding = inputPad == PaddingMode.Zeros ? Padding.All(0) : Padding.All(2), InputPaddingMode = inputPad,
            Weights = HostTensor.RandomFloats(rng, 6 * (outC / groups) * kernel * kernel), Bias = HostTensor.RandomFloats(rng, outC),
            Activation = Activation.PRelu(HostTensor.RandomFloats(rng, outC, -0.5, 0.5)),
        };
        var expected = CpuReference.ConvTranspose2d(x, spec);
        foreach (var tuning in new[] { CpuTuned, GpuTuned })
        {
            using (var layer = GpuLayer.Create(_context, spec, tuning: tuning))
            {
                Assert.IsType<ConvTranspose2dLayer>(layer);
            }
            Compare.Close(expected, Run(tuning, spec, x), what: $"transposed k{kernel} s{stride} g{groups} {inputPad} w{width}, {Tuning(tuning)}");
        }
    }

    [Fact]
    public void LayersReadACallersBufferWithoutTexelUsage()
    {
        var rng = new Random(11);
        var x = HostTensor.Random(rng, 12, 9, 131);
        var spec = new Conv2dSpec
        {
            InChannels = 12, OutChannels = 12, KernelH = 3, KernelW = 3, Padding = Padding.All(1),
            Weights = HostTensor.RandomFloats(rng, 12 * 12 * 9), Bias = HostTensor.RandomFloats(rng, 12),
        };
        var expected = CpuReference.Conv2d(x, spec);
        var up = UpsampleSpec.By(UpsampleMode.Bilinear, 2, false);
        var deconv = new ConvTranspose2dSpec
        {
            InChannels = 12, OutChannels = 4, KernelH = 3, KernelW = 3, Padding = Padding.All(1),
            Weights = HostTensor.RandomFloats(rng, 12 * 4 * 9), Bias = HostTensor.RandomFloats(rng, 4),
        };
        foreach (var tuning in new[] { CpuTuned, GpuTuned })
        {
            using var buffer = new GpuBuffer(_context, x.Shape.ByteSize, MemoryUsage.Device,
                BufferUsageFlags.StorageBufferBit | BufferUsageFlags.TransferDstBit | BufferUsageFlags.TransferSrcBit);
            using var input = new GpuTensor(buffer, x.Shape);
            input.Upload(x.ToFloat());
            Compare.Close(expected, Run(tuning, spec, input), what: $"caller's buffer, {Tuning(tuning)}");
            Compare.Close(CpuReference.Upsample(x, up), Run(tuning, up, input), what: $"caller's buffer, upsample, {Tuning(tuning)}");
            Compare.Close(CpuReference.ConvTranspose2d(x, deconv), Run(tuning, deconv, input), what: $"caller's buffer, transposed, {Tuning(tuning)}");
        }
    }

    [Fact]
    public void UpsampleAndFusedStagesMatchReferenceInBothTunings()
    {
        var rng = new Random(5);
        var x = HostTensor.Random(rng, 6, 11, 53);
        var up = UpsampleSpec.By(UpsampleMode.Bicubic, 2, false);
        var conv = new Conv2dSpec
        {
            InChannels = 6, OutChannels = 20, KernelH = 3, KernelW = 3, Padding = Padding.All(1),
            PaddingMode = PaddingMode.Replicate, Weights = HostTensor.RandomFloats(rng, 20 * 6 * 9),
            Bias = HostTensor.RandomFloats(rng, 20), Activation = Activation.Relu,
        };
        var shuffle = new PixelShuffleSpec(2, DepthToSpaceOrder.Dcr);
        var resize = CpuReference.Conv2d(CpuReference.Upsample(x, up), conv);
        var subPixel = CpuReference.PixelShuffle(CpuReference.Conv2d(x, conv), shuffle);
        foreach (var tuning in new[] { CpuTuned, GpuTuned })
        {
            Compare.Close(CpuReference.Upsample(x, up), Run(tuning, up, x), what: $"bicubic upsample, {Tuning(tuning)}");
            Compare.Close(resize, Run(tuning, new ResizeConvSpec(up, conv), x), what: $"resize-conv, {Tuning(tuning)}");
            Compare.Close(subPixel, Run(tuning, new SubPixelConvSpec(conv, shuffle), x), what: $"sub-pixel conv, {Tuning(tuning)}");
        }
    }

    [Fact]
    public void TuningsPickTheirOwnKernelShapes()
    {
        var spec = new Conv2dSpec
        {
            InChannels = 12, OutChannels = 12, KernelH = 3, KernelW = 3, Padding = Padding.All(1),
            Weights = new float[12 * 12 * 9], Bias = new float[12],
        };
        // Weights read from the storage buffer (with the subgroup broadcast): up to 256 accumulators, 32 pixels.
        Assert.Equal(16, Conv2dLayer.PixelsPerInvocation(spec, 12, cpu: true));
        Assert.Equal(32, Conv2dLayer.PixelsPerInvocation(spec, 6, cpu: true));
        // Weights in the uniform block: up to 384 accumulators, so that one block of 12 keeps 32 pixels.
        Assert.Equal(32, Conv2dLayer.PixelsPerInvocation(spec, 12, cpu: true, uniform: true));
        Assert.Equal(32, Conv2dLayer.PixelsPerInvocation(spec, 8, cpu: true, uniform: true));
        Assert.Equal(16, Conv2dLayer.PixelsPerInvocation(spec with { KernelH = 5, KernelW = 5, Weights = new float[12 * 12 * 25] }, 8, cpu: true, uniform: true));
        Assert.Equal(1, Conv2dLayer.PixelsPerInvocation(spec, 12, cpu: false));
        Assert.Equal(1, Conv2dLayer.PixelsPerInvocation(spec, 12, cpu: false, uniform: true));
        // The count that covers the row with the fewest columns past its end, in few enough invocations: 1920
        // columns are 8 rows of 8 invocations of 30, 156 are one row of 8 x 20 (160; 32 would cover 256).
        Assert.Equal(30, Conv2dLayer.PixelsForWidth(32, 1920));
        Assert.Equal(20, Conv2dLayer.PixelsForWidth(32, 156));
        Assert.Equal(6, Conv2dLayer.PixelsForWidth(32, 42));
        Assert.Equal(2, Conv2dLayer.PixelsForWidth(32, 11));
        using var tensor = new GpuBuffer(_context, 64);
        using var plain = new GpuBuffer(_context, 64, MemoryUsage.Device, BufferUsageFlags.StorageBufferBit);
        using var cpuLayer = GpuLayer.Create(_context, spec, tuning: CpuTuned);
        using var gpuLayer = GpuLayer.Create(_context, spec, tuning: GpuTuned);
        Assert.True(cpuLayer.ReadsTexels(tensor, 12 * 540 * 960));
        Assert.False(gpuLayer.ReadsTexels(tensor, 12 * 540 * 960));
        // Past the device's texel-buffer limit, or from a caller's buffer made without texel usage, the CPU
        // tuning falls back to storage-buffer reads.
        Assert.False(cpuLayer.ReadsTexels(tensor, (long)_context.Properties.Limits.MaxTexelBufferElements + 1));
        Assert.False(cpuLayer.ReadsTexels(plain, 12 * 540 * 960));
    }

    private static string Tuning(KernelTuning tuning) => tuning.CpuStyle ? "CPU tuning" : "GPU tuning";

    public static TheoryData<int, int, int, int, int, PaddingMode, int, int, int> VectorCases() => new()
    {
        // inC, outC, kernel, stride, pad, padding mode, replicated border, height, width (a window wider than the input: R32F reads)
        { 3, 16, 3, 1, 0, PaddingMode.Zeros, 0, 13, 29 },       // waifu2x's valid first layer; 1131 elements: the last vec4 is partly past them
        { 1, 16, 5, 1, 2, PaddingMode.Replicate, 0, 11, 45 },   // the bundled models' first layer: rows start at every offset within a vec4
        { 12, 12, 3, 1, 1, PaddingMode.Replicate, 0, 9, 263 },  // FSRCNN's mapping layers: several workgroups per row
        { 56, 4, 5, 1, 2, PaddingMode.Replicate, 2, 7, 77 },    // the lowered deconvolution's edge, replicated for 2 pixels
        { 9, 10, 5, 1, 4, PaddingMode.Replicate, 2, 6, 19 },    // zeros past that edge
        { 16, 16, 3, 1, 1, PaddingMode.Zeros, 0, 5, 7 },        // narrower than one row of a workgroup's pixels
        { 3, 4, 5, 1, 2, PaddingMode.Replicate, 0, 3, 2 },      // narrower than a window, which would pad past both edges
        { 4, 6, 3, 2, 1, PaddingMode.Zeros, 0, 15, 33 },        // stride 2
        { 6, 5, 4, 3, 1, PaddingMode.Replicate, 0, 10, 50 },    // stride 3, an even kernel
        { 5, 7, 1, 1, 0, PaddingMode.Zeros, 0, 9, 23 },         // 1x1
        { 40, 72, 3, 1, 1, PaddingMode.Replicate, 0, 6, 97 },   // 104 KB of weights: the subgroup broadcast, lanes past the output computing
    };

    /// <summary>
    /// The CPU-style kernel reads its window rows as vec4 texels (conv2d.comp's VEC_TEXELS) wherever the input's buffer holds
    /// whole vec4s: here over a caller's buffer rounded up to them, so that element counts that are no multiple of 4 take that
    /// path too; every case must take it, and match the reference. With the buffer cut to the elements, such a count falls
    /// back to the R32F reads, with the same result.
    /// </summary>
    [Theory]
    [MemberData(nameof(VectorCases))]
    public void VectorTexelReadsMatchReference(int inC, int outC, int kernel, int stride, int pad, PaddingMode mode, int border, int height, int width)
    {
        var rng = new Random(inC * 1009 + outC * 31 + width);
        var x = HostTensor.Random(rng, inC, height, width);
        var spec = new Conv2dSpec
        {
            InChannels = inC, OutChannels = outC, KernelH = kernel, KernelW = kernel, StrideY = stride, StrideX = stride,
            Padding = Padding.All(pad), PaddingMode = mode, ReplicateBorder = border,
            Weights = HostTensor.RandomFloats(rng, outC * inC * kernel * kernel), Bias = HostTensor.RandomFloats(rng, outC),
            Activation = Activation.PRelu(HostTensor.RandomFloats(rng, outC, -0.5, 0.5)),
        };
        var expected = CpuReference.Conv2d(x, spec);
        long elements = x.Shape.ElementCount;
        foreach (ulong bytes in new[] { (ulong)(elements + 3) / 4 * 16, x.Shape.ByteSize })
        {
            using var buffer = new GpuBuffer(_context, bytes);
            using var input = new GpuTensor(buffer, x.Shape);
            input.Upload(x.ToFloat());
            using (var layer = (Conv2dLayer)GpuLayer.Create(_context, spec, tuning: CpuTuned))
            {
                bool reads = bytes >= (ulong)(elements + 3) / 4 * 16 && width >= kernel;
                Assert.Equal(reads ? (elements + 3) / 4 : 0, layer.VectorTexels(input));
            }
            Compare.Close(expected, Run(CpuTuned, spec, input), what: $"vec4 reads {inC}->{outC} k{kernel} s{stride} {mode} b{border} {height}x{width}, {bytes} bytes");
        }
    }

    /// <summary>
    /// The kernel shapes <c>rtup bench --conv-pixels</c> and <c>--conv-block</c> ask for (KernelTuning.ConvPixels and
    /// ConvChannelBlock) replace the device type's choice in both tunings, and every shape computes the same convolution: a
    /// padded 3x3 12 -> 12 layer (FSRCNN's mapping), a strided 5x5 one, and a fused 1x1 with a sub-pixel head (its deconvolution).
    /// A layer dilated along x keeps one pixel per invocation.
    /// </summary>
    [Theory]
    [InlineData(1, 4)]
    [InlineData(3, 5)]
    [InlineData(4, 12)]
    [InlineData(8, 16)]
    public void KernelShapesAskedForReplaceTheChoiceAndMatchReference(int pixels, int block)
    {
        var rng = new Random(pixels * 100 + block);
        var mapping = new Conv2dSpec
        {
            InChannels = 12, OutChannels = 12, KernelH = 3, KernelW = 3, Padding = Padding.All(1), PaddingMode = PaddingMode.Replicate,
            Weights = HostTensor.RandomFloats(rng, 12 * 12 * 9), Bias = HostTensor.RandomFloats(rng, 12), Activation = Activation.PRelu(HostTensor.RandomFloats(rng, 12, 0.05, 0.5)),
        };
        var strided = mapping with
        {
            InChannels = 5,
            OutChannels = 9,
            KernelH = 5,
            KernelW = 5,
            StrideY = 2,
            StrideX = 2,
            Padding = Padding.All(2),
            PaddingMode = PaddingMode.Zeros,
            Weights = HostTensor.RandomFloats(rng, 9 * 5 * 25),
            Bias = HostTensor.RandomFloats(rng, 9),
            Activation = Activation.LeakyRelu(0.1f),
        };
        var expand = mapping with
        {
            InChannels = 6,
            OutChannels = 14,
            KernelH = 1,
            KernelW = 1,
            Padding = Padding.All(0),
            Weights = HostTensor.RandomFloats(rng, 14 * 6),
            Bias = HostTensor.RandomFloats(rng, 14),
            Activation = Activation.LeakyRelu(0.2f),
        };
        var head = new SubPixelConvSpec(mapping with
        {
            InChannels = 14,
            OutChannels = 4,
            KernelH = 5,
            KernelW = 5,
            Padding = Padding.All(2),
            Weights = HostTensor.RandomFloats(rng, 4 * 14 * 25),
            Bias = HostTensor.RandomFloats(rng, 4),
            Activation = Activation.None,
        }, new PixelShuffleSpec(2, DepthToSpaceOrder.Crd));
        var dilated = mapping with { DilationX = 2, Padding = Padding.All(2) };
        var cases = new (LayerSpec Spec, Conv2dSpec Conv, HostTensor X)[]
        {
            (mapping, mapping, HostTensor.Random(rng, 12, 19, 71)),
            (strided, strided, HostTensor.Random(rng, 5, 23, 61)),
            (new PointwiseConvSpec(expand, head), head.Conv, HostTensor.Random(rng, 6, 13, 45)),
            (dilated, dilated, HostTensor.Random(rng, 12, 11, 37)),
        };
        foreach (bool cpu in new[] { true, false })
        {
            var tuning = new KernelTuning { CpuStyle = cpu, ConvPixels = pixels, ConvChannelBlock = block };
            foreach (var (spec, conv, x) in cases)
            {
                string what = $"{spec.GetType().Name} {conv.KernelW}x{conv.KernelW} s{conv.StrideX} d{conv.DilationX}, {pixels} pixels, blocks of {block}, CPU style {cpu}";
                using (var layer = (Conv2dLayer)GpuLayer.Create(_context, spec, tuning: tuning))
                {
                    int blocks = (conv.OutChannels + block - 1) / block;
                    Assert.Equal((conv.DilationX == 1 ? pixels : 1, (conv.OutChannels + blocks - 1) / blocks), layer.Shape);
                }
                Compare.Close(CpuReference.Layer(spec, new[] { x }), Run(tuning, spec, x), what: what);
            }
        }
    }

    private HostTensor Run(KernelTuning tuning, LayerSpec spec, HostTensor x)
    {
        using var input = new GpuTensor(_context, x.Shape, x.ToFloat());
        return Run(tuning, spec, input);
    }

    private HostTensor Run(KernelTuning tuning, LayerSpec spec, GpuTensor input)
    {
        var context = _context;
        using var layer = GpuLayer.Create(context, spec, tuning: tuning);
        var x = input;
        using var output = new GpuTensor(context, layer.OutputShape(new[] { x.Shape }));
        using var dispatch = layer.Bind(new[] { input }, output);
        context.Execute(r => r.Dispatch(dispatch));
        var result = HostTensor.FromFloat(output.Shape, output.Download());
        var messages = context.Validation!.Drain();
        Assert.True(messages.Count == 0,
            "The Vulkan validation layer reported:" + Environment.NewLine + string.Join(Environment.NewLine, messages));
        return result;
    }

    public void Dispose()
    {
        _context.Dispose();
    }
}
