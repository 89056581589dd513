using RealtimeUpscale.Network;
using Xunit;

namespace RealtimeUpscale.Tests;

/// <summary>
/// Every layer and option on the GPU against <see cref="CpuReference"/> (float64), on random inputs of odd
/// sizes, within <see cref="Compare.RelativeTolerance"/>.
/// </summary>
public sealed class LayerTests : GpuTest
{
    public LayerTests(GpuFixture gpu) : base(gpu)
    {
    }

    private static Activation ActivationFor(string name, int channels, Random rng) => name switch
    {
        "none" => Activation.None,
        "relu" => Activation.Relu,
        "prelu" => Activation.PRelu(0.25f),
        "prelu-channel" => Activation.PRelu(HostTensor.RandomFloats(rng, channels, -0.5, 0.5)),
        "leaky" => Activation.LeakyRelu(0.1f),
        "tanh" => Activation.Tanh,
        "sigmoid" => Activation.Sigmoid,
        "clip" => Activation.Clip(-0.3f, 0.4f),
        _ => throw new ArgumentException(name),
    };

    public static TheoryData<int, int, int, PaddingMode, string> ConvCases()
    {
        var data = new TheoryData<int, int, int, PaddingMode, string>();
        foreach (int k in new[] { 1, 3, 5, 9 })
        {
            foreach (int stride in new[] { 1, 2 })
            {
                foreach (var mode in new[] { PaddingMode.Zeros, PaddingMode.Replicate, PaddingMode.Reflect })
                {
                    data.Add(k, stride, k / 2, mode, "none");
                }
            }
        }
        data.Add(3, 3, 1, PaddingMode.Zeros, "none");
        foreach (var act in new[] { "relu", "prelu", "prelu-channel", "leaky", "tanh", "sigmoid", "clip" })
        {
            data.Add(3, 1, 1, PaddingMode.Replicate, act);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(ConvCases))]
    public void Conv2dMatchesReference(int kernel, int stride, int pad, PaddingMode mode, string activation)
    {
        var rng = new Random(kernel * 1000 + stride * 100 + pad * 10 + (int)mode + activation.Length * 7);
        var x = HostTensor.Random(rng, 3, 13, 11);
        var spec = new Conv2dSpec
        {
            InChannels = 3, OutChannels = 5, KernelH = kernel, KernelW = kernel,
            Weights = HostTensor.RandomFloats(rng, 5 * 3 * kernel * kernel), Bias = HostTensor.RandomFloats(rng, 5),
            StrideY = stride, StrideX = stride, Padding = Padding.All(pad), PaddingMode = mode,
            Activation = ActivationFor(activation, 5, rng),
        };
        Compare.Close(CpuReference.Conv2d(x, spec), Gpu.Run(spec, x), what: $"conv k{kernel} s{stride} {mode} {activation}");
    }

    public static TheoryData<int, int, int, int> GroupCases() => new()
    {
        { 4, 6, 2, 1 },   // grouped
        { 5, 5, 5, 1 },   // depthwise
        { 3, 6, 3, 1 },   // depthwise with channel multiplier 2
        { 8, 16, 1, 2 },  // dilation 2, blocks of 8 output channels
        { 6, 12, 3, 1 },  // groups of 4 output channels (blocks of 4)
    };

    [Theory]
    [MemberData(nameof(GroupCases))]
    public void Conv2dGroupsAndDilation(int inC, int outC, int groups, int dilation)
    {
        var rng = new Random(inC * 31 + outC * 7 + groups + dilation * 100);
        var x = HostTensor.Random(rng, inC, 9, 13);
        var spec = new Conv2dSpec
        {
            InChannels = inC, OutChannels = outC, KernelH = 3, KernelW = 3, Groups = groups,
            DilationY = dilation, DilationX = dilation, Padding = Padding.All(dilation), PaddingMode = PaddingMode.Reflect,
            Weights = HostTensor.RandomFloats(rng, outC * (inC / groups) * 9), Bias = HostTensor.RandomFloats(rng, outC),
            Activation = Activation.PRelu(HostTensor.RandomFloats(rng, outC)),
        };
        Compare.Close(CpuReference.Conv2d(x, spec), Gpu.Run(spec, x), what: $"conv groups {groups} dilation {dilation}");
    }

