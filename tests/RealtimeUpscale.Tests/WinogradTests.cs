using RealtimeUpscale.Network;
using RealtimeUpscale.Network.Layers;
using RealtimeUpscale.Runtime;
using Xunit;

namespace RealtimeUpscale.Tests;

/// <summary>
/// The Winograd F(4x4, 3x3) convolution (shaders/winograd_input.comp, winograd_product.comp, winograd_output.comp)
/// against the float64 CPU reference of the direct convolution and against PyTorch's outputs, in both device-type
/// configurations (CPU style with texel reads and the subgroup weight broadcast, GPU style with storage reads), on
/// odd sizes (last tiles and quads partly outside the output, bands of unequal rows), every padding mode, channel
/// counts that leave padded input channels (a multiple of 4) and output channels (a multiple of 8), and a PReLU per
/// channel.
/// Tolerance: <see cref="Tolerance"/>, the direct path's 1e-5 relative max-norm. F(4x4, 3x3) sums each output from 36
/// transformed products whose terms carry the transforms' factors (B^T's 4 and 5, A^T's 8, U's 1/6 and 1/24), so its
/// float32 rounding is larger than the direct sum's: measured from 1.6e-7 (the smallest cases) to 4.4e-6 (64 input
/// channels), against about 1e-7 for the direct kernel.
/// </summary>
public sealed class WinogradTests : GpuTest
{
    /// <summary>The relative max-norm tolerance of the Winograd path (see the class remarks).</summary>
    internal const double Tolerance = Compare.RelativeTolerance;

    private static readonly KernelTuning CpuTuned = new() { CpuStyle = true, Winograd = true };
    private static readonly KernelTuning GpuTuned = new() { CpuStyle = false, Winograd = true };

    public WinogradTests(GpuFixture gpu) : base(gpu)
    {
    }

