using Xunit;
using Xunit.Abstractions;

namespace RealtimeUpscale.Imaging.Tests;

/// <summary>
/// The bicubic rows of the published tables (DATA.md; FSRCNN, Dong et al. 2016), reproduced with the
/// evaluation protocol of EVAL.md: studio Y of the uint8 HR image, cropped to a multiple of s; LR = float
/// imresize(Y / 255, 1/s); SR = float imresize(LR, s); both rounded to uint8 the MATLAB way; PSNR with s
/// pixels shaved; mean over the images. The table has two decimals, so the mean must lie within 0.005 dB of
/// it. SSIM is printed, not asserted.
/// </summary>
public sealed class BicubicBaselineTests
{
    private const double TableTolerance = 0.005;

    private readonly ITestOutputHelper _output;

    public BicubicBaselineTests(ITestOutputHelper output)
    {
        _output = output;
    }

    [Theory]
    [InlineData("Set5", 5, 2, 33.66)]
    [InlineData("Set5", 5, 3, 30.39)]
    [InlineData("Set5", 5, 4, 28.42)]
    [InlineData("Set14", 14, 2, 30.23)]
    [InlineData("Set14", 14, 3, 27.54)]
    [InlineData("Set14", 14, 4, 26.00)]
    public void BicubicPsnrMatchesPublishedTable(string dataset, int count, int scale, double published)
    {
        var files = SharedData.DatasetFiles(dataset, "*.png", count);
        double psnrSum = 0;
        double ssimSum = 0;
        foreach (string path in files)
        {
            var (psnr, ssim) = BicubicBaseline(ImageFile.Load(path), scale);
            psnrSum += psnr;
            ssimSum += ssim;
            _output.WriteLine($"{dataset} x{scale} {Path.GetFileName(path)}: PSNR {psnr:F4} dB, SSIM {ssim:F4}");
        }
        double meanPsnr = psnrSum / files.Length;
        double meanSsim = ssimSum / files.Length;
        _output.WriteLine($"{dataset} x{scale} mean: PSNR {meanPsnr:F4} dB (table {published:F2}), SSIM {meanSsim:F4}");
        Assert.True(
            Math.Abs(meanPsnr - published) <= TableTolerance,
            $"{dataset} x{scale}: mean PSNR {meanPsnr:F4} dB, table {published:F2} dB (tolerance {TableTolerance} dB)");
    }

    private static (double Psnr, double Ssim) BicubicBaseline(HostImage hr, int scale)
    {
        var y = Evaluation.StudioY(hr);
        y = Evaluation.CropToMultiple<double>(y, hr.Height, hr.Width, scale, out int height, out int width);
        var normalised = y.Select(v => v / 255).ToArray();
        var lr = MatlabResize.Resize(normalised, height, width, 1.0 / scale, out int lrHeight, out int lrWidth);
        var sr = MatlabResize.Resize(lr, lrHeight, lrWidth, scale, out int srHeight, out int srWidth);
        Assert.Equal((height, width), (srHeight, srWidth));

        var reference = Evaluation.RoundMatlab(y);
        var upscaled = Evaluation.RoundMatlab(sr, 255);
        return (Evaluation.Psnr(reference, upscaled, height, width, scale),
            Evaluation.Ssim(reference, upscaled, height, width, scale));
    }
}
