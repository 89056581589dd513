using RealtimeUpscale.Network;
using RealtimeUpscale.Network.Passes;
using RealtimeUpscale.Tests.Ncnn;
using RealtimeUpscale.Upscaling;
using Xunit;

namespace RealtimeUpscale.Tests;

/// <summary>
/// Models with squeeze-excitation blocks tiled with the whole image's statistics (one statistics pass per block,
/// then the final pass): the tiled output equals the one-tile output within float rounding (one 8-bit level), and
/// both match a float64 CPU reference (synthetic graphs) or the PyTorch reference (waifu2x cunet, Real-CUGAN).
/// </summary>
public sealed class SqueezeExcitationTilingTests : GpuTest
{
    public SqueezeExcitationTilingTests(GpuFixture gpu) : base(gpu)
    {
    }

    /// <summary>
    /// A small U-Net of valid convolutions in the shape of waifu2x's cunet: a stride-2 convolution, a
    /// squeeze-excitation block at half resolution, a stride-2 transposed convolution back, a skip connection
    /// cropped to it, a second block whose statistics depend on the first's, and a sub-pixel head. Its framing
    /// (margin 4, alignment 2, mirrored) is what makes n pixels 2n.
    /// </summary>
    internal static ModelDefinition Synthetic(int seed)
    {
        var rng = new Random(seed);
        Conv2dSpec Conv(int cin, int cout, int k, int stride, Activation act) => new()
        {
            InChannels = cin, OutChannels = cout, KernelH = k, KernelW = k, StrideY = stride, StrideX = stride,
            Weights = HostTensor.RandomFloats(rng, cout * cin * k * k, -1.0 / (cin * k), 1.0 / (cin * k)).Select((v, i) => v + (i % (cin * k * k) == 0 ? 0.3f : 0f)).ToArray(),
            Bias = HostTensor.RandomFloats(rng, cout, -0.1, 0.1), Activation = act,
        };
        FullyConnectedSpec Fc(int cin, int cout, Activation act) => new()
        {
            InFeatures = cin, OutFeatures = cout, Weights = HostTensor.RandomFloats(rng, cin * cout, -1.5, 1.5),
            Bias = HostTensor.RandomFloats(rng, cout, -0.5, 0.5), Activation = act,
        };
        var leaky = Activation.LeakyRelu(0.1f);
        var nodes = new List<ModelNode>
        {
            new("c1", Conv(3, 8, 3, 1, leaky), new[] { "in" }, "c1"),
            new("c2", Conv(8, 8, 2, 2, leaky), new[] { "c1" }, "c2"),
            new("c3", Conv(8, 8, 3, 1, leaky), new[] { "c2" }, "c3"),
            new("gap1", Pool2dSpec.GlobalAverage, new[] { "c3" }, "gap1"),
            new("fc1a", Fc(8, 4, Activation.Relu), new[] { "gap1" }, "fc1a"),
            new("fc1b", Fc(4, 8, Activation.Sigmoid), new[] { "fc1a" }, "fc1b"),
            new("se1", new BinarySpec(BinaryOperator.Mul), new[] { "c3", "fc1b" }, "se1"),
            new("up", new ConvTranspose2dSpec
            {
                InChannels = 8, OutChannels = 8, KernelH = 2, KernelW = 2, StrideY = 2, StrideX = 2,
                Weights = HostTensor.RandomFloats(rng, 8 * 8 * 4, -0.3, 0.3), Bias = HostTensor.RandomFloats(rng, 8, -0.1, 0.1), Activation = leaky,
            }, new[] { "se1" }, "up"),
            new("skip", new CropSpec(2, 2, 2, 2), new[] { "c1" }, "skip"),
            new("join", new BinarySpec(BinaryOperator.Add), new[] { "skip", "up" }, "join"),
            new("gap2", Pool2dSpec.GlobalAverage, new[] { "join" }, "gap2"),
            new("fc2a", Fc(8, 4, Activation.Relu), new[] { "gap2" }, "fc2a"),
            new("fc2b", Fc(4, 8, Activation.Sigmoid), new[] { "fc2a" }, "fc2b"),
            new("se2", new BinarySpec(BinaryOperator.Mul), new[] { "join", "fc2b" }, "se2"),
            new("head", new SubPixelConvSpec(Conv(8, 12, 3, 1, Activation.None), new PixelShuffleSpec(2)), new[] { "se2" }, "out"),
        };
        var info = new ModelInfo("synthetic-se", ColorSpace.Rgb, 3, 2, "0-1", new Dictionary<string, string>())
        {
            Framing = new InputFraming(4, PaddingMode.Reflect, 2),
        };
        return GraphOptimizer.Optimize(new ModelDefinition(info, "in", "out", nodes));
    }

