using System.Text.Json;
using RealtimeUpscale.Imaging;
using StbImageWriteSharp;
using Xunit;

namespace RealtimeUpscale.Tests.Ncnn;

/// <summary>The rtup commands with ncnn files: models, bench and eval take a .param; a bad one ends in one line.</summary>
public sealed class NcnnCliTests : IDisposable
{
    private readonly NcnnFiles _files = new();

    public void Dispose() => _files.Dispose();

    [Fact]
    public void ModelsListsAnNcnnGraphAndABadFileEndsInOneLine()
    {
        string param = NcnnImportTests.PeerModel("realcugan", "models-se", "up2x-no-denoise.param");
        var listing = CliErrorTests.Rtup("models", "--graph", param, "--size", "64x64");
        Assert.True(listing.Code == 0, listing.Err);
        Assert.Contains("GlobalPool Average", listing.Out);
        Assert.Contains("FullyConnected 64->8 Relu", listing.Out);

        string bad = _files.Write("bad", new[] { "Input in 0 1 in 2=3", "Mish act 1 1 in out" }, Array.Empty<byte>());
        var run = CliErrorTests.Rtup("models", "--graph", bad);
        var lines = run.Err.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(lines.Length == 1 && run.Code != 0, run.Err);
        Assert.Contains("layer 'act' (Mish) is not supported", lines[0]);
    }

    [Fact]
    public void BenchTimesAnNcnnModelOnItsFramedInput()
    {
        // The peak-memory upscale at a small size (its default, 1920x1080, takes minutes with upconv_7 on lavapipe).
        string param = NcnnImportTests.PeerModel("waifu2x", "models-upconv_7_photo", "scale2.0x_model.param");
        var run = CliErrorTests.Rtup("bench", "--model", param, "--size", "37x29", "--runs", "1", "--memory-size", "48x40", "--json");
        Assert.True(run.Code == 0, run.Err);
        using var json = JsonDocument.Parse(run.Out);
        Assert.True(json.RootElement.GetProperty("gpu_ms").GetDouble() > 0);
        // ONNX Runtime does not read ncnn files: its time is not a number.
        Assert.Equal("NaN", json.RootElement.GetProperty("onnxruntime_cpu_ms").GetString());
        // Seven passes: six convolutions and the transposed convolution.
        Assert.Equal(7, json.RootElement.GetProperty("layers").GetArrayLength());
    }

    [Fact]
    public void EvalRunsAnRgbNcnnModelWithItsFraming()
    {
        // A 96 x 72 crop of a BSD100 photograph: waifu2x upconv_7 photo (valid convolutions: the image is padded
        // by 7 and the output cropped, as for upscale) must beat bicubic on it by the protocol of EVAL.md.
        var photo = ImageFile.Load(SharedData.Path("datasets", "BSD100", "102061.bmp"));
        const int w = 96, h = 72, x0 = 200, y0 = 120;
        var crop = new byte[w * h * 3];
        for (int y = 0; y < h; y++)
        {
            photo.Pixels.Slice(((y0 + y) * photo.Width + x0) * 3, w * 3).CopyTo(crop.AsSpan(y * w * 3));
        }
        string dataset = Directory.CreateTempSubdirectory("rtup-eval-ncnn-").FullName;
        try
        {
            using (var stream = File.Create(Path.Combine(dataset, "crop.png")))
            {
                new ImageWriter().WritePng(crop, w, h, ColorComponents.RedGreenBlue, stream);
            }
            string param = NcnnImportTests.PeerModel("waifu2x", "models-upconv_7_photo", "scale2.0x_model.param");
            var run = CliErrorTests.Rtup("eval", dataset, "--model", param, "--scale", "2", "--json");
            Assert.True(run.Code == 0, run.Err + run.Out);
            using var json = JsonDocument.Parse(run.Out.Trim());
            double psnr = json.RootElement.GetProperty("psnr_y").GetDouble(), bicubic = json.RootElement.GetProperty("bicubic_psnr_y").GetDouble();
            double ssim = json.RootElement.GetProperty("ssim_y").GetDouble(), bicubicSsim = json.RootElement.GetProperty("bicubic_ssim_y").GetDouble();
            Assert.True(psnr > bicubic + 1 && ssim > bicubicSsim, $"upconv_7: {psnr:F2} dB / SSIM {ssim:F4}, bicubic {bicubic:F2} dB / {bicubicSsim:F4}");
        }
        finally
        {
            Directory.Delete(dataset, recursive: true);
        }
    }
}
