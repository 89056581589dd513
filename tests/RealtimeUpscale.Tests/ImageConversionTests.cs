using RealtimeUpscale.Runtime;
using RealtimeUpscale.Upscaling;
using Silk.NET.Vulkan;
using Xunit;

namespace RealtimeUpscale.Tests;

/// <summary>
/// Images (rgba8, rgba16f, rgba32f) to planar tensors and back, against a float64 reference. The colour-space
/// conversions are graph layers, checked in UpscalingGraphTests and UpscalerTests.
/// </summary>
public sealed class ImageConversionTests : GpuTest
{
    private const int W = 13, H = 7;

    public ImageConversionTests(GpuFixture gpu) : base(gpu)
    {
    }

    public static TheoryData<Format, ChannelLayout> ReadCases()
    {
        var data = new TheoryData<Format, ChannelLayout>();
        foreach (var f in new[] { Format.R8G8B8A8Unorm, Format.R16G16B16A16Sfloat, Format.R32G32B32A32Sfloat })
        {
            foreach (var l in new[] { ChannelLayout.Rgb, ChannelLayout.Rgba, ChannelLayout.Grey })
            {
                data.Add(f, l);
            }
        }
        return data;
    }

    /// <summary>Random texels of the format, and the [0, 1] values they represent.</summary>
    private static (byte[] Bytes, double[] Rgba) RandomTexels(Format format, int w, int h, int seed)
    {
        var rng = new Random(seed);
        int n = w * h * 4;
        var values = new double[n];
        byte[] bytes;
        switch (format)
        {
            case Format.R8G8B8A8Unorm:
                bytes = new byte[n];
                rng.NextBytes(bytes);
                for (int i = 0; i < n; i++)
                {
                    values[i] = bytes[i] / 255.0;
                }
                break;
            case Format.R16G16B16A16Sfloat:
                bytes = new byte[n * 2];
                for (int i = 0; i < n; i++)
                {
                    var half = (Half)rng.NextDouble();
                    values[i] = (double)half;
                    BitConverter.TryWriteBytes(bytes.AsSpan(i * 2), half);
                }
                break;
            default:
                bytes = new byte[n * 4];
                for (int i = 0; i < n; i++)
                {
                    float f = (float)rng.NextDouble();
                    values[i] = f;
                    BitConverter.TryWriteBytes(bytes.AsSpan(i * 4), f);
                }
                break;
        }
        return (bytes, values);
    }

    private static double[] Expected(ChannelLayout layout, double r, double g, double b, double a)
    {
        return layout switch
        {
            ChannelLayout.Rgb => new[] { r, g, b },
            ChannelLayout.Rgba => new[] { r, g, b, a },
            _ => new[] { r },
        };
    }

    [Theory]
    [MemberData(nameof(ReadCases))]
    public void ImageToTensorMatchesReference(Format format, ChannelLayout layout)
    {
        var (bytes, rgba) = RandomTexels(format, W, H, (int)format + (int)layout * 7);
        using var image = new GpuImage(Context, W, H, format);
        image.Upload(bytes);
        var convert = new ImageToTensor(Context, layout);
        using var tensor = new GpuTensor(Context, new TensorShape(convert.Channels, H, W));
        using var dispatch = convert.Bind(image.Binding, tensor);
        Context.Execute(r => r.Dispatch(dispatch));

        var expected = new HostTensor(convert.Channels, H, W);
        for (int y = 0; y < H; y++)
        {
            for (int x = 0; x < W; x++)
            {
                int t = (y * W + x) * 4;
                var v = Expected(layout, rgba[t], rgba[t + 1], rgba[t + 2], rgba[t + 3]);
                for (int c = 0; c < v.Length; c++)
                {
                    expected[c, y, x] = v[c];
                }
            }
        }
        Compare.Close(expected, HostTensor.FromFloat(tensor.Shape, tensor.Download()), what: $"{format} to {layout}");
    }

