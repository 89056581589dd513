using RealtimeUpscale.Network;
using RealtimeUpscale.Runtime;
using RealtimeUpscale.Upscaling;
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
        { "peer:waifu2x/models-upconv_7_photo/scale2.0x_model.param", PixelFormat.Rgb, 12 },
    };

    private static string ModelPath(string spec)
    {
        var parts = spec.Split(':');
        if (parts[0] == "peer")
        {
            var p = parts[1].Split('/');
            return Ncnn.NcnnImportTests.PeerModel(p[0], p[1], p[2]);
        }
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

    /// <summary>
    /// The overlap follows each value's reach: a valid 3x3 convolution adds one pixel of its input, a 2x2 stride-2
    /// one none, so Real-CUGAN's U-Nets reach exactly as far as they shrink the picture (18 pixels of its framing for
    /// x2, and 7 for upconv_7: six valid convolutions and its transposed convolution, run as a sub-pixel
    /// convolution); one more is added. Summing every layer's radius counted 46 and 15. Tiles of these overlaps equal the untiled output (TiledEqualsUntiled,
    /// SqueezeExcitationTilingTests).
    /// </summary>
    [Fact]
    public void OverlapFollowsTheReachOfEachValue()
    {
        var cugan = ModelDefinition.Load(Ncnn.NcnnImportTests.PeerModel("realcugan", "models-se", "up2x-no-denoise.param"));
        var upconv = ModelDefinition.Load(Ncnn.NcnnImportTests.PeerModel("waifu2x", "models-upconv_7_photo", "scale2.0x_model.param"));
        Assert.Equal(cugan.Info.Framing!.Margin + 1, cugan.ReceptiveRadius());
        Assert.Equal(upconv.Info.Framing!.Margin + 1, upconv.ReceptiveRadius());
        Assert.Equal(7, upconv.Info.Framing.Margin);
        Assert.Equal((46, 15), (cugan.ConservativeRadius(), upconv.ConservativeRadius()));
        foreach (var spec in Cases().Select(c => (string)c[0]))
        {
            var model = ModelDefinition.Load(ModelPath(spec));
            Assert.InRange(model.ReceptiveRadius(), 1, model.ConservativeRadius());
        }
    }

    [Fact]
    public void ReusedTilerMatchesUntiledAndReleasesUnusedTileSizes()
    {
        // 509 wide: the untiled run computes 32 pixels per invocation in the lowered deconvolution, the
        // narrower last tile 16, so pixels sit in other slots than untiled.
        var definition = ModelDefinition.Load(SharedData.FsrcnnModel("FSRCNN_x2.onnx"));
        using var context = GpuContext.Create(new GpuContextOptions { EnableValidation = true });
        var tuning = new KernelTuning { CpuStyle = true }; // the width-dependent pixels per invocation, on any device
        var rng = new Random(3);
        var a = new byte[509 * 17 * 3];
        var b = new byte[150 * 40 * 3];
        rng.NextBytes(a);
        rng.NextBytes(b);
        using var tiled = new TiledUpscaler(context, definition, 200, tuning);

        var first = tiled.Upscale(a, 509, 17, PixelFormat.Rgb);
        Assert.Equal(Untiled(context, tuning, definition, a, 509, 17), first);
        int sizesOfA = tiled.UpscalerCount;
        Assert.True(sizesOfA >= 2, "the image must span several tile sizes");
        tiled.ReleaseUnused();
        Assert.Equal(first, tiled.Upscale(a, 509, 17, PixelFormat.Rgb));
        tiled.ReleaseUnused();
        Assert.Equal(sizesOfA, tiled.UpscalerCount);

        Assert.Equal(Untiled(context, tuning, definition, b, 150, 40), tiled.Upscale(b, 150, 40, PixelFormat.Rgb));
        Assert.True(tiled.UpscalerCount > 1);
        tiled.ReleaseUnused();
        Assert.Equal(1, tiled.UpscalerCount); // the second image's one tile size; the first image's are released
        Assert.Equal(Untiled(context, tuning, definition, b, 150, 40), tiled.Upscale(b, 150, 40, PixelFormat.Rgb));
        Assert.Empty(context.Validation!.Drain());
    }

    [Fact]
    public void EveryTileSizeBindsOneCopyOfTheWeights()
    {
        var definition = ModelDefinition.Load(SharedData.FsrcnnModel("FSRCNN_x2.onnx"));
        using var context = GpuContext.Create(new GpuContextOptions { EnableValidation = true });
        var pixels = new byte[41 * 29 * 4];
        new Random(8).NextBytes(pixels);
        // What a context makes once, on first use (placeholder buffers), is made before measuring.
        using (var warm = new Upscaler(context, definition, 9, 9))
        {
            warm.Upscale(new byte[9 * 9 * 4], PixelFormat.Rgba);
        }
        ulong start = context.MemoryStatistics.BytesAllocated;

        // What the tiler holds beside its bindings' tensors while bound, and once every tile size is released:
        // the weights, after one tile size and after several.
        (ulong Weights, ulong BesideTensors, int Sizes) Run(int tile)
        {
            using var tiled = new TiledUpscaler(context, definition, tile);
            tiled.Upscale(pixels, 41, 29, PixelFormat.Rgba);
            int sizes = tiled.UpscalerCount;
            ulong besideTensors = context.MemoryStatistics.BytesAllocated - start - tiled.BindingBytes;
            tiled.ReleaseUnused();
            tiled.ReleaseUnused();
            Assert.Equal(0, tiled.UpscalerCount);
            return (context.MemoryStatistics.BytesAllocated - start, besideTensors, sizes);
        }

        var one = Run(64);
        var several = Run(12);
        Assert.Equal(start, context.MemoryStatistics.BytesAllocated); // a disposed tiler leaves nothing behind
        Assert.Equal(1, one.Sizes);
        Assert.True(several.Sizes >= 4, $"the image must span several tile sizes, got {several.Sizes}");
        // The model's weights (at least its float32 convolution weights) plus the colour matrices, once.
        ulong modelWeights = (ulong)definition.Nodes.Sum(n => n.Spec switch
        {
            Conv2dSpec c => c.Weights.Length,
            ConvTranspose2dSpec t => t.Weights.Length,
            _ => 0,
        }) * sizeof(float);
        Assert.True(one.Weights >= modelWeights, $"{one.Weights} bytes held for {modelWeights} bytes of weights");
        Assert.Equal(one.Weights, several.Weights);
        // While bound, every tile size added its tensors and nothing else (up to the driver's rounding of each
        // buffer's size, well under a kilobyte a tile size): no copy of the weights.
        foreach (var run in new[] { one, several })
        {
            Assert.InRange(run.BesideTensors, one.Weights, one.Weights + (ulong)run.Sizes * 1024);
        }
        Assert.Empty(context.Validation!.Drain());
    }

    private static byte[] Untiled(GpuContext context, KernelTuning tuning, ModelDefinition definition, byte[] pixels, int w, int h)
    {
        using var upscaler = new Upscaler(context, definition, w, h, tuning);
        return upscaler.Upscale(pixels, PixelFormat.Rgb);
    }
}
