using RealtimeUpscale.Network;
using Xunit;

namespace RealtimeUpscale.Tests;

/// <summary>Tiled upscaling gives the same bytes as an untiled run, for any tile size and odd image sizes.</summary>
public sealed class TilingTests : GpuTest
{
    public TilingTests(GpuFixture gpu) : base(gpu)
    {
    }

    public static TheoryData<string, PixelFormat, int> Cases() => new()
    {
        { "fsrcnn:FSRCNN_x2.onnx", PixelFormat.Rgba, 16 },
        { "fsrcnn:FSRCNN_x3.onnx", PixelFormat.Rgb, 11 },
        { "fsrcnn:FSRCNN-s_x2.onnx", PixelFormat.Grey, 9 },
        { "models:residual_rgb_x2.onnx", PixelFormat.Rgba, 13 },
        { "models:resizeconv_bilinear_x2.onnx", PixelFormat.GreyAlpha, 10 },
        { "models:espcn_like_x3.onnx", PixelFormat.Rgb, 17 },
    };

    private static string ModelPath(string spec)
    {
        var parts = spec.Split(':');
        return parts[0] == "fsrcnn" ? SharedData.FsrcnnModel(parts[1]) : Path.Combine(AppContext.BaseDirectory, "Models", parts[1]);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void TiledEqualsUntiled(string model, PixelFormat format, int tile)
    {
        var definition = ModelDefinition.Load(ModelPath(model));
        const int w = 41, h = 29;
        int channels = format switch { PixelFormat.Grey => 1, PixelFormat.GreyAlpha => 2, PixelFormat.Rgb => 3, _ => 4 };
        var pixels = new byte[w * h * channels];
        new Random(tile).NextBytes(pixels);

        byte[] whole;
        using (var upscaler = new Upscaler(Context, definition, w, h))
        {
            whole = upscaler.Upscale(pixels, format);
        }
        using var tiled = new TiledUpscaler(Context, definition, tile);
        Assert.True(w > tile + tiled.Overlap, "the image must span several tiles for the test to mean anything");
        var result = tiled.Upscale(pixels, w, h, format);
        var diffs = Enumerable.Range(0, whole.Length).Where(i => whole[i] != result[i]).ToList();
        Assert.True(diffs.Count == 0, $"{diffs.Count} bytes differ, first at pixel ({diffs.FirstOrDefault() / channels % (w * tiled.Scale)}, " +
            $"{diffs.FirstOrDefault() / channels / (w * tiled.Scale)}), max {diffs.Select(i => Math.Abs(whole[i] - result[i])).DefaultIfEmpty().Max()}; " +
            $"columns {string.Join(",", diffs.Select(i => i / channels % (w * tiled.Scale)).Distinct().OrderBy(x => x).Take(20))}");
    }
}