    [Fact]
    public void TileReadsAreOffsetAndClampedToTheImage()
    {
        var (bytes, rgba) = RandomTexels(Format.R32G32B32A32Sfloat, W, H, 99);
        using var image = new GpuImage(Context, W, H, Format.R32G32B32A32Sfloat);
        image.Upload(bytes);
        var convert = new ImageToTensor(Context, ChannelLayout.Rgba);
        using var tensor = new GpuTensor(Context, new TensorShape(4, 5, 6));
        using var dispatch = convert.Bind(image.Binding, tensor, x0: 10, y0: -2);
        Context.Execute(r => r.Dispatch(dispatch));
        var actual = HostTensor.FromFloat(tensor.Shape, tensor.Download());
        for (int y = 0; y < 5; y++)
        {
            for (int x = 0; x < 6; x++)
            {
                int sx = Math.Clamp(10 + x, 0, W - 1), sy = Math.Clamp(y - 2, 0, H - 1);
                for (int c = 0; c < 4; c++)
                {
                    Assert.Equal(rgba[(sy * W + sx) * 4 + c], actual[c, y, x], 6);
                }
            }
        }
    }

    [Theory]
    [InlineData(ChannelLayout.Rgb)]
    [InlineData(ChannelLayout.Rgba)]
    [InlineData(ChannelLayout.Grey)]
    [InlineData(ChannelLayout.GreyAlpha)]
    public void TensorToFloatImageMatchesReference(ChannelLayout layout)
    {
        int channels = ImageToTensor.ChannelCount(layout);
        var rng = new Random((int)layout);
        var t = HostTensor.Random(rng, channels, H, W, 0.1, 0.9);
        using var image = new GpuImage(Context, W + 3, H + 2, Format.R32G32B32A32Sfloat);
        using var tensor = new GpuTensor(Context, t.Shape, t.ToFloat());
        using var dispatch = new TensorToImage(Context, layout).Bind(tensor, image.Binding, x0: 3, y0: 2);
        Context.Execute(r => r.Dispatch(dispatch));
        var texels = image.Download();

        for (int y = 0; y < H; y++)
        {
            for (int x = 0; x < W; x++)
            {
                double[] expected = layout switch
                {
                    ChannelLayout.Rgb => new[] { t[0, y, x], t[1, y, x], t[2, y, x], 1 },
                    ChannelLayout.Rgba => new[] { t[0, y, x], t[1, y, x], t[2, y, x], t[3, y, x] },
                    ChannelLayout.Grey => new[] { t[0, y, x], t[0, y, x], t[0, y, x], 1 },
                    _ => new[] { t[0, y, x], t[0, y, x], t[0, y, x], t[1, y, x] },
                };
                int offset = (((y + 2) * (W + 3)) + x + 3) * 16;
                for (int c = 0; c < 4; c++)
                {
                    double actual = BitConverter.ToSingle(texels, offset + c * 4);
                    Assert.True(Math.Abs(actual - expected[c]) < 1e-5, $"({x},{y}) channel {c}: {actual} vs {expected[c]}");
                }
            }
        }
    }

    [Fact]
    public void Rgba8OutputRoundsToNearestAndClamps()
    {
        var rng = new Random(17);
        var t = new HostTensor(4, H, W);
        var expected = new byte[W * H * 4];
        for (int y = 0; y < H; y++)
        {
            for (int x = 0; x < W; x++)
            {
                for (int c = 0; c < 4; c++)
                {
                    // k/255 plus up to +-0.3 of a step rounds unambiguously to k; some values lie outside [0, 1].
                    int k = rng.Next(-20, 276);
                    t[c, y, x] = (float)((k + (rng.NextDouble() - 0.5) * 0.6) / 255.0);
                    expected[(y * W + x) * 4 + c] = (byte)Math.Clamp(k, 0, 255);
                }
            }
        }
        using var image = new GpuImage(Context, W, H, Format.R8G8B8A8Unorm);
        using var tensor = new GpuTensor(Context, t.Shape, t.ToFloat());
        using var dispatch = new TensorToImage(Context, ChannelLayout.Rgba).Bind(tensor, image.Binding);
        Context.Execute(r => r.Dispatch(dispatch));
        Assert.Equal(expected, image.Download());
    }
}