    [Fact]
    public void Conv2dAsymmetricKernelStrideAndPaddingWithoutBias()
    {
        var rng = new Random(5);
        var x = HostTensor.Random(rng, 3, 7, 13);
        var spec = new Conv2dSpec
        {
            InChannels = 3, OutChannels = 4, KernelH = 3, KernelW = 5, StrideY = 1, StrideX = 2,
            Padding = new Padding(0, 2, 1, 1), PaddingMode = PaddingMode.Zeros,
            Weights = HostTensor.RandomFloats(rng, 4 * 3 * 15),
        };
        Compare.Close(CpuReference.Conv2d(x, spec), Gpu.Run(spec, x), what: "asymmetric conv");
    }

    public static TheoryData<int, int, int, int, int, string> DeconvCases() => new()
    {
        { 3, 2, 0, 0, 1, "none" },
        { 3, 2, 1, 1, 1, "relu" },
        { 2, 2, 0, 0, 1, "none" },
        { 4, 2, 1, 0, 1, "prelu" },
        { 9, 2, 4, 1, 1, "prelu-channel" },  // FSRCNN x2
        { 9, 3, 4, 2, 1, "none" },           // FSRCNN x3
        { 9, 4, 4, 3, 1, "none" },           // FSRCNN x4
        { 5, 1, 2, 0, 1, "tanh" },
        { 3, 2, 1, 1, 2, "sigmoid" },        // grouped
        { 4, 3, 0, 2, 1, "clip" },
    };

    [Theory]
    [MemberData(nameof(DeconvCases))]
    public void ConvTranspose2dMatchesReference(int kernel, int stride, int pad, int outputPad, int groups, string activation)
    {
        var rng = new Random(kernel * 97 + stride * 13 + pad + outputPad * 3 + groups);
        var x = HostTensor.Random(rng, 4, 7, 5);
        int outC = 6;
        var spec = new ConvTranspose2dSpec
        {
            InChannels = 4, OutChannels = outC, KernelH = kernel, KernelW = kernel, StrideY = stride, StrideX = stride,
            Padding = Padding.All(pad), OutputPaddingY = outputPad, OutputPaddingX = outputPad, Groups = groups,
            Weights = HostTensor.RandomFloats(rng, 4 * (outC / groups) * kernel * kernel),
            Bias = activation == "none" ? null : HostTensor.RandomFloats(rng, outC),
            Activation = ActivationFor(activation, outC, rng),
        };
        Compare.Close(CpuReference.ConvTranspose2d(x, spec), Gpu.Run(spec, x), what: $"deconv k{kernel} s{stride}");
    }

    [Fact]
    public void ConvTranspose2dAsymmetricStrideAndPadding()
    {
        var rng = new Random(11);
        var x = HostTensor.Random(rng, 3, 5, 7);
        var spec = new ConvTranspose2dSpec
        {
            InChannels = 3, OutChannels = 2, KernelH = 3, KernelW = 4, StrideY = 2, StrideX = 3,
            Padding = new Padding(1, 0, 0, 2), OutputPaddingY = 1, OutputPaddingX = 2,
            Weights = HostTensor.RandomFloats(rng, 3 * 2 * 12), Bias = HostTensor.RandomFloats(rng, 2),
        };
        Compare.Close(CpuReference.ConvTranspose2d(x, spec), Gpu.Run(spec, x), what: "asymmetric deconv");
    }

