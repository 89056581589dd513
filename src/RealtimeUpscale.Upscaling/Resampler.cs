using RealtimeUpscale.Network;
using RealtimeUpscale.Runtime;

namespace RealtimeUpscale.Upscaling;

/// <summary>
/// Shrinks host images on the GPU without aliasing: a binomial low-pass (Zhang 2019's blur-before-downsample)
/// whose width follows the shrink ratio, then either a strided subsample (integer factors, as BlurPool) or a
/// bilinear resample to an exact size. Every channel (alpha included) is filtered alike.
/// </summary>
public static class Resampler
{
    /// <summary>
    /// The binomial filter size for shrinking by <paramref name="factor"/> (input pixels per output pixel):
    /// 1 (no blur) below 1.05, else about twice the factor, at most 7.
    /// </summary>
    public static int FilterFor(double factor) => factor < 1.05 ? 1 : Math.Clamp((int)Math.Round(2 * factor), 2, 7);

    /// <summary>Resizes interleaved 8-bit pixels to exactly <paramref name="outWidth"/> x <paramref name="outHeight"/>.</summary>
    public static byte[] Resize(GpuContext context, byte[] pixels, int width, int height, int channels, int outWidth, int outHeight) =>
        ToBytes(Resize(context, ToFloats(pixels), width, height, channels, outWidth, outHeight));

    /// <summary>Resizes interleaved float samples (16-bit images) in float32 throughout; the output is not clamped.</summary>
    public static float[] Resize(GpuContext context, float[] pixels, int width, int height, int channels, int outWidth, int outHeight)
    {
        int filter = FilterFor(Math.Max(width / (double)outWidth, height / (double)outHeight));
        var nodes = new List<ModelNode>();
        string last = "x";
        if (filter > 1)
        {
            nodes.Add(new ModelNode("blur", Blur(channels, filter), new[] { last }, "blurred"));
            last = "blurred";
        }
        nodes.Add(new ModelNode("resample", Resample(outWidth, outHeight), new[] { last }, "y"));
        return Run(context, nodes, pixels, width, height, channels);
    }

    /// <summary>The low-pass before a shrink: a binomial filter of size <paramref name="filter"/> (see <see cref="FilterFor"/>), stride 1, replicate padding.</summary>
    public static BlurPoolSpec Blur(int channels, int filter) => new(channels, filter, 1, PaddingMode.Replicate);

    /// <summary>The resample to exactly <paramref name="outWidth"/> x <paramref name="outHeight"/>: bilinear, after <see cref="Blur"/> when shrinking.</summary>
    public static UpsampleSpec Resample(int outWidth, int outHeight) =>
        new() { Mode = UpsampleMode.Bilinear, OutputHeight = outHeight, OutputWidth = outWidth };

    /// <summary>
    /// Shrinks by an integer <paramref name="factor"/> with BlurPool: binomial filter <paramref name="filter"/>
    /// (1 is the naive strided subsample), reflect padding, stride <paramref name="factor"/>.
    /// </summary>
    public static byte[] Downscale(GpuContext context, byte[] pixels, int width, int height, int channels, int factor, int filter) =>
        ToBytes(Downscale(context, ToFloats(pixels), width, height, channels, factor, filter));

    /// <summary>As <see cref="Downscale(GpuContext, byte[], int, int, int, int, int)"/> for float samples, in float32 throughout.</summary>
    public static float[] Downscale(GpuContext context, float[] pixels, int width, int height, int channels, int factor, int filter)
    {
        var mode = filter > 1 && Math.Min(width, height) > filter ? PaddingMode.Reflect : PaddingMode.Replicate;
        var nodes = new[] { new ModelNode("blurpool", new BlurPoolSpec(channels, filter, factor, mode), new[] { "x" }, "y") };
        return Run(context, nodes, pixels, width, height, channels);
    }

    private static float[] ToFloats(byte[] pixels)
    {
        var f = new float[pixels.Length];
        for (int i = 0; i < f.Length; i++)
        {
            f[i] = pixels[i] / 255f;
        }
        return f;
    }

    private static byte[] ToBytes(float[] samples)
    {
        var b = new byte[samples.Length];
        for (int i = 0; i < b.Length; i++)
        {
            b[i] = (byte)Math.Clamp(MathF.Round(samples[i] * 255f), 0f, 255f);
        }
        return b;
    }

    private static float[] Run(GpuContext context, IReadOnlyList<ModelNode> nodes, float[] pixels, int width, int height, int channels)
    {
        var info = new ModelInfo("resampler", channels == 1 ? ColorSpace.Y : ColorSpace.Rgb, channels, 1, "0-1", new Dictionary<string, string>());
        var definition = new ModelDefinition(info, "x", nodes[^1].Output, nodes);
        int n = width * height;
        var planar = new float[n * channels];
        for (int i = 0; i < n; i++)
        {
            for (int c = 0; c < channels; c++)
            {
                planar[c * n + i] = pixels[i * channels + c];
            }
        }
        using var network = new Network.Network(context, definition);
        using var binding = network.Bind(new TensorShape(channels, height, width));
        binding.Input.Upload(planar);
        context.Execute(binding.Record);
        var result = binding.Output.Download();
        var shape = binding.Output.Shape;
        int m = shape.Width * shape.Height;
        var output = new float[m * channels];
        for (int i = 0; i < m; i++)
        {
            for (int c = 0; c < channels; c++)
            {
                output[i * channels + c] = result[c * m + i];
            }
        }
        return output;
    }
}
