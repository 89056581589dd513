using RealtimeUpscale.Cli;
using RealtimeUpscale.Network;
using Xunit;
using Xunit.Abstractions;

namespace RealtimeUpscale.Tests;

/// <summary>
/// The FSRCNN paper's table (Dong, Loy, Tang, ECCV 2016), reproduced on the GPU pipeline with the authors'
/// released weights (../shared/reference/fsrcnn-official) and the protocol of ../shared/EVAL.md. The table
/// comes from float64 arithmetic; in float32 these weights give 0.00 to 0.02 dB less, so the tolerance is
/// 0.03 dB. The bicubic column checks the degradation and the metric themselves.
/// </summary>
public sealed class PaperTableTests : GpuTest
{
    private const double Tolerance = 0.03;
    private readonly ITestOutputHelper _output;

    public PaperTableTests(GpuFixture gpu, ITestOutputHelper output) : base(gpu) => _output = output;

    [Theory]
    [InlineData("Set5", 2, 37.00, 33.66)]
    [InlineData("Set5", 3, 33.16, 30.39)]
    [InlineData("Set5", 4, 30.71, 28.42)]
    [InlineData("Set14", 2, 32.63, 30.23)]
    [InlineData("Set14", 3, 29.43, 27.54)]
    [InlineData("Set14", 4, 27.59, 26.00)]
    public void FsrcnnReproducesThePublishedPsnr(string dataset, int scale, double fsrcnn, double bicubic)
    {
        var model = ModelDefinition.Load(SharedData.FsrcnnModel($"FSRCNN_x{scale}.onnx"));
        var result = new Evaluator(Context).Evaluate(SharedData.Path("datasets", dataset), model, scale);
        _output.WriteLine($"{dataset} x{scale}: FSRCNN {result.PsnrY:F3} dB (paper {fsrcnn}), bicubic {result.BicubicPsnrY:F3} dB (paper {bicubic}), " +
                          $"SSIM {result.SsimY:F4} / {result.BicubicSsimY:F4}");
        Assert.InRange(result.PsnrY, fsrcnn - Tolerance, fsrcnn + Tolerance);
        Assert.InRange(result.BicubicPsnrY, bicubic - Tolerance, bicubic + Tolerance);
    }

    [Theory]
    [InlineData(2, 36.58)]
    [InlineData(3, 32.61)]
    [InlineData(4, 30.11)]
    public void FsrcnnSmallReproducesThePublishedPsnrOnSet5(int scale, double published)
    {
        var model = ModelDefinition.Load(SharedData.FsrcnnModel($"FSRCNN-s_x{scale}.onnx"));
        var result = new Evaluator(Context).Evaluate(SharedData.Path("datasets", "Set5"), model, scale);
        _output.WriteLine($"Set5 x{scale}: FSRCNN-s {result.PsnrY:F3} dB (paper {published})");
        Assert.InRange(result.PsnrY, published - Tolerance, published + Tolerance);
    }
}