    [Theory]
    [InlineData(2, DepthToSpaceOrder.Crd)]
    [InlineData(3, DepthToSpaceOrder.Crd)]
    [InlineData(4, DepthToSpaceOrder.Crd)]
    [InlineData(2, DepthToSpaceOrder.Dcr)]
    [InlineData(3, DepthToSpaceOrder.Dcr)]
    [InlineData(4, DepthToSpaceOrder.Dcr)]
    public void PixelShuffleMatchesReference(int r, DepthToSpaceOrder order)
    {
        var rng = new Random(r * 10 + (int)order);
        var x = HostTensor.Random(rng, 3 * r * r, 5, 7);
        var spec = new PixelShuffleSpec(r, order);
        var expected = CpuReference.PixelShuffle(x, spec);
        var actual = Gpu.Run(spec, x);
        Assert.Equal(expected.Data, actual.Data); // a permutation: exact
    }

    public static TheoryData<UpsampleMode, bool, double, double> UpsampleCases()
    {
        var data = new TheoryData<UpsampleMode, bool, double, double>();
        foreach (var scale in new[] { (2.0, 2.0), (3.0, 3.0), (1.5, 2.5) })
        {
            data.Add(UpsampleMode.Nearest, false, scale.Item1, scale.Item2);
            foreach (var mode in new[] { UpsampleMode.Bilinear, UpsampleMode.Bicubic })
            {
                data.Add(mode, false, scale.Item1, scale.Item2);
                data.Add(mode, true, scale.Item1, scale.Item2);
            }
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(UpsampleCases))]
    public void UpsampleMatchesReference(UpsampleMode mode, bool align, double sy, double sx)
    {
        var rng = new Random((int)mode * 100 + (align ? 50 : 0) + (int)(sy * 10));
        var x = HostTensor.Random(rng, 3, 7, 5);
        var spec = new UpsampleSpec { Mode = mode, AlignCorners = align, ScaleY = sy, ScaleX = sx };
        Compare.Close(CpuReference.Upsample(x, spec), Gpu.Run(spec, x), what: $"upsample {mode} align {align} x{sy},{sx}");
    }

    [Theory]
    [InlineData(UpsampleMode.Nearest, false)]
    [InlineData(UpsampleMode.Bilinear, false)]
    [InlineData(UpsampleMode.Bicubic, true)]
    public void UpsampleToFixedSize(UpsampleMode mode, bool align)
    {
        var rng = new Random(3);
        var x = HostTensor.Random(rng, 2, 5, 7);
        var spec = new UpsampleSpec { Mode = mode, AlignCorners = align, OutputHeight = 13, OutputWidth = 11 };
        Compare.Close(CpuReference.Upsample(x, spec), Gpu.Run(spec, x), what: $"upsample to size {mode}");
    }

    [Theory]
    [InlineData(UpsampleMode.Nearest, false, 2, 3, PaddingMode.Zeros)]
    [InlineData(UpsampleMode.Bilinear, false, 2, 3, PaddingMode.Replicate)]
    [InlineData(UpsampleMode.Bilinear, true, 3, 3, PaddingMode.Reflect)]
    [InlineData(UpsampleMode.Bicubic, false, 3, 5, PaddingMode.Reflect)]
    [InlineData(UpsampleMode.Nearest, false, 4, 9, PaddingMode.Replicate)]
    public void ResizeConvMatchesUpsampleThenConv(UpsampleMode mode, bool align, int scale, int kernel, PaddingMode pad)
    {
        var rng = new Random(scale * 10 + kernel + (int)mode * 100);
        var x = HostTensor.Random(rng, 3, 5, 7);
        var up = UpsampleSpec.By(mode, scale, align);
        var conv = new Conv2dSpec
        {
            InChannels = 3, OutChannels = 4, KernelH = kernel, KernelW = kernel, Padding = Padding.All(kernel / 2),
            PaddingMode = pad, Weights = HostTensor.RandomFloats(rng, 4 * 3 * kernel * kernel),
            Bias = HostTensor.RandomFloats(rng, 4), Activation = Activation.Relu,
        };
        var expected = CpuReference.Conv2d(CpuReference.Upsample(x, up), conv);
        Compare.Close(expected, Gpu.Run(new ResizeConvSpec(up, conv), x), what: $"resize-conv {mode} x{scale}");
    }

