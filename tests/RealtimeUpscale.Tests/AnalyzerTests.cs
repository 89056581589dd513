using RealtimeUpscale.Cli;
using RealtimeUpscale.Network;
using Xunit;
using Xunit.Abstractions;

namespace RealtimeUpscale.Tests;

/// <summary>The artifact measures: they see a planted checkerboard, and Odena's point at random initialisation.</summary>
public sealed class AnalyzerTests : GpuTest
{
    private readonly ITestOutputHelper _output;

    public AnalyzerTests(GpuFixture gpu, ITestOutputHelper output) : base(gpu) => _output = output;

    private static float[] SmoothImage(int h, int w) =>
        Enumerable.Range(0, h * w).Select(i => (float)(0.5 + 0.3 * Math.Sin(i / w * 0.05) * Math.Cos(i % w * 0.07))).ToArray();

    [Fact]
    public void PlantedCheckerboardIsMeasuredAndSmoothImagesShowNone()
    {
        const int h = 96, w = 120;
        var smooth = SmoothImage(h, w);
        double clean = Analyzer.CheckerboardEnergy(smooth, h, w, 2);
        var planted = smooth.Select((v, i) => v + (((i / w) + (i % w)) % 2 == 0 ? 0.02f : -0.02f)).ToArray();
        double dirty = Analyzer.CheckerboardEnergy(planted, h, w, 2);
        // A +-a pattern makes the four phase means differ by +-a: variance a^2.
        Assert.InRange(dirty, 0.02 * 0.02 * 0.95, 0.02 * 0.02 * 1.05);
        Assert.True(clean < 1e-6, $"smooth image energy {clean}");
        Assert.True(Analyzer.RelativeDb(dirty, clean) > 30);
        Assert.InRange(Analyzer.RelativeDb(clean, clean), -1e-9, 1e-9);
    }

    private static float[] Kaiming(Random rng, int n, int fanIn)
    {
        double bound = 1 / Math.Sqrt(fanIn); // PyTorch's default Conv initialisation bound
        return Enumerable.Range(0, n).Select(_ => (float)((rng.NextDouble() * 2 - 1) * bound)).ToArray();
    }

    private static ModelDefinition RandomModel(string family, int seed)
    {
        var rng = new Random(seed);
        const int d = 16;
        var body = new Conv2dSpec
        {
            InChannels = 1, OutChannels = d, KernelH = 5, KernelW = 5, Padding = Padding.All(2), PaddingMode = PaddingMode.Replicate,
            Weights = Kaiming(rng, d * 25, 25), Bias = Kaiming(rng, d, 25), Activation = Activation.PRelu(0.25f),
        };
        LayerSpec head = family == "deconv"
            ? new ConvTranspose2dSpec
            {
                InChannels = d, OutChannels = 1, KernelH = 9, KernelW = 9, StrideY = 2, StrideX = 2, Padding = Padding.All(4),
                OutputPaddingY = 1, OutputPaddingX = 1, Weights = Kaiming(rng, d * 81, 81), Bias = Kaiming(rng, 1, 81),
            }
            : new ResizeConvSpec(UpsampleSpec.By(UpsampleMode.Nearest, 2), new Conv2dSpec
            {
                InChannels = d, OutChannels = 1, KernelH = 5, KernelW = 5, Padding = Padding.All(2), PaddingMode = PaddingMode.Replicate,
                Weights = Kaiming(rng, d * 25, d * 25), Bias = Kaiming(rng, 1, d * 25),
            });
        var info = new ModelInfo(family + " (random)", ColorSpace.Y, 1, 2, "0-1", new Dictionary<string, string>());
        return new ModelDefinition(info, "x", "y", new[]
        {
            new ModelNode("body", body, new[] { "x" }, "f"),
            new ModelNode("head", head, new[] { "f" }, "y"),
        });
    }

    [Fact]
    public void AtRandomInitialisationDeconvolutionHasClearlyMoreCheckerboardThanResizeConvolution()
    {
        var analyzer = new Analyzer(Context);
        string set5 = SharedData.Path("datasets", "Set5");
        var deconv = Enumerable.Range(1, 2).Select(seed => analyzer.Analyze(RandomModel("deconv", seed), set5).CheckerboardDb).Average();
        var resize = Enumerable.Range(1, 2).Select(seed => analyzer.Analyze(RandomModel("resizeconv", seed), set5).CheckerboardDb).Average();
        _output.WriteLine($"random init, checkerboard vs bicubic: deconv {deconv:F2} dB, resize-conv {resize:F2} dB");
        Assert.True(deconv > resize + 10, $"deconv {deconv:F1} dB vs resize-conv {resize:F1} dB");
    }
}
