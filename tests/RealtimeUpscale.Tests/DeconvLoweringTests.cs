using RealtimeUpscale.Network;
using RealtimeUpscale.Network.Layers;
using RealtimeUpscale.Network.Passes;
using Xunit;

namespace RealtimeUpscale.Tests;

/// <summary>
/// Strided transposed convolutions run as sub-pixel convolutions (<see cref="StridedDeconvToSubPixel"/>). The index
/// maths is checked on the CPU over many random configurations (the lowered convolution + pixel shuffle
/// must equal the transposed convolution, float64, 1e-9), and the lowered GPU layer against the CPU
/// reference of the original transposed convolution (1e-5) for the configurations the project runs.
/// </summary>
public sealed class DeconvLoweringTests : GpuTest
{
    public DeconvLoweringTests(GpuFixture gpu) : base(gpu)
    {
    }

    private static ConvTranspose2dSpec Deconv(Random rng, int inC, int outC, int k, int s, Padding crop, int op,
        Padding inputPad = default, PaddingMode mode = PaddingMode.Zeros, bool prelu = false) => new()
        {
            InChannels = inC, OutChannels = outC, KernelH = k, KernelW = k, StrideY = s, StrideX = s, Padding = crop,
            OutputPaddingY = op, OutputPaddingX = op, InputPadding = inputPad, InputPaddingMode = mode,
            Weights = HostTensor.RandomFloats(rng, inC * outC * k * k), Bias = HostTensor.RandomFloats(rng, outC),
            Activation = prelu ? Activation.PRelu(HostTensor.RandomFloats(rng, outC, -0.5, 0.5)) : Activation.None,
        };

    /// <summary>The transposed convolutions of the FSRCNN release (edge-padded input, cropped output), the trainer and DCGAN.</summary>
    public static TheoryData<string, int, int, int, int, int, int, int, int> Projects() => new()
    {
        // name, k, s, crop top/left, crop bottom/right, output padding, input padding (edge), inC, outC
        { "FSRCNN release x2", 9, 2, 6, 5, 0, 1, 5, 1 },
        { "FSRCNN release x3", 9, 3, 6, 6, 0, 1, 5, 1 },
        { "FSRCNN release x4", 9, 4, 8, 5, 0, 1, 5, 1 },
        { "trainer x2", 9, 2, 4, 4, 1, 0, 6, 1 },
        { "trainer x3", 9, 3, 4, 4, 2, 0, 6, 3 },
        { "trainer x4", 9, 4, 4, 4, 3, 0, 6, 1 },
        { "DCGAN", 4, 2, 1, 1, 0, 0, 7, 3 },
    };

    [Theory]
    [MemberData(nameof(Projects))]
    public void ProjectDeconvolutionsLowerAndMatchTheReferenceOnTheGpu(
        string name, int k, int s, int cropBefore, int cropAfter, int op, int inputPad, int inC, int outC)
    {
        var rng = new Random(name.Length * 31 + k + s);
        var spec = Deconv(rng, inC, outC, k, s, new Padding(cropBefore, cropBefore, cropAfter, cropAfter), op,
            Padding.All(inputPad), inputPad > 0 ? PaddingMode.Replicate : PaddingMode.Zeros, prelu: true);
        var lowered = StridedDeconvToSubPixel.TryLower(spec);
        Assert.NotNull(lowered);
        using (var layer = GpuLayer.Create(Gpu.Context, lowered, name))
        {
            Assert.IsType<Conv2dLayer>(layer);
        }
        var x = HostTensor.Random(rng, inC, 11, 7);
        var expected = CpuReference.ConvTranspose2d(x, spec);
        Compare.Close(expected, Gpu.Run(lowered, x), what: name);
        // Given as a transposed convolution, the layer runs as one: the lowering is the graph pass's alone.
        using (var layer = GpuLayer.Create(Gpu.Context, spec, name))
        {
            Assert.IsType<ConvTranspose2dLayer>(layer);
        }
        Compare.Close(expected, Gpu.Run(spec, x), what: $"{name} as a transposed convolution");
    }

    [Fact]
    public void LoweringEqualsTheTransposedConvolutionOnRandomConfigurations()
    {
        var rng = new Random(2016);
        int lowered = 0, tried = 0;
        for (int n = 0; n < 400; n++)
        {
            int k = rng.Next(1, 10), s = rng.Next(2, 5);
            var crop = new Padding(rng.Next(0, k), rng.Next(0, k), rng.Next(0, k), rng.Next(0, k));
            int op = rng.Next(0, s);
            int ip = rng.Next(0, 3);
            var mode = rng.Next(2) == 0 ? PaddingMode.Zeros : PaddingMode.Replicate;
            var spec = Deconv(rng, 2, 2, k, s, crop, op, Padding.All(ip), mode, prelu: rng.Next(2) == 0);
            var x = HostTensor.Random(rng, 2, rng.Next(3, 8), rng.Next(3, 8));
            HostTensor expected;
            try
            {
                spec.OutputShape(new[] { x.Shape });
                expected = CpuReference.ConvTranspose2d(x, spec);
            }
            catch (ArgumentException)
            {
                continue; // the crop removes the whole output at this size
            }
            tried++;
            if (StridedDeconvToSubPixel.TryLower(spec) is not { } sub)
            {
                continue;
            }
            lowered++;
            var actual = CpuReference.PixelShuffle(CpuReference.Conv2d(x, sub.Conv), sub.Shuffle);
            Assert.Equal(expected.Shape, actual.Shape);
            for (int i = 0; i < expected.Data.Length; i++)
            {
                Assert.True(Math.Abs(expected.Data[i] - actual.Data[i]) <= 1e-9 * (1 + Math.Abs(expected.Data[i])),
                    $"k{k} s{s} crop {crop} op {op} input pad {ip} {mode}: element {i} {actual.Data[i]} != {expected.Data[i]}");
            }
        }
        // Output sizes that are not a multiple of the stride (most random crops) stay on the gathering shader;
        // enough configurations must lower for the check to mean something.
        Assert.True(lowered > 40, $"only {lowered} of {tried} configurations lowered");
    }

    [Fact]
    public void ReflectPaddingAndGroupsStayOnTheTransposedConvolutionShader()
    {
        var rng = new Random(3);
        var reflect = Deconv(rng, 2, 2, 9, 2, Padding.All(4), 1, Padding.All(1), PaddingMode.Reflect);
        Assert.Null(StridedDeconvToSubPixel.TryLower(reflect));
        var grouped = Deconv(rng, 2, 2, 3, 2, Padding.All(1), 1) with { Groups = 2, Weights = HostTensor.RandomFloats(rng, 2 * 1 * 9) };
        Assert.Null(StridedDeconvToSubPixel.TryLower(grouped));
        var x = HostTensor.Random(rng, 2, 7, 5);
        Compare.Close(CpuReference.ConvTranspose2d(x, reflect), Gpu.Run(reflect, x), what: "reflect input padding");
        Compare.Close(CpuReference.ConvTranspose2d(x, grouped), Gpu.Run(grouped, x), what: "grouped");
    }
}