    [Theory]
    [InlineData(2, DepthToSpaceOrder.Crd, "none")]
    [InlineData(3, DepthToSpaceOrder.Dcr, "prelu-channel")]
    [InlineData(4, DepthToSpaceOrder.Crd, "tanh")]
    public void SubPixelConvMatchesConvThenShuffle(int r, DepthToSpaceOrder order, string activation)
    {
        var rng = new Random(r * 3 + (int)order);
        var x = HostTensor.Random(rng, 3, 7, 5);
        int oc = 2 * r * r;
        var conv = new Conv2dSpec
        {
            InChannels = 3, OutChannels = oc, KernelH = 3, KernelW = 3, Padding = Padding.All(1),
            Weights = HostTensor.RandomFloats(rng, oc * 27), Bias = HostTensor.RandomFloats(rng, oc),
            Activation = ActivationFor(activation, oc, rng),
        };
        var shuffle = new PixelShuffleSpec(r, order);
        var expected = CpuReference.PixelShuffle(CpuReference.Conv2d(x, conv), shuffle);
        Compare.Close(expected, Gpu.Run(new SubPixelConvSpec(conv, shuffle), x), what: $"sub-pixel r{r} {order}");
    }

    public static TheoryData<int, int, PaddingMode> BlurCases()
    {
        var data = new TheoryData<int, int, PaddingMode>();
        for (int k = 1; k <= 7; k++)
        {
            data.Add(k, 2, PaddingMode.Reflect);
        }
        data.Add(3, 3, PaddingMode.Replicate);
        data.Add(5, 1, PaddingMode.Zeros);
        data.Add(4, 2, PaddingMode.Zeros);
        data.Add(7, 3, PaddingMode.Replicate);
        return data;
    }

    [Theory]
    [MemberData(nameof(BlurCases))]
    public void BlurPoolMatchesReference(int filter, int stride, PaddingMode mode)
    {
        var rng = new Random(filter * 10 + stride + (int)mode * 100);
        var x = HostTensor.Random(rng, 3, 13, 11);
        var spec = new BlurPoolSpec(3, filter, stride, mode);
        Compare.Close(CpuReference.BlurPool(x, spec), Gpu.Run(spec, x), what: $"blurpool {filter} s{stride} {mode}");
    }

    [Fact]
    public void NaiveSubsampleTakesEveryStridePixel()
    {
        var rng = new Random(9);
        var x = HostTensor.Random(rng, 2, 13, 7);
        var y = Gpu.Run(BlurPoolSpec.Naive(2, 3), x);
        Assert.Equal(new Runtime.TensorShape(2, 5, 3), y.Shape);
        for (int c = 0; c < 2; c++)
        {
            for (int i = 0; i < 5; i++)
            {
                for (int j = 0; j < 3; j++)
                {
                    Assert.Equal(x[c, i * 3, j * 3], y[c, i, j], 6);
                }
            }
        }
    }

    [Theory]
    [InlineData(BinaryOperator.Add, "none")]
    [InlineData(BinaryOperator.Add, "relu")]
    [InlineData(BinaryOperator.Add, "prelu-channel")]
    [InlineData(BinaryOperator.Sub, "none")]
    [InlineData(BinaryOperator.Mul, "tanh")]
    [InlineData(BinaryOperator.Div, "none")]
    [InlineData(BinaryOperator.Max, "none")]
    [InlineData(BinaryOperator.Min, "relu")]
    public void BinaryMatchesReference(BinaryOperator op, string activation)
    {
        var rng = new Random(activation.Length + (int)op * 10);
        var a = HostTensor.Random(rng, 5, 7, 3);
        var b = HostTensor.Random(rng, 5, 7, 3, 0.5, 2); // away from zero, for Div
        var act = ActivationFor(activation, 5, rng);
        Compare.Close(CpuReference.Binary(op, a, b, act), Gpu.Run(new BinarySpec(op, act), a, b), what: $"{op}");
    }