    [Theory]
    [InlineData(45, 37, 12, 1)]
    [InlineData(51, 30, 16, 2)]
    public void SyntheticTiledEqualsUntiledAndTheCpuReference(int w, int h, int tile, int seed)
    {
        var model = Synthetic(seed);
        var rng = new Random(seed);
        var pixels = new float[w * h * 3];
        for (int i = 0; i < pixels.Length; i++)
        {
            pixels[i] = (float)rng.NextDouble();
        }
        using var tiled = new TiledUpscaler(Context, model, tile);
        Assert.True(w > tile + 2 * tiled.Overlap, "tiles must read less than the whole image for the test to mean anything");

        // The float64 reference: the framed graph the upscaler runs, on the CPU.
        var graph = new UpscalingGraph(model).Build(w, h, keepAlpha: false, grey: false).Graph;
        var input = new HostTensor(3, h, w);
        for (int i = 0; i < w * h; i++)
        {
            for (int c = 0; c < 3; c++)
            {
                input.Data[(c * h * w) + i] = pixels[i * 3 + c];
            }
        }
        var reference = CpuReference.Run(graph, input);

        float[] whole;
        using (var upscaler = new Upscaler(Context, model, w, h))
        {
            whole = upscaler.Upscale(pixels, PixelFormat.Rgb);
        }
        var result = tiled.Upscale(pixels, w, h, PixelFormat.Rgb);
        Assert.Equal(whole.Length, result.Length);
        double tiledToWhole = 0, wholeToReference = 0, tiledToReference = 0;
        int ow = 2 * w, oh = 2 * h;
        for (int i = 0; i < ow * oh; i++)
        {
            for (int c = 0; c < 3; c++)
            {
                double r = reference.Data[(c * oh * ow) + i];
                tiledToWhole = Math.Max(tiledToWhole, Math.Abs(result[i * 3 + c] - whole[i * 3 + c]));
                wholeToReference = Math.Max(wholeToReference, Math.Abs(whole[i * 3 + c] - r));
                tiledToReference = Math.Max(tiledToReference, Math.Abs(result[i * 3 + c] - r));
            }
        }
        Assert.True(wholeToReference < 1e-4, $"untiled differs from the CPU reference by {wholeToReference:E2}");
        Assert.True(tiledToReference < 1e-4, $"tiled differs from the CPU reference by {tiledToReference:E2}");
        Assert.True(tiledToWhole < 1e-5, $"tiled differs from untiled by {tiledToWhole:E2}");

        // Without the statistics passes a tile averages its own region: far off.
        double ownAverages = TileOwnAverages(model, pixels, w, h, tile, tiled.Overlap).Zip(whole, (a, b) => Math.Abs(a - b)).Max();
        Assert.True(ownAverages > 1e-3, $"a tile's own averages should differ from the image's; the test cannot tell them apart ({ownAverages:E2})");

        // 8 bits, with alpha: within one level of the untiled output.
        var bytes = pixels.Select(v => (byte)Math.Round(v * 255)).ToArray();
        var rgba = new byte[w * h * 4];
        for (int i = 0; i < w * h; i++)
        {
            rgba[4 * i] = bytes[3 * i];
            rgba[4 * i + 1] = bytes[3 * i + 1];
            rgba[4 * i + 2] = bytes[3 * i + 2];
            rgba[4 * i + 3] = (byte)(i * 7);
        }
        AssertWithinOneLevel(model, rgba, w, h, tile, PixelFormat.Rgba);
    }

    /// <summary>The output of tiles that each keep their own averages: every tile run alone, one tile each.</summary>
    private float[] TileOwnAverages(ModelDefinition model, float[] pixels, int w, int h, int tile, int overlap)
    {
        // A tile at the left of the image, with its context; its kept columns compared with the whole image's.
        int iw = Math.Min(w, tile + overlap);
        var cut = new float[iw * h * 3];
        for (int y = 0; y < h; y++)
        {
            Array.Copy(pixels, y * w * 3, cut, y * iw * 3, iw * 3);
        }
        using var upscaler = new Upscaler(Context, model, iw, h);
        var part = upscaler.Upscale(cut, PixelFormat.Rgb);
        var full = new float[4 * w * h * 3];
        for (int y = 0; y < 2 * h; y++)
        {
            Array.Copy(part, y * 2 * iw * 3, full, y * 2 * w * 3, 2 * tile * 3);
        }
        return full;
    }

