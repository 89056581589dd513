using RealtimeUpscale.Network;
using RealtimeUpscale.Runtime;
using RealtimeUpscale.Upscaling;
using Silk.NET.Vulkan;
using Xunit;

namespace RealtimeUpscale.Tests;

/// <summary>
/// The Upscaler against a composition of outside references: ONNX Runtime for the network, the float64
/// reference for bicubic interpolation of chroma and alpha, and the EVAL.md colour formulas. 8-bit outputs
/// may differ by one level where fp32 rounding lands on the other side of a half.
/// </summary>
public sealed class UpscalerTests : GpuTest
{
    private const int W = 13, H = 9;

    public UpscalerTests(GpuFixture gpu) : base(gpu)
    {
    }

    private static byte[] RandomPixels(int n, int seed)
    {
        var b = new byte[n];
        new Random(seed).NextBytes(b);
        return b;
    }

    private static HostTensor Bicubic(HostTensor x, int outH, int outW) =>
        CpuReference.Upsample(x, new UpsampleSpec { Mode = UpsampleMode.Bicubic, OutputHeight = outH, OutputWidth = outW });

    private static byte ToByte(double v) => (byte)Math.Clamp(Math.Round(v * 255), 0, 255);

    private static void AssertWithinOneLevel(byte[] expected, byte[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        int maxDiff = expected.Zip(actual, (e, a) => Math.Abs(e - a)).Max();
        Assert.True(maxDiff <= 1, $"8-bit outputs differ by up to {maxDiff} levels.");
    }

    [Fact]
    public void LumaModelUpscalesYAndBicubicChromaAndKeepsAlpha()
    {
        string path = SharedData.FsrcnnModel("FSRCNN_x2.onnx");
        var model = ModelDefinition.Load(path);
        var rgba = RandomPixels(W * H * 4, 1);
        using var upscaler = new Upscaler(Context, model, W, H);
        Assert.Equal((2 * W, 2 * H), (upscaler.OutputWidth, upscaler.OutputHeight));
        var actual = upscaler.Upscale(rgba, PixelFormat.Rgba);

        var ycc = new HostTensor(3, H, W);
        var alpha = new HostTensor(1, H, W);
        for (int i = 0; i < W * H; i++)
        {
            var (y, cb, cr) = CpuReference.RgbToYcbcr(rgba[i * 4] / 255.0, rgba[i * 4 + 1] / 255.0, rgba[i * 4 + 2] / 255.0);
            ycc.Data[i] = (float)y;
            ycc.Data[W * H + i] = cb;
            ycc.Data[2 * W * H + i] = cr;
            alpha.Data[i] = rgba[i * 4 + 3] / 255.0;
        }
        var yUp = OnnxRuntimeOracle.Run(path, new HostTensor(new TensorShape(1, H, W), ycc.Data.Take(W * H).ToArray()));
        var chroma = Bicubic(new HostTensor(new TensorShape(2, H, W), ycc.Data.Skip(W * H).ToArray()), 2 * H, 2 * W);
        var alphaUp = Bicubic(alpha, 2 * H, 2 * W);
        int n = 4 * W * H;
        var expected = new byte[n * 4];
        for (int i = 0; i < n; i++)
        {
            // ycbcr2rgb: the inverse of rgb2ycbcr's matrix, applied to (Y - 16, Cb - 128, Cr - 128) / 255.
            double y = yUp.Data[i] * 255 - 16, cb = chroma.Data[i] * 255 - 128, cr = chroma.Data[n + i] * 255 - 128;
            expected[i * 4] = ToByte((1.164383561643836 * y + 1.596026887335704 * cr) / 255);
            expected[i * 4 + 1] = ToByte((1.164383561643836 * y - 0.39176253994145 * cb - 0.8129682921622053 * cr) / 255);
            expected[i * 4 + 2] = ToByte((1.164383561643836 * y + 2.017232639556459 * cb) / 255);
            expected[i * 4 + 3] = ToByte(alphaUp.Data[i]);
        }
        AssertWithinOneLevel(expected, actual);
        Assert.Contains(upscaler.LastTimings, t => t.Label == "deconv");
    }

    [Fact]
    public void GreyImagesGoThroughALumaModelDirectly()
    {
        string path = SharedData.FsrcnnModel("FSRCNN_x3.onnx");
        var grey = RandomPixels(W * H, 2);
        using var upscaler = new Upscaler(Context, ModelDefinition.Load(path), W, H);
        var actual = upscaler.Upscale(grey, PixelFormat.Grey);
        var x = new HostTensor(new TensorShape(1, H, W), grey.Select(v => v / 255.0).ToArray());
        var expected = OnnxRuntimeOracle.Run(path, HostTensor.FromFloat(x.Shape, x.ToFloat())).Data.Select(ToByte).ToArray();
        AssertWithinOneLevel(expected, actual);
    }

    [Fact]
    public void RgbModelSeesRgbAndFloatPixelsAreNotClamped()
    {
        string path = System.IO.Path.Combine(AppContext.BaseDirectory, "Models", "residual_rgb_x2.onnx");
        var rng = new Random(3);
        var rgb = Enumerable.Range(0, W * H * 3).Select(_ => (float)rng.NextDouble()).ToArray();
        using var upscaler = new Upscaler(Context, ModelDefinition.Load(path), W, H);
        var actual = upscaler.Upscale(rgb, PixelFormat.Rgb);

        var planar = new HostTensor(3, H, W);
        for (int i = 0; i < W * H; i++)
        {
            for (int c = 0; c < 3; c++)
            {
                planar.Data[c * W * H + i] = rgb[i * 3 + c];
            }
        }
        var net = OnnxRuntimeOracle.Run(path, planar);
        var interleaved = new HostTensor(new TensorShape(3, 2 * H, 2 * W), new double[net.Data.Length]);
        int n = 4 * W * H;
        for (int i = 0; i < n; i++)
        {
            for (int c = 0; c < 3; c++)
            {
                interleaved.Data[i * 3 + c] = net.Data[c * n + i];
            }
        }
        Compare.Close(interleaved, HostTensor.FromFloat(interleaved.Shape, actual), 1e-4, "rgb upscaler");
    }

    [Fact]
    public unsafe void EngineCallRecordsIntoTheCallersCommandBufferAndImages()
    {
        var model = ModelDefinition.Load(SharedData.FsrcnnModel("FSRCNN-s_x2.onnx"));
        var rgba = RandomPixels(W * H * 4, 4);
        using var upscaler = new Upscaler(Context, model, W, H);
        var hostResult = upscaler.Upscale(rgba, PixelFormat.Rgba);

        // The "engine": its own images, its own command pool and buffer, its own submission.
        using var input = new GpuImage(Context, W, H, Format.R8G8B8A8Unorm);
        using var output = new GpuImage(Context, 2 * W, 2 * H, Format.R8G8B8A8Unorm);
        input.Upload(rgba);
        var vk = Context.Vk;
        var poolInfo = new CommandPoolCreateInfo(flags: CommandPoolCreateFlags.ResetCommandBufferBit, queueFamilyIndex: Context.QueueFamilyIndex);
        Assert.Equal(Result.Success, vk.CreateCommandPool(Context.Device, in poolInfo, null, out var pool));
        try
        {
            var alloc = new CommandBufferAllocateInfo(commandPool: pool, level: CommandBufferLevel.Primary, commandBufferCount: 1);
            Assert.Equal(Result.Success, vk.AllocateCommandBuffers(Context.Device, in alloc, out var cmd));
            for (int frame = 0; frame < 3; frame++)
            {
                var begin = new CommandBufferBeginInfo(flags: CommandBufferUsageFlags.OneTimeSubmitBit);
                Assert.Equal(Result.Success, vk.BeginCommandBuffer(cmd, in begin));
                upscaler.Record(new CommandRecorder(Context, cmd), input.Binding, output.Binding);
                Assert.Equal(Result.Success, vk.EndCommandBuffer(cmd));
                var submit = new SubmitInfo(commandBufferCount: 1, pCommandBuffers: &cmd);
                Assert.Equal(Result.Success, vk.QueueSubmit(Context.Queue, 1, in submit, default));
                Assert.Equal(Result.Success, vk.QueueWaitIdle(Context.Queue));
                Assert.Equal(Result.Success, vk.ResetCommandBuffer(cmd, 0));
            }
        }
        finally
        {
            vk.DestroyCommandPool(Context.Device, pool, null);
        }
        Assert.Equal(hostResult, output.Download());
    }

    [Fact]
    public void ExactOutputSizesResampleTheModelsOutputInTheGraph()
    {
        var model = ModelDefinition.Load(SharedData.FsrcnnModel("FSRCNN-s_x2.onnx"));
        var rng = new Random(12);
        var rgba = Enumerable.Range(0, W * H * 4).Select(_ => (float)rng.NextDouble()).ToArray();
        using var natural = new Upscaler(Context, model, W, H);
        var full = natural.Upscale(rgba, PixelFormat.Rgba);
        int n = 4 * W * H;
        var planar = new HostTensor(4, 2 * H, 2 * W);
        for (int i = 0; i < n; i++)
        {
            for (int c = 0; c < 4; c++)
            {
                planar.Data[c * n + i] = full[i * 4 + c];
            }
        }
        // 26x18 shrunk to 19x13 (about 1.4: a binomial 3 first, replicate edges) and grown to 37x23 (no blur),
        // both bilinear to the exact size, alpha alike; the reference starts from the upscaler's own output.
        foreach (var (ow, oh, filter) in new[] { (19, 13, 3), (37, 23, 1) })
        {
            using var exact = new Upscaler(Context, model, W, H, ow, oh);
            Assert.Equal((ow, oh), (exact.OutputWidth, exact.OutputHeight));
            var actual = exact.Upscale(rgba, PixelFormat.Rgba);
            var expected = filter > 1 ? CpuReference.BlurPool(planar, new BlurPoolSpec(4, filter, 1, PaddingMode.Replicate)) : planar;
            expected = CpuReference.Upsample(expected, new UpsampleSpec { Mode = UpsampleMode.Bilinear, OutputHeight = oh, OutputWidth = ow });
            var interleaved = new HostTensor(new TensorShape(4, oh, ow), new double[4 * oh * ow]);
            for (int i = 0; i < ow * oh; i++)
            {
                for (int c = 0; c < 4; c++)
                {
                    interleaved.Data[i * 4 + c] = expected.Data[c * ow * oh + i];
                }
            }
            Compare.Close(interleaved, HostTensor.FromFloat(interleaved.Shape, actual), 1e-4, $"exact {ow}x{oh}");
        }
    }

    [Fact]
    public void WrongImageSizesAreRefused()
    {
        var model = ModelDefinition.Load(SharedData.FsrcnnModel("FSRCNN-s_x2.onnx"));
        using var upscaler = new Upscaler(Context, model, W, H);
        Assert.Throws<ArgumentException>(() => upscaler.Upscale(new byte[10], PixelFormat.Rgb));
        using var small = new GpuImage(Context, W - 1, H, Format.R8G8B8A8Unorm);
        using var output = new GpuImage(Context, 2 * W, 2 * H, Format.R8G8B8A8Unorm);
        var e = Assert.Throws<ArgumentException>(() => Context.Execute(r => upscaler.Record(r, small.Binding, output.Binding)));
        Assert.Contains($"{W}x{H}", e.Message);
    }

    /// <summary>
    /// A model that trims its borders (a convolution without padding, no framing) cannot be tiled: each tile would come out
    /// short of the region it covers. The tiled upscaler says so when it is made, with the sizes; the same model padded tiles.
    /// </summary>
    [Fact]
    public void TilingRefusesAModelThatTrimsItsBorders()
    {
        var rng = new Random(3);
        ModelDefinition Model(int pad) => new(new ModelInfo("trim", ColorSpace.Rgb, 3, 2, "0-1", new Dictionary<string, string>()), "x", "y", new[]
        {
            new ModelNode("conv", new Conv2dSpec
            {
                InChannels = 3, OutChannels = 3, KernelH = 3, KernelW = 3, Padding = Padding.All(pad),
                Weights = HostTensor.RandomFloats(rng, 81), Bias = HostTensor.RandomFloats(rng, 3),
            }, new[] { "x" }, "c"),
            new ModelNode("up", UpsampleSpec.By(UpsampleMode.Nearest, 2), new[] { "c" }, "y"),
        });
        var e = Assert.Throws<ArgumentException>(() => TiledUpscaler.Automatic(Context, Model(0)));
        Assert.Contains("a 64x64 input gives 124x124, not 128x128", e.Message);
        Assert.Contains("trims its borders", e.Message);
        using var padded = TiledUpscaler.Automatic(Context, Model(1));
        Assert.Equal(2, padded.Scale);
    }

    [Fact]
    public void DeepModelsAreTimedWithoutRunningOutOfTimestamps()
    {
        // 300 passes: more than a fixed-size timer would hold.
        var nodes = new List<ModelNode>();
        string last = "x";
        for (int i = 0; i < 299; i++)
        {
            nodes.Add(new ModelNode($"affine{i}", new ScaleBiasSpec(new[] { 1f, 1f, 1f }, new[] { 1e-5f, 0f, -1e-5f }), new[] { last }, $"v{i}"));
            last = $"v{i}";
        }
        nodes.Add(new ModelNode("up", UpsampleSpec.By(UpsampleMode.Nearest, 2), new[] { last }, "y"));
        var info = new ModelInfo("deep", ColorSpace.Rgb, 3, 2, "0-1", new Dictionary<string, string>());
        using var upscaler = new Upscaler(Context, new ModelDefinition(info, "x", "y", nodes), W, H);
        var rgb = RandomPixels(W * H * 3, 9);
        var output = upscaler.Upscale(rgb, PixelFormat.Rgb);
        Assert.True(upscaler.LastTimings.Count > 300);
        // Nearest x2 of the input shifted by +0.00299, 0, -0.00299 (under one 8-bit level): within one level of the input.
        for (int y = 0; y < 2 * H; y++)
        {
            for (int x = 0; x < 2 * W; x++)
            {
                for (int c = 0; c < 3; c++)
                {
                    Assert.InRange(output[(y * 2 * W + x) * 3 + c] - rgb[((y / 2) * W + x / 2) * 3 + c], -1, 1);
                }
            }
        }
    }
}
