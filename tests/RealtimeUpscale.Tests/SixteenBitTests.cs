using RealtimeUpscale.Cli;
using RealtimeUpscale.Imaging;
using RealtimeUpscale.Network;
using RealtimeUpscale.Runtime;
using RealtimeUpscale.Upscaling;
using Xunit;

namespace RealtimeUpscale.Tests;

/// <summary>
/// Float and 16-bit precision end to end: the upscaler's float host path and the tiler's float path against a float64
/// CPU reference of the network (relative error under 1e-5, far below one 8-bit level), and 16-bit PNGs through
/// <c>rtup upscale</c> written at 16 bits with the samples the float path gives.
/// </summary>
public sealed class SixteenBitTests : GpuTest, IDisposable
{
    private const int W = 13, H = 9;
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "rtup-16bit-" + Guid.NewGuid().ToString("N"));

    public SixteenBitTests(GpuFixture gpu) : base(gpu) => Directory.CreateDirectory(_dir);

    void IDisposable.Dispose()
    {
        Directory.Delete(_dir, recursive: true);
        Dispose();
    }

    /// <summary>An RGB x2 sub-pixel model: a 3x3 convolution to 12 channels, then a pixel shuffle.</summary>
    private static (ModelDefinition Model, Conv2dSpec Conv, PixelShuffleSpec Shuffle) SubPixelModel(int seed)
    {
        var rng = new Random(seed);
        var conv = new Conv2dSpec
        {
            InChannels = 3, OutChannels = 12, KernelH = 3, KernelW = 3, Padding = Padding.All(1), PaddingMode = PaddingMode.Replicate,
            Weights = HostTensor.RandomFloats(rng, 12 * 3 * 9, -0.3, 0.3), Bias = HostTensor.RandomFloats(rng, 12, 0, 0.2),
        };
        var shuffle = new PixelShuffleSpec(2);
        var info = new ModelInfo("float64-reference", ColorSpace.Rgb, 3, 2, "0-1", new Dictionary<string, string>());
        var model = new ModelDefinition(info, "x", "y", new[]
        {
            new ModelNode("conv", conv, new[] { "x" }, "features"),
            new ModelNode("shuffle", shuffle, new[] { "features" }, "y"),
        });
        return (model, conv, shuffle);
    }

    [Fact]
    public void FloatPathsKeepFullPrecisionAgainstAFloat64Reference()
    {
        var (model, conv, shuffle) = SubPixelModel(7);
        var rng = new Random(11);
        // 16-bit levels plus a fraction of one, so no input sits on the 8-bit or the 16-bit grid.
        var rgb = Enumerable.Range(0, W * H * 3).Select(_ => (float)((rng.Next(65535) + rng.NextDouble()) / 65535)).ToArray();
        var planar = new HostTensor(3, H, W);
        for (int i = 0; i < W * H; i++)
        {
            for (int c = 0; c < 3; c++)
            {
                planar.Data[c * W * H + i] = rgb[i * 3 + c];
            }
        }
        var reference = CpuReference.PixelShuffle(CpuReference.Conv2d(planar, conv), shuffle);
        int n = 4 * W * H;
        var expected = new HostTensor(new TensorShape(3, 2 * H, 2 * W), new double[3 * n]);
        for (int i = 0; i < n; i++)
        {
            for (int c = 0; c < 3; c++)
            {
                expected.Data[i * 3 + c] = reference.Data[c * n + i];
            }
        }

        using var upscaler = new Upscaler(Context, model, W, H);
        var direct = upscaler.Upscale(rgb, PixelFormat.Rgb);
        Compare.Close(expected, HostTensor.FromFloat(expected.Shape, direct), 1e-5, "float host path");
        using var tiler = new TiledUpscaler(Context, model, 8);
        var tiled = tiler.Upscale(rgb, W, H, PixelFormat.Rgb);
        Compare.Close(expected, HostTensor.FromFloat(expected.Shape, tiled), 1e-5, "tiled float path");
        Assert.Equal(direct, tiled);
        // Nothing went through 8 bits: almost no output lies on the 8-bit grid.
        Assert.True(direct.Count(v => Math.Abs(v * 255 - Math.Round(v * 255)) < 1e-3) < direct.Length / 50);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(4)]
    public void SixteenBitPngsAreUpscaledAndWrittenAtSixteenBits(int channels)
    {
        var rng = new Random(channels);
        var samples = new ushort[W * H * channels];
        for (int y = 0; y < H; y++)
        {
            for (int x = 0; x < W; x++)
            {
                for (int c = 0; c < channels; c++)
                {
                    samples[(y * W + x) * channels + c] = (ushort)Math.Clamp(30000 + 1500 * x - 900 * y + 4000 * c + rng.Next(-300, 300), 0, 65535);
                }
            }
        }
        var source = new HostImage(W, H, channels, samples);
        string input = Path.Combine(_dir, "deep.png");
        using (var stream = File.Create(input))
        {
            ImageFileWriter.Write(stream, source, "png");
        }
        var output = new StringWriter();
        var error = new StringWriter();
        int code = new BatchUpscaler(Context, output, error).Run(new UpscaleRequest
        {
            Inputs = new[] { input }, Output = Path.Combine(_dir, "up.png"), Model = SharedData.FsrcnnModel("FSRCNN-s_x2.onnx"),
        });
        Assert.True(code == 0, error.ToString());
        var result = ImageFile.Read(Path.Combine(_dir, "up.png")).Image;
        Assert.Equal((2 * W, 2 * H, channels, 16), (result.Width, result.Height, result.Channels, result.BitsPerChannel));

        // The same samples as the library's float path, rounded once to 16 bits.
        var format = channels switch { 1 => PixelFormat.Grey, 3 => PixelFormat.Rgb, _ => PixelFormat.Rgba };
        using var upscaler = new Upscaler(Context, ModelDefinition.Load(SharedData.FsrcnnModel("FSRCNN-s_x2.onnx")), W, H);
        var expected = upscaler.Upscale(source.ToFloats(), format).Select(v => (ushort)Math.Clamp(MathF.Round(v * 65535f), 0f, 65535f)).ToArray();
        Assert.Equal(expected, result.Samples16.ToArray());
        Assert.True(result.Samples16.ToArray().Count(v => v % 257 != 0) > result.Samples16.Length * 9 / 10, "the output is 8-bit data in 16-bit samples");
    }

    [Fact]
    public void SixteenBitsToAnEightBitFormatIsReported()
    {
        string input = Path.Combine(_dir, "deep.png");
        using (var stream = File.Create(input))
        {
            ImageFileWriter.Write(stream, new HostImage(W, H, 1, Enumerable.Range(0, W * H).Select(i => (ushort)(i * 500)).ToArray()), "png");
        }
        var output = new StringWriter();
        var error = new StringWriter();
        int code = new BatchUpscaler(Context, output, error).Run(new UpscaleRequest
        {
            Inputs = new[] { input }, Output = Path.Combine(_dir, "up.jpg"), Model = SharedData.FsrcnnModel("FSRCNN-s_x2.onnx"),
        });
        Assert.True(code == 0, error.ToString());
        Assert.Contains("16-bit samples are written as 8 bits", error.ToString());
        Assert.Equal(8, ImageFile.Read(Path.Combine(_dir, "up.jpg")).Image.BitsPerChannel);
    }
}