    private void AssertWithinOneLevel(ModelDefinition model, byte[] pixels, int w, int h, int tile, PixelFormat format)
    {
        byte[] whole;
        using (var upscaler = new Upscaler(Context, model, w, h))
        {
            whole = upscaler.Upscale(pixels, format);
        }
        using var tiled = new TiledUpscaler(Context, model, tile);
        var result = tiled.Upscale(pixels, w, h, format);
        Assert.Equal(whole.Length, result.Length);
        int worst = Enumerable.Range(0, whole.Length).Max(i => Math.Abs(whole[i] - result[i]));
        Assert.True(worst <= 1, $"{model.Info.Source}: tiled output differs from untiled by {worst} levels");
    }

    /// <summary>
    /// Tiles that keep their values between the passes (each runs the network once in all) give the same bytes as
    /// tiles that recompute each pass's prefix, float and 8-bit, with and without alpha; with no budget for the
    /// kept values the tiler recomputes.
    /// </summary>
    [Theory]
    [InlineData(45, 37, 12, 1)]
    [InlineData(51, 30, 16, 2)]
    public void TilesThatKeepTheirValuesEqualTilesThatRecompute(int w, int h, int tile, int seed)
    {
        var model = Synthetic(seed);
        var rng = new Random(seed);
        var pixels = Enumerable.Range(0, w * h * 4).Select(_ => (float)rng.NextDouble()).ToArray();
        var bytes = pixels.Select(v => (byte)Math.Round(v * 255)).ToArray();
        using var keeping = new TiledUpscaler(Context, model, tile);
        using var recomputing = new TiledUpscaler(Context, model, tile) { KeepsTileValues = false };
        using var unbudgeted = new TiledUpscaler(Context, model, tile) { HeldBudget = 0 };
        foreach (var format in new[] { PixelFormat.Rgb, PixelFormat.Rgba })
        {
            int channels = format == PixelFormat.Rgb ? 3 : 4;
            var floats = pixels.AsSpan(0, w * h * channels).ToArray();
            Assert.Equal(recomputing.Upscale(floats, w, h, format), keeping.Upscale(floats, w, h, format));
            var kept = keeping.Upscale(bytes.AsSpan(0, w * h * channels), w, h, format);
            Assert.Equal(recomputing.Upscale(bytes.AsSpan(0, w * h * channels), w, h, format), kept);
            Assert.Equal(kept, unbudgeted.Upscale(bytes.AsSpan(0, w * h * channels), w, h, format));
        }
    }

    [Fact]
    public void RealCuganTilesThatKeepTheirValuesEqualTilesThatRecompute()
    {
        var model = ModelDefinition.Load(NcnnImportTests.PeerModel("realcugan", "models-se", "up2x-no-denoise.param"));
        const int w = 133, h = 27, tile = 40;
        var rng = new Random(11);
        var pixels = Enumerable.Range(0, w * h * 3).Select(i => (byte)Math.Clamp((i / 3 % w < w / 2 ? 60 : 190) + rng.Next(-40, 41), 0, 255)).ToArray();
        using var keeping = new TiledUpscaler(Context, model, tile);
        using var recomputing = new TiledUpscaler(Context, model, tile) { KeepsTileValues = false };
        Assert.Equal(recomputing.Upscale(pixels, w, h, PixelFormat.Rgb), keeping.Upscale(pixels, w, h, PixelFormat.Rgb));
    }

    [Theory]
    [InlineData("waifu2x", "models-cunet", "scale2.0x_model.param")]
    [InlineData("realcugan", "models-se", "up2x-no-denoise.param")]
    public void PeerModelsTiledEqualUntiled(string family, string folder, string file)
    {
        var model = ModelDefinition.Load(NcnnImportTests.PeerModel(family, folder, file));
        const int w = 133, h = 27, tile = 40;
        var pixels = new byte[w * h * 3];
        var rng = new Random(5);
        for (int y = 0; y < h; y++)
        {
            for (int x = 0; x < w; x++)
            {
                for (int c = 0; c < 3; c++)
                {
                    // A picture whose halves differ, so that a tile's own averages are not the image's.
                    pixels[(y * w + x) * 3 + c] = (byte)Math.Clamp((x < w / 2 ? 60 : 190) + 40 * Math.Sin((x + 2 * y + c) * 0.4) + rng.Next(-20, 21), 0, 255);
                }
            }
        }
        using (var tiled = new TiledUpscaler(Context, model, tile))
        {
            Assert.True(w > tile + tiled.Overlap, $"the first tile must read less than the whole image (overlap {tiled.Overlap})");
        }
        AssertWithinOneLevel(model, pixels, w, h, tile, PixelFormat.Rgb);
    }
}