    /// <summary>
    /// Pow's special values as C's powf gives them (.NET's MathF.Pow is powf): zero, negative zero and negative
    /// bases, integer and non-integer exponents, infinities and NaN on either side. NaN, infinities and zeros
    /// (with their sign) must come out exactly; finite powers within a relative 1e-5 (GLSL's pow is exp2 of a
    /// product with a logarithm).
    /// </summary>
    [Fact]
    public void PowFollowsPowfOnItsSpecialValues()
    {
        float inf = float.PositiveInfinity, nan = float.NaN;
        var pairs = new (float A, float B)[]
        {
            (2, 3), (2, -1.5f), (0.5f, 10), (-2, 3), (-2, 2), (-2, -3), (-2, 0.5f), (0, 2), (0, -2), (-0f, 3), (-0f, -3),
            (-0f, -2), (0, 0), (nan, 0), (inf, 0), (1, nan), (1, inf), (-1, inf), (-1, -inf), (2, inf), (0.5f, inf),
            (2, -inf), (-3, inf), (nan, 2), (2, nan), (0, nan), (inf, 2), (inf, -2), (-inf, 3), (-inf, 2), (-inf, -3), (3, 0.5f),
        };
        var a = new HostTensor(1, 1, pairs.Length);
        var b = new HostTensor(1, 1, pairs.Length);
        for (int i = 0; i < pairs.Length; i++)
        {
            a.Data[i] = pairs[i].A;
            b.Data[i] = pairs[i].B;
        }
        var result = Gpu.Run(new BinarySpec(BinaryOperator.Pow), a, b);
        for (int i = 0; i < pairs.Length; i++)
        {
            float expected = MathF.Pow(pairs[i].A, pairs[i].B);
            float actual = (float)result.Data[i];
            string what = $"pow({pairs[i].A}, {pairs[i].B}) = {actual}, powf gives {expected}";
            if (float.IsNaN(expected) || float.IsInfinity(expected) || expected == 0)
            {
                // A NaN's sign means nothing; a zero's and an infinity's do.
                Assert.True(expected.Equals(actual) && (float.IsNaN(expected) || float.IsNegative(expected) == float.IsNegative(actual)), what);
            }
            else
            {
                Assert.True(Math.Abs(actual - expected) <= 1e-5 * Math.Abs(expected), what);
            }
        }
    }

    [Fact]
    public void ScaleBiasMatchesReference()
    {
        var rng = new Random(21);
        var x = HostTensor.Random(rng, 3, 7, 13);
        var spec = new ScaleBiasSpec(HostTensor.RandomFloats(rng, 3, -2, 2), HostTensor.RandomFloats(rng, 3),
            Activation.LeakyRelu(0.2f));
        Compare.Close(CpuReference.ScaleBias(x, spec), Gpu.Run(spec, x), what: "scale-bias");
    }

    [Theory]
    [InlineData(0, 0, 0, 0, 0, null)]
    [InlineData(1, 2, 3, 0, 1, 2)]
    [InlineData(4, 4, 4, 4, 2, 1)]
    public void CropMatchesReference(int top, int left, int bottom, int right, int c0, int? count)
    {
        var rng = new Random(top + left * 3);
        var x = HostTensor.Random(rng, 3, 13, 11);
        var spec = new CropSpec(top, left, bottom, right, c0, count);
        var expected = CpuReference.Crop(x, spec);
        Assert.Equal(expected.Data, Gpu.Run(spec, x).Data);
    }

