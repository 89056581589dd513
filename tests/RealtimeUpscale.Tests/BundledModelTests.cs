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
}
