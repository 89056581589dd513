using RealtimeUpscale.Cli;
using RealtimeUpscale.Network;
using Xunit;
using Xunit.Abstractions;

namespace RealtimeUpscale.Tests.Training;

/// <summary>
/// The trainer (training/train.py, Debian's python3-torch) in its smoke mode: a few hundred iterations on a
/// few patches, exported to ONNX, then loaded and run by the GPU pipeline against ONNX Runtime. And Odena's
/// point on the trainer's own untrained networks: the deconvolution head starts with far more checkerboard
/// energy than the resize-convolution head.
/// </summary>
public sealed class TrainingSmokeTests : GpuTest, IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "rtup-train-" + Guid.NewGuid().ToString("N"));
    private readonly ITestOutputHelper _output;

    public TrainingSmokeTests(GpuFixture gpu, ITestOutputHelper output) : base(gpu)
    {
        _output = output;
        Directory.CreateDirectory(_dir);
    }

    void IDisposable.Dispose()
    {
        Directory.Delete(_dir, recursive: true);
        Dispose();
    }

    private string Train(string family, string color, params string[] extra)
    {
        string export = Path.Combine(_dir, $"{family}_{color}_{string.Join("", extra).Trim('-')}.onnx");
        string stdout = TrainerProcess.Run(TimeSpan.FromMinutes(5), new[] { "training/train.py", "--family", family, "--scale", "2",
            "--color", color, "--export", export, "--out", Path.Combine(_dir, family + color + extra.Length) }.Concat(extra).ToArray());
        _output.WriteLine(stdout.Split('\n').LastOrDefault(l => l.Contains("exported")) ?? "");
        return export;
    }

    [Theory]
    [InlineData("deconv", "y")]
    [InlineData("subpixel", "y")]
    [InlineData("resizeconv", "y")]
    [InlineData("subpixel", "rgb")]
    public void SmokeTrainingExportsAModelTheGpuRunsLikeOnnxRuntime(string family, string color)
    {
        string path = Train(family, color, "--smoke");
        var model = ModelDefinition.Load(path);
        Assert.Equal(family, model.Info.Metadata["family"]);
        Assert.Equal(color == "y" ? ColorSpace.Y : ColorSpace.Rgb, model.Info.ColorSpace);
        Assert.Equal(2, model.Info.Scale);
        var x = HostTensor.Random(new Random(family.Length), model.Info.InputChannels, 13, 11, 0, 1);
        Compare.Close(OnnxRuntimeOracle.Run(path, x), OnnxImportTests.RunGpu(Context, model, x), OnnxImportTests.NetworkTolerance, path);
    }

    [Fact]
    public void UntrainedDeconvolutionHeadHasClearlyMoreCheckerboardThanResizeConvolution()
    {
        var analyzer = new Analyzer(Context);
        string set5 = SharedData.Path("datasets", "Set5");
        double deconv = analyzer.Analyze(ModelDefinition.Load(Train("deconv", "y", "--init-only")), set5).CheckerboardDb;
        double resize = analyzer.Analyze(ModelDefinition.Load(Train("resizeconv", "y", "--init-only")), set5).CheckerboardDb;
        double subpixel = analyzer.Analyze(ModelDefinition.Load(Train("subpixel", "y", "--init-only")), set5).CheckerboardDb;
        _output.WriteLine($"untrained, checkerboard vs bicubic: deconv {deconv:F1} dB, sub-pixel (ICNR) {subpixel:F1} dB, resize-conv {resize:F1} dB");
        Assert.True(deconv > resize + 10, $"deconv {deconv:F1} dB vs resize-conv {resize:F1} dB");
    }
}