    [Theory]
    [InlineData(PaddingMode.Replicate, 2, 1)]
    [InlineData(PaddingMode.Reflect, 3, 2)]
    [InlineData(PaddingMode.Zeros, 2, 2)]
    public void ConvTranspose2dWithFusedInputPadding(PaddingMode mode, int stride, int inputPad)
    {
        // FSRCNN's release: edge-pad the input by one, transposed conv 9x9, then crop the output.
        var rng = new Random(stride * 7 + inputPad + (int)mode);
        var x = HostTensor.Random(rng, 5, 7, 9);
        var spec = new ConvTranspose2dSpec
        {
            InChannels = 5, OutChannels = 2, KernelH = 9, KernelW = 9, StrideY = stride, StrideX = stride,
            InputPadding = Padding.All(inputPad), InputPaddingMode = mode, Padding = new Padding(6, 5, 4, 6),
            Weights = HostTensor.RandomFloats(rng, 5 * 2 * 81), Bias = HostTensor.RandomFloats(rng, 2),
        };
        Compare.Close(CpuReference.ConvTranspose2d(x, spec), Gpu.Run(spec, x), what: $"deconv input pad {mode}");
    }

    [Fact]
    public void ConcatStacksChannels()
    {
        var rng = new Random(12);
        var a = HostTensor.Random(rng, 2, 5, 7);
        var b = HostTensor.Random(rng, 3, 5, 7);
        var y = Gpu.Run(new ConcatSpec(), a, b);
        Assert.Equal(new Runtime.TensorShape(5, 5, 7), y.Shape);
        Assert.Equal(a.Data.Concat(b.Data), y.Data);
    }

    [Theory]
    [InlineData(5, 1, 1, 5, 7, 3)]   // a per-channel scale (squeeze-excitation): b is C x 1 x 1
    [InlineData(5, 7, 3, 5, 1, 1)]   // the same, the vector first
    [InlineData(1, 1, 1, 5, 7, 3)]   // a scalar tensor
    [InlineData(5, 7, 3, 1, 7, 3)]   // one plane for every channel
    public void BinaryBroadcastsMatchReference(int ac, int ah, int aw, int bc, int bh, int bw)
    {
        var rng = new Random(ac * 100 + ah * 10 + bc);
        var a = HostTensor.Random(rng, ac, ah, aw);
        var b = HostTensor.Random(rng, bc, bh, bw, 0.5, 2);
        foreach (var op in new[] { BinaryOperator.Mul, BinaryOperator.Sub, BinaryOperator.Div })
        {
            var expected = CpuReference.Binary(op, a, b, Activation.None);
            Assert.Equal(new Runtime.TensorShape(5, 7, 3), expected.Shape);
            Compare.Close(expected, Gpu.Run(new BinarySpec(op), a, b), what: $"{op} broadcast");
        }
    }

    [Theory]
    [InlineData(PoolMode.Average, 13, 11)]
    [InlineData(PoolMode.Max, 13, 11)]
    [InlineData(PoolMode.Average, 1, 1)]
    [InlineData(PoolMode.Average, 97, 131)] // more pixels than the workgroup's lanes, unevenly
    [InlineData(PoolMode.Average, 9, 64)]   // rows exactly as wide as the workgroup (64 lanes), and half as wide
    [InlineData(PoolMode.Max, 7, 32)]
    public void GlobalPoolMatchesReference(PoolMode mode, int h, int w)
    {
        var rng = new Random(h * 7 + w + (int)mode);
        var x = HostTensor.Random(rng, 5, h, w);
        var spec = new Pool2dSpec { Mode = mode, Global = true };
        PoolInBothTunings(spec, x, $"global {mode}");
    }

    [Theory]
    [InlineData(PoolMode.Average, 0, 0, 13, 11)] // the whole plane, given as a region
    [InlineData(PoolMode.Average, 4, 3, 7, 5)]
    [InlineData(PoolMode.Max, 12, 10, 1, 1)]
    [InlineData(PoolMode.Average, 9, 0, 4, 11)]
    public void GlobalPoolOverARegionMatchesReference(PoolMode mode, int top, int left, int height, int width)
    {
        // A tile's share of a whole image's statistics: only the region's pixels count.
        var rng = new Random(top * 13 + left * 5 + height);
        var x = HostTensor.Random(rng, 5, 13, 11);
        var spec = new Pool2dSpec { Mode = mode, Global = true, Region = new PlaneRegion(top, left, height, width) };
        PoolInBothTunings(spec, x, $"global {mode} over {spec.Region}");
        Assert.Throws<ArgumentException>(() => spec.OutputShape(new[] { new Runtime.TensorShape(5, top + height - 1, 11) }));
    }