    public static TheoryData<int, int, PaddingMode, int, int, bool> Cases() => new()
    {
        // inC, outC, padding mode, height, width, PReLU
        { 32, 32, PaddingMode.Zeros, 7, 45, false },       // waifu2x upconv_7's third layer's input channels
        { 18, 13, PaddingMode.Reflect, 11, 77, true },     // input channels padded to 20, output to 16
        { 33, 9, PaddingMode.Replicate, 9, 67, false },    // two quads of tiles per row partly outside
        { 64, 24, PaddingMode.Zeros, 5, 31, true },        // 64 KiB of transformed weights and more
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void WinogradMatchesDirectReferenceInBothTunings(int inC, int outC, PaddingMode mode, int height, int width, bool prelu)
    {
        var rng = new Random(inC * 131 + outC * 17 + width);
        var x = HostTensor.Random(rng, inC, height, width);
        var spec = new Conv2dSpec
        {
            InChannels = inC, OutChannels = outC, KernelH = 3, KernelW = 3, Padding = Padding.All(1), PaddingMode = mode,
            Weights = HostTensor.RandomFloats(rng, outC * inC * 9), Bias = HostTensor.RandomFloats(rng, outC),
            Activation = prelu ? Activation.PRelu(HostTensor.RandomFloats(rng, outC, -0.5, 0.5)) : Activation.LeakyRelu(0.1f),
        };
        var expected = CpuReference.Conv2d(x, spec);
        foreach (var tuning in new[] { CpuTuned, GpuTuned })
        {
            Compare.Close(expected, Run(tuning, spec, x), Tolerance, $"winograd {inC}->{outC} {mode} {height}x{width}, {Name(tuning)}");
        }
    }

    [Theory]
    [InlineData(3, 4)]
    [InlineData(4, 3)]
    [InlineData(6, 33)]
    [InlineData(23, 70)]
    public void ValidConvolutionWithOddOutputMatchesReference(int height, int width)
    {
        // No padding: the output is 2 smaller than the input, so the last tiles are partly outside it.
        var rng = new Random(height * 100 + width);
        var x = HostTensor.Random(rng, 17, height, width);
        var spec = new Conv2dSpec
        {
            InChannels = 17, OutChannels = 5, KernelH = 3, KernelW = 3,
            Weights = HostTensor.RandomFloats(rng, 5 * 17 * 9), Bias = HostTensor.RandomFloats(rng, 5),
        };
        var expected = CpuReference.Conv2d(x, spec);
        foreach (var tuning in new[] { CpuTuned, GpuTuned })
        {
            Compare.Close(expected, Run(tuning, spec, x), Tolerance, $"valid winograd {height}x{width}, {Name(tuning)}");
        }
    }

    [Fact]
    public void BandsOfTileRowsMatchOneBand()
    {
        // A band limit of a few rows' transformed values: 37 output rows are 10 tile rows, run in bands of 3 or 4
        // rows (the last shorter), with the scratch buffers reused by each band.
        var rng = new Random(5);
        var x = HostTensor.Random(rng, 20, 37, 29);
        var spec = new Conv2dSpec
        {
            InChannels = 20, OutChannels = 11, KernelH = 3, KernelW = 3, Padding = Padding.All(1), PaddingMode = PaddingMode.Reflect,
            Weights = HostTensor.RandomFloats(rng, 11 * 20 * 9), Bias = HostTensor.RandomFloats(rng, 11), Activation = Activation.Relu,
        };
        var output = spec.OutputShape(x.Shape);
        ulong perRow = Conv2dWinogradLayer.ScratchSizes(spec, x.Shape, output, 1)[0];
        ulong limit = perRow * 3 + 7;
        var (tilesY, _, rows) = Conv2dWinogradLayer.Bands(spec, output, limit);
        Assert.Equal(10, tilesY);
        Assert.InRange(rows, 2, 3);
        var expected = CpuReference.Conv2d(x, spec);
        foreach (var tuning in new[] { CpuTuned, GpuTuned })
        {
            using var layer = new Conv2dWinogradLayer(Context, spec, "banded", tuning, limit);
            var (actual, passes) = RunLayer(layer, x);
            Assert.Equal(3 * ((tilesY + rows - 1) / rows), passes);
            Compare.Close(expected, actual, Tolerance, $"banded winograd, {Name(tuning)}");
        }
    }

    /// <summary>
    /// Every PyTorch fixture of a 3x3 stride-1 convolution without groups (zero, reflect and replicate padding, no
    /// padding, asymmetric padding) through the Winograd layer, built directly (these have fewer input channels than
    /// the layer is chosen for), against PyTorch's float32 output.
    /// </summary>
    [Fact]
    public void MatchesPyTorchFixtures()
    {
        int ran = 0;
        foreach (var (name, c) in GoldenTests.Fixture)
        {
            if (c.GetProperty("op").GetString() != "conv2d" || GoldenTests.Spec(c) is not Conv2dSpec spec || !Conv2dWinogradLayer.Applies(spec))
            {
                continue;
            }
            var input = GoldenTests.Tensor(c.GetProperty("input"));
            var expected = GoldenTests.Tensor(c.GetProperty("output"));
            foreach (var tuning in new[] { CpuTuned, GpuTuned })
            {
                using var layer = new Conv2dWinogradLayer(Context, spec, name, tuning);
                Compare.Close(expected, RunLayer(layer, input).Output, Tolerance, $"{name}, {Name(tuning)}");
            }
            ran++;
        }
        Assert.True(ran >= 3, $"only {ran} fixtures are 3x3 stride-1 convolutions");
    }

    [Fact]
    public void NetworkSharesScratchAndMatchesDirectTuningOnBothPrecisions()
    {
        // Three Winograd layers (32 -> 40 -> 36 -> 3) after a direct one (3 input channels, under the threshold), bound
        // as a network: the plan counts one pair of scratch buffers, shared by the three.
        var rng = new Random(9);
        Conv2dSpec Conv(int inC, int outC) => new()
        {
            InChannels = inC, OutChannels = outC, KernelH = 3, KernelW = 3, Padding = Padding.All(1),
            Weights = HostTensor.RandomFloats(rng, outC * inC * 9, -0.2, 0.2), Bias = HostTensor.RandomFloats(rng, outC),
            Activation = Activation.LeakyRelu(0.1f),
        };
        var graph = new ModelDefinition(GoldenTests.OneNode(Conv(3, 3), 3).Info, "x", "y", new[]
        {
            new ModelNode("c1", Conv(3, 32), new[] { "x" }, "a"),
            new ModelNode("c2", Conv(32, 40), new[] { "a" }, "b"),
            new ModelNode("c3", Conv(40, 36), new[] { "b" }, "c"),
            new ModelNode("c4", Conv(36, 3), new[] { "c" }, "y"),
        });
        var x = HostTensor.Random(rng, 3, 21, 38);
        var expected = CpuReference.Run(graph, x);
        var plan = new MemoryPlan(graph, x.Shape, tuning: CpuTuned);
        Assert.Equal(2, plan.ScratchSizes.Count);
        var direct = new MemoryPlan(graph, x.Shape);
        Assert.Empty(direct.ScratchSizes);
        Assert.Equal(direct.Bytes + plan.ScratchSizes[0] + plan.ScratchSizes[1], plan.Bytes);
        foreach (var tuning in new[] { CpuTuned, GpuTuned })
        {
            Compare.Close(expected, OnnxImportTests.RunGpu(Context, graph, x, tuning), Tolerance, $"chain, {Name(tuning)}");
            if (Context.HalfStorage)
            {
                // Float16 tensors between the layers, float32 scratch: within float16's rounding of each stored value.
                Compare.Close(expected, OnnxImportTests.RunGpu(Context, graph, x, tuning with { Precision = TensorPrecision.Float16 }), 5e-3,
                    $"chain on float16 tensors, {Name(tuning)}");
            }
        }
    }

    [Fact]
    public void WinogradIsChosenOnlyWhereItApplies()
    {
        Conv2dSpec Conv(int inC, int kernel, int stride = 1, int groups = 1) => new()
        {
            InChannels = inC, OutChannels = 8, KernelH = kernel, KernelW = kernel, StrideY = stride, StrideX = stride,
            Groups = groups, Weights = new float[8 * inC / groups * kernel * kernel], Bias = new float[8],
        };
        using (var layer = GpuLayer.Create(Context, Conv(32, 3), tuning: CpuTuned))
        {
            Assert.IsType<Conv2dWinogradLayer>(layer);
            Assert.Equal(2, layer.ScratchSizes(new[] { new TensorShape(32, 9, 9) }).Count);
            using var input = new GpuTensor(Context, new TensorShape(32, 9, 9));
            using var output = new GpuTensor(Context, new TensorShape(8, 7, 7));
            var e = Assert.Throws<InvalidOperationException>(() => layer.Bind(input, output));
            Assert.Contains("BindPasses", e.Message);
            var small = Assert.Throws<ArgumentException>(() => layer.BindPasses(new[] { input }, output, Array.Empty<GpuBuffer>()));
            Assert.Contains("scratch", small.Message);
        }
        foreach (var spec in new[] { Conv(16, 3), Conv(32, 5), Conv(32, 3, stride: 2), Conv(32, 3, groups: 2) })
        {
            using var layer = GpuLayer.Create(Context, spec, tuning: CpuTuned);
            Assert.IsType<Conv2dLayer>(layer);
            Assert.Empty(layer.ScratchSizes(new[] { new TensorShape(spec.InChannels, 9, 9) }));
        }
        using var direct = GpuLayer.Create(Context, Conv(32, 3), tuning: new KernelTuning { CpuStyle = true, Winograd = false });
        Assert.IsType<Conv2dLayer>(direct);
    }

    [Fact]
    public void TransformedWeightsMatchTheDefinition()
    {
        // U = G g G^T for one filter, against the matrix product written out, at element e = 6 * row + column.
        var g = new float[] { 1, 2, 3, 4, 5, 6, 7, 8, 10 };
        var spec = new Conv2dSpec { InChannels = 1, OutChannels = 1, KernelH = 3, KernelW = 3, Weights = g, Bias = new float[1] };
        var u = Conv2dWinogradLayer.TransformWeights(spec, 8, 4);
        Assert.Equal(36 * 8 * 4, u.Length);
        double[,] gm =
        {
            { 1 / 4.0, 0, 0 }, { -1 / 6.0, -1 / 6.0, -1 / 6.0 }, { -1 / 6.0, 1 / 6.0, -1 / 6.0 },
            { 1 / 24.0, 1 / 12.0, 1 / 6.0 }, { 1 / 24.0, -1 / 12.0, 1 / 6.0 }, { 0, 0, 1 },
        };
        for (int i = 0; i < 6; i++)
        {
            for (int j = 0; j < 6; j++)
            {
                double sum = 0;
                for (int a = 0; a < 3; a++)
                {
                    for (int b = 0; b < 3; b++)
                    {
                        sum += gm[i, a] * g[a * 3 + b] * gm[j, b];
                    }
                }
                Assert.Equal(sum, u[(i * 6 + j) * 8 * 4], 5);
                // The padded output and input channels are zero.
                Assert.Equal(0, u[((i * 6 + j) * 8 + 1) * 4]);
                Assert.Equal(0, u[(i * 6 + j) * 8 * 4 + 1]);
            }
        }
    }

    private static string Name(KernelTuning tuning) => tuning.CpuStyle ? "CPU tuning" : "GPU tuning";

    private HostTensor Run(KernelTuning tuning, Conv2dSpec spec, HostTensor x)
    {
        // Built directly: some cases have fewer input channels than the layer is chosen for.
        using var layer = new Conv2dWinogradLayer(Context, spec, "winograd", tuning);
        return RunLayer(layer, x).Output;
    }

    private (HostTensor Output, int Passes) RunLayer(GpuLayer layer, HostTensor x)
    {
        using var input = new GpuTensor(Context, x.Shape, x.ToFloat());
        using var output = new GpuTensor(Context, layer.OutputShape(x.Shape));
        var scratch = layer.ScratchSizes(new[] { x.Shape }).Select(size => new GpuBuffer(Context, size)).ToList();
        try
        {
            var passes = layer.BindPasses(new[] { input }, output, scratch);
            try
            {
                Context.Execute(r =>
                {
                    foreach (var pass in passes)
                    {
                        r.Dispatch(pass);
                    }
                });
            }
            finally
            {
                foreach (var pass in passes)
                {
                    pass.Dispose();
                }
            }
            return (HostTensor.FromFloat(output.Shape, output.Download()), passes.Count);
        }
        finally
        {
            scratch.ForEach(b => b.Dispose());
        }
    }
}
