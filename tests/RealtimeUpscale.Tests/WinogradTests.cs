using RealtimeUpscale.Network;
using RealtimeUpscale.Network.Layers;
using RealtimeUpscale.Runtime;
using Xunit;

namespace RealtimeUpscale.Tests;

/// <summary>
/// The Winograd F(2x2, 3x3) convolution (shaders/conv2d_winograd.comp) against the float64 CPU reference of the
/// direct convolution, in both device-type configurations (CPU style with texel reads, GPU style with storage
/// reads), on odd sizes (a last tile half outside the output, rows and columns of workgroups only partly
/// covered), every padding mode, a channel count that needs several channel blocks and padded ones, a PReLU
/// per channel, and weights both inside the 64 KiB uniform block and past it (the storage-buffer path).
/// Tolerance: the same 1e-5 relative max-norm as the direct path. The transform adds at most a few roundings per
/// output beyond the direct sum's (B^T d B: two additions per element of V; A^T M A: up to nine terms; U is
/// rounded once from float64), all of values no larger than a few times the direct terms, so the error stays in
/// the same order as the direct convolution's float32 sum over inC * 9 terms.
/// </summary>
public sealed class WinogradTests : IDisposable
{
    private static readonly KernelTuning CpuTuned = new() { CpuStyle = true, Winograd = true };
    private static readonly KernelTuning GpuTuned = new() { CpuStyle = false, Winograd = true };
    private readonly GpuContext _context;

    public WinogradTests()
    {
        _context = GpuContext.Create(new GpuContextOptions { EnableValidation = true });
    }

    public static TheoryData<int, int, PaddingMode, int, int, bool> Cases() => new()
    {
        // inC, outC, padding mode, height, width, PReLU
        { 12, 12, PaddingMode.Replicate, 9, 263, true },   // FSRCNN's mapping layers
        { 16, 32, PaddingMode.Zeros, 7, 45, false },       // waifu2x's second layer (valid convolution below)
        { 8, 13, PaddingMode.Reflect, 11, 77, true },      // two channel blocks, the last one padded
        { 40, 72, PaddingMode.Zeros, 5, 31, false },       // 184 KB of transformed weights: the storage-buffer path
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
            Compare.Close(expected, Run(tuning, spec, x), what: $"winograd {inC}->{outC} {mode} {height}x{width}, {Name(tuning)}");
        }
    }

    [Theory]
    [InlineData(3, 4)]
    [InlineData(4, 3)]
    [InlineData(6, 33)]
    public void ValidConvolutionWithOddOutputMatchesReference(int height, int width)
    {
        // No padding: the output is 2 smaller than the input, odd here, so the last tiles are half outside.
        var rng = new Random(height * 100 + width);
        var x = HostTensor.Random(rng, 9, height, width);
        var spec = new Conv2dSpec
        {
            InChannels = 9, OutChannels = 5, KernelH = 3, KernelW = 3,
            Weights = HostTensor.RandomFloats(rng, 5 * 9 * 9), Bias = HostTensor.RandomFloats(rng, 5),
        };
        var expected = CpuReference.Conv2d(x, spec);
        foreach (var tuning in new[] { CpuTuned, GpuTuned })
        {
            Compare.Close(expected, Run(tuning, spec, x), what: $"valid winograd {height}x{width}, {Name(tuning)}");
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
        using (var layer = GpuLayer.Create(_context, Conv(8, 3), tuning: CpuTuned))
        {
            Assert.IsType<Conv2dWinogradLayer>(layer);
        }
        foreach (var spec in new[] { Conv(4, 3), Conv(8, 5), Conv(8, 3, stride: 2), Conv(8, 3, groups: 2) })
        {
            using var layer = GpuLayer.Create(_context, spec, tuning: CpuTuned);
            Assert.IsType<Conv2dLayer>(layer);
        }
        using var direct = GpuLayer.Create(_context, Conv(8, 3), tuning: new KernelTuning { CpuStyle = true });
        Assert.IsType<Conv2dLayer>(direct);
    }

    [Fact]
    public void TransformedWeightsMatchTheDefinition()
    {
        // U = G g G^T for one filter, against the matrix product written out.
        var g = new float[] { 1, 2, 3, 4, 5, 6, 7, 8, 10 };
        var spec = new Conv2dSpec { InChannels = 1, OutChannels = 1, KernelH = 3, KernelW = 3, Weights = g, Bias = new float[1] };
        var u = Conv2dWinogradLayer.TransformWeights(spec, 1);
        double[,] gm = { { 1, 0, 0 }, { 0.5, 0.5, 0.5 }, { 0.5, -0.5, 0.5 }, { 0, 0, 1 } };
        for (int i = 0; i < 4; i++)
        {
            for (int j = 0; j < 4; j++)
            {
                double sum = 0;
                for (int a = 0; a < 3; a++)
                {
                    for (int b = 0; b < 3; b++)
                    {
                        sum += gm[i, a] * g[a * 3 + b] * gm[j, b];
                    }
                }
                Assert.Equal(sum, u[i * 4 + j], 5);
            }
        }
    }

    private static string Name(KernelTuning tuning) => tuning.CpuStyle ? "CPU tuning" : "GPU tuning";

    private HostTensor Run(KernelTuning tuning, LayerSpec spec, HostTensor x)
    {
        using var layer = GpuLayer.Create(_context, spec, tuning: tuning);
        Assert.IsType<Conv2dWinogradLayer>(layer);
        using var input = new GpuTensor(_context, x.Shape, x.ToFloat());
        using var output = new GpuTensor(_context, layer.OutputShape(x.Shape));
        using var dispatch = layer.Bind(input, output);
        _context.Execute(r => r.Dispatch(dispatch));
        var result = HostTensor.FromFloat(output.Shape, output.Download());
        var messages = _context.Validation!.Drain();
        Assert.True(messages.Count == 0,
            "The Vulkan validation layer reported:" + Environment.NewLine + string.Join(Environment.NewLine, messages));
        return result;
    }

    public void Dispose() => _context.Dispose();
}
