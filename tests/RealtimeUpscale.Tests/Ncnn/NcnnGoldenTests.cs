using System.Buffers.Binary;
using RealtimeUpscale.Network;
using RealtimeUpscale.Upscaling;
using Xunit;

namespace RealtimeUpscale.Tests.Ncnn;

/// <summary>
/// waifu2x and Real-CUGAN ncnn files through the whole upscaler (import, graph passes, framing, GPU) against
/// tests/ncnn/reference.py: an independent PyTorch runner of the same .param + .bin files, in float64, framed
/// with the values the tools hard-code. Input: a synthetic 23 x 21 RGB picture (odd sizes; the alignment
/// padding and crop are exercised). Tolerance: 1e-3 absolute on the [0, 1] scale (a quarter of an 8-bit level);
/// the golden values are stored as float16, whose rounding is at most 2.5e-4 here, and the GPU computes in
/// float32. The 8-bit path (RGBA in, alpha kept) must be within one level of the rounded reference. The same
/// holds in tiles of 12 pixels (a squeeze-excitation model's tiles get the whole image's averages).
/// </summary>
public sealed class NcnnGoldenTests : GpuTest
{
    private const double Tolerance = 1e-3;
    private const int Width = 23;
    private const int Height = 21;

    public NcnnGoldenTests(GpuFixture gpu) : base(gpu)
    {
    }

    public static TheoryData<string, string, string, string> Models() => new()
    {
        { "upconv7_photo", "waifu2x", "models-upconv_7_photo", "scale2.0x_model.param" },
        { "upconv7_art", "waifu2x", "models-upconv_7_anime_style_art_rgb", "scale2.0x_model.param" },
        { "cunet", "waifu2x", "models-cunet", "scale2.0x_model.param" },
        { "realcugan_se_2x", "realcugan", "models-se", "up2x-no-denoise.param" },
        { "realcugan_se_3x", "realcugan", "models-se", "up3x-no-denoise.param" },
        { "realcugan_se_4x", "realcugan", "models-se", "up4x-no-denoise.param" },
    };

    private static string GoldenPath(string name) => Path.Combine(AppContext.BaseDirectory, "Golden", "ncnn", name);

    private static (int C, int H, int W, float[] Data) Golden(string name)
    {
        var bytes = File.ReadAllBytes(GoldenPath(name + ".f16"));
        int c = BinaryPrimitives.ReadInt32LittleEndian(bytes), h = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(4)),
            w = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(8));
        var data = new float[c * h * w];
        for (int i = 0; i < data.Length; i++)
        {
            data[i] = (float)BinaryPrimitives.ReadHalfLittleEndian(bytes.AsSpan(12 + 2 * i));
        }
        return (c, h, w, data);
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void UpscalerMatchesThePyTorchReference(string name, string family, string folder, string file)
    {
        var model = ModelDefinition.Load(NcnnImportTests.PeerModel(family, folder, file));
        var rgb = File.ReadAllBytes(GoldenPath("input_23x21.rgb"));
        var (c, h, w, expected) = Golden(name);
        int scale = (int)model.Info.Scale;
        Assert.Equal((3, Height * scale, Width * scale), (c, h, w));

        using var upscaler = new Upscaler(Context, model, Width, Height);
        var output = upscaler.Upscale(rgb.Select(b => b / 255f).ToArray(), PixelFormat.Rgb);
        double worst = 0;
        for (int y = 0; y < h; y++)
        {
            for (int x = 0; x < w; x++)
            {
                for (int ch = 0; ch < 3; ch++)
                {
                    worst = Math.Max(worst, Math.Abs(output[(y * w + x) * 3 + ch] - expected[(ch * h + y) * w + x]));
                }
            }
        }
        Assert.True(worst <= Tolerance, $"{name}: largest difference {worst:E3} from the PyTorch reference exceeds {Tolerance:E0}");

        // In tiles of 12 (four tiles): squeeze-excitation models get the whole image's averages, so the same holds.
        using (var tiler = new TiledUpscaler(Context, model, 12))
        {
            var tiled = tiler.Upscale(rgb.Select(b => b / 255f).ToArray(), Width, Height, PixelFormat.Rgb);
            double worstTiled = Enumerable.Range(0, h * w * 3).Max(i => (double)Math.Abs(tiled[i] - expected[(i % 3 * h + i / 3 / w) * w + i / 3 % w]));
            Assert.True(worstTiled <= Tolerance, $"{name} in tiles: largest difference {worstTiled:E3} from the PyTorch reference exceeds {Tolerance:E0}");
        }

        // RGBA 8-bit: colour within one level of the rounded reference, alpha kept (opaque stays opaque).
        var rgba = new byte[Width * Height * 4];
        for (int i = 0; i < Width * Height; i++)
        {
            rgba[4 * i] = rgb[3 * i];
            rgba[4 * i + 1] = rgb[3 * i + 1];
            rgba[4 * i + 2] = rgb[3 * i + 2];
            rgba[4 * i + 3] = 255;
        }
        var bytes = upscaler.Upscale(rgba, PixelFormat.Rgba);
        int worstLevels = 0;
        for (int y = 0; y < h; y++)
        {
            for (int x = 0; x < w; x++)
            {
                for (int ch = 0; ch < 3; ch++)
                {
                    int reference = (int)Math.Clamp(Math.Floor(expected[(ch * h + y) * w + x] * 255.0 + 0.5), 0, 255);
                    worstLevels = Math.Max(worstLevels, Math.Abs(bytes[(y * w + x) * 4 + ch] - reference));
                }
                Assert.Equal(255, bytes[(y * w + x) * 4 + 3]);
            }
        }
        Assert.True(worstLevels <= 1, $"{name}: 8-bit output differs from the rounded reference by {worstLevels} levels");
    }
}