    [Theory]
    [InlineData(PoolMode.Max, 3, 2, 1, false)]
    [InlineData(PoolMode.Average, 3, 2, 1, false)]
    [InlineData(PoolMode.Average, 3, 2, 1, true)]
    [InlineData(PoolMode.Average, 2, 2, 0, false)]
    [InlineData(PoolMode.Max, 5, 1, 2, false)]
    public void WindowedPoolMatchesReference(PoolMode mode, int kernel, int stride, int pad, bool countPad)
    {
        var rng = new Random(kernel * 31 + stride * 7 + pad);
        var x = HostTensor.Random(rng, 3, 13, 11);
        var spec = new Pool2dSpec
        {
            Mode = mode, KernelH = kernel, KernelW = kernel, StrideY = stride, StrideX = stride, Padding = Padding.All(pad),
            CountIncludePad = countPad,
        };
        PoolInBothTunings(spec, x, $"pool {mode} {kernel} s{stride} p{pad}");
    }

    /// <summary>Pooling read through texels (CPU style) and from the storage buffer (GPU style), against the reference.</summary>
    private void PoolInBothTunings(Pool2dSpec spec, HostTensor x, string what)
    {
        foreach (bool cpu in new[] { true, false })
        {
            var tuning = new KernelTuning { CpuStyle = cpu };
            Compare.Close(CpuReference.Pool2d(x, spec), TunedLayer.Run(Gpu.Context, tuning, spec, x), what: $"{what}, CPU style {cpu}");
        }
    }

    [Theory]
    [InlineData(64, 8, "relu")]
    [InlineData(8, 64, "sigmoid")]
    [InlineData(37, 5, "prelu-channel")]
    public void FullyConnectedMatchesReference(int inFeatures, int outFeatures, string activation)
    {
        var rng = new Random(inFeatures * 100 + outFeatures);
        var x = HostTensor.Random(rng, inFeatures, 1, 1);
        var spec = new FullyConnectedSpec
        {
            InFeatures = inFeatures, OutFeatures = outFeatures, Weights = HostTensor.RandomFloats(rng, inFeatures * outFeatures),
            Bias = HostTensor.RandomFloats(rng, outFeatures), Activation = ActivationFor(activation, outFeatures, rng),
        };
        Compare.Close(CpuReference.FullyConnected(x, spec), Gpu.Run(spec, x), what: $"fully connected {inFeatures}->{outFeatures}");
    }

    [Fact]
    public void FullyConnectedFlattensAFeatureMap()
    {
        var rng = new Random(5);
        var x = HostTensor.Random(rng, 3, 5, 7);
        var spec = new FullyConnectedSpec { InFeatures = 105, OutFeatures = 4, Weights = HostTensor.RandomFloats(rng, 420) };
        Compare.Close(CpuReference.FullyConnected(x, spec), Gpu.Run(spec, x), what: "fully connected on a map");
    }

    [Fact]
    public void CropToTakesTheReferencesShape()
    {
        var rng = new Random(17);
        var a = HostTensor.Random(rng, 4, 13, 11);
        var reference = HostTensor.Random(rng, 3, 5, 7);
        var spec = new CropToSpec(4, 2, 1);
        var expected = CpuReference.CropTo(a, reference, spec);
        Assert.Equal(a[1, 4, 2], expected[0, 0, 0]);
        Assert.Equal(expected.Data, Gpu.Run(spec, a, reference).Data);
    }
}
