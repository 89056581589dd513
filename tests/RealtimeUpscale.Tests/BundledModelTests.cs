using RealtimeUpscale.Cli;
using RealtimeUpscale.Network;
using Xunit;

namespace RealtimeUpscale.Tests;

/// <summary>
/// Every shipped model, through the GPU pipeline and <see cref="Evaluator"/>, reproduces the Set5 PSNR the
/// trainer measured in PyTorch by the same protocol and wrote into its metadata (psnr_set5, or val_psnr_set5 in
/// models whose checkpoint was chosen on Set5; two decimals; <see cref="ModelCatalog.RecordedSet5Psnr"/>):
/// within 0.015 dB. RGB models are measured on the studio Y of their 8-bit RGB output. Each must also beat
/// bicubic by half a decibel. (How each compares with FSRCNN and FSRCNN-s is the model card's business.)
/// </summary>
public sealed class BundledModelTests : GpuTest
{
    public BundledModelTests(GpuFixture gpu) : base(gpu)
    {
    }

    public static TheoryData<string> Models()
    {
        var data = new TheoryData<string>();
        foreach (var path in Directory.GetFiles(Path.Combine(SharedData.RepositoryRoot, "models"), "*.onnx").Order(StringComparer.Ordinal))
        {
            data.Add(Path.GetFileName(path));
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void ShippedModelReproducesItsRecordedSet5PSNROnTheGpu(string name)
    {
        var model = ModelDefinition.Load(Path.Combine(SharedData.RepositoryRoot, "models", name));
        int scale = (int)Math.Round(model.Info.Scale);
        double recorded = ModelCatalog.RecordedSet5Psnr(model.Info) ?? throw new InvalidDataException($"{name} records no Set5 PSNR");
        Assert.Equal("true", model.Info.Metadata["trained"]);
        var result = new Evaluator(Context).Evaluate(SharedData.Path("datasets", "Set5"), model, scale);
        Assert.InRange(result.PsnrY, recorded - 0.015, recorded + 0.015);
        Assert.True(result.PsnrY > result.BicubicPsnrY + 0.5, $"{name}: {result.PsnrY:F2} dB, bicubic {result.BicubicPsnrY:F2}");
    }

    /// <summary>
    /// The default of <c>rtup upscale</c> is chosen on the held-out validation images, never on a test set: the
    /// trained x2 model with the best held-out PSNR (models trained before the held-out list rank after, by Set5).
    /// </summary>
    [Fact]
    public void TheDefaultIsTheX2ModelWithTheBestHeldOutPsnr()
    {
        var candidates = Directory.GetFiles(Path.Combine(SharedData.RepositoryRoot, "models"), "*.onnx")
            .Select(path => (Name: Path.GetFileName(path), ModelDefinition.Load(path).Info))
            .Where(m => Math.Abs(m.Info.Scale - 2) < 1e-9 && m.Info.Metadata.GetValueOrDefault("trained") == "true")
            .ToList();
        var heldOut = candidates.Where(m => m.Info.Metadata.GetValueOrDefault("validation") == "General100-held-out").ToList();
        string expected = heldOut.Count > 0
            ? heldOut.MaxBy(m => double.Parse(m.Info.Metadata["val_psnr"], System.Globalization.CultureInfo.InvariantCulture)).Name
            : candidates.MaxBy(m => ModelCatalog.RecordedSet5Psnr(m.Info)).Name;
        Assert.Equal(expected, Path.GetFileName(ModelCatalog.Locate(null)));
    }

    /// <summary>
    /// <c>rtup eval --rgb</c>: the colour image through the whole <c>Upscaler</c> path (a luma model with the
    /// library's bicubic chroma, the RGB model on RGB), measured on 8-bit RGB and on its studio Y. Its Y figure must
    /// agree with the protocol's, which runs the network alone on Y (a luma model: Y of the bicubic-downscaled
    /// colour planes equals the bicubic-downscaled Y, the resize being linear with weights summing to one; the RGB
    /// model: the same network on the same planes), to 0.02 dB; bicubic on RGB, measured on Y, agrees with the
    /// protocol's bicubic alike; and the model beats bicubic on RGB too.
    /// </summary>
    [Theory]
    [InlineData("subpixel_x2.onnx")]
    [InlineData("subpixel_rgb_x2.onnx")]
    public void RgbPathAgreesWithTheProtocolOnY(string name)
    {
        var model = ModelDefinition.Load(Path.Combine(SharedData.RepositoryRoot, "models", name));
        var result = new Evaluator(Context).Evaluate(SharedData.Path("datasets", "Set5"), model, 2, rgb: true);
        var rgb = result.Rgb!;
        Assert.InRange(rgb.PsnrY, result.PsnrY - 0.02, result.PsnrY + 0.02);
        Assert.InRange(rgb.BicubicPsnrY, result.BicubicPsnrY - 0.02, result.BicubicPsnrY + 0.02);
        Assert.True(rgb.PsnrRgb > rgb.BicubicPsnrRgb + 0.5, $"{name}: RGB {rgb.PsnrRgb:F2} dB, bicubic {rgb.BicubicPsnrRgb:F2}");
        Assert.All(result.Images, s => Assert.NotNull(s.Rgb));
    }
}
