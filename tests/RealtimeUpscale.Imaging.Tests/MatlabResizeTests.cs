using Xunit;

namespace RealtimeUpscale.Imaging.Tests;

/// <summary>
/// <see cref="MatlabResize"/> against <see cref="DenseBicubic"/>, an independent dense-matrix implementation of
/// the same definition, on random data of odd sizes. Float results agree to 1e-12 (the two sum the same terms
/// in different orders; data in [0, 1] so the rounding error is about 1e-15). uint8 results must be equal:
/// the seeds are fixed, and a difference could only come from a value within rounding error of a .5 tie,
/// where the sums are not exact; none occurs for these seeds.
/// </summary>
public sealed class MatlabResizeTests
{
    private const double FloatTolerance = 1e-12;

    public static TheoryData<int, int, double> Cases()
    {
        var data = new TheoryData<int, int, double>();
        var sizes = new (int H, int W)[] { (13, 7), (17, 29), (31, 23), (1, 9), (9, 1), (40, 41) };
        var scales = new[] { 1.0 / 2, 1.0 / 3, 1.0 / 4, 0.37, 1, 1.6, 2, 3, 4 };
        foreach (var (h, w) in sizes)
        {
            foreach (double s in scales)
            {
                data.Add(h, w, s);
            }
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void FloatResizeMatchesDenseReference(int height, int width, double scale)
    {
        var random = new Random(height * 1000 + width + (int)(scale * 100));
        var plane = Enumerable.Range(0, height * width).Select(_ => random.NextDouble()).ToArray();

        var actual = MatlabResize.Resize(plane, height, width, scale, out int outHeight, out int outWidth);
        var expected = DenseBicubic.Resize(plane, height, width, scale, out int refHeight, out int refWidth);

        Assert.Equal((refHeight, refWidth), (outHeight, outWidth));
        Assert.Equal(outHeight * outWidth, actual.Length);
        double worst = actual.Zip(expected, (a, e) => Math.Abs(a - e)).Max();
        Assert.True(worst <= FloatTolerance, $"max |difference| {worst:E3} > {FloatTolerance:E0}");
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void ByteResizeMatchesDenseReference(int height, int width, double scale)
    {
        var random = new Random(7 + height * 1000 + width + (int)(scale * 100));
        var plane = new byte[height * width];
        random.NextBytes(plane);

        var actual = MatlabResize.Resize(plane, height, width, scale, out int outHeight, out int outWidth);
        var expected = DenseBicubic.Resize(plane, height, width, scale, out int refHeight, out int refWidth);

        Assert.Equal((refHeight, refWidth), (outHeight, outWidth));
        Assert.Equal(expected, actual);
    }

    [Theory]
    [InlineData(255, 1.0 / 3, 85)]
    [InlineData(7, 0.5, 4)]
    [InlineData(13, 0.25, 4)]
    [InlineData(5, 3, 15)]
    [InlineData(1, 0.1, 1)]
    public void OutputSizeIsCeilingOfScaledSize(int size, double scale, int expected)
    {
        Assert.Equal((expected, expected), MatlabResize.OutputSize(size, size, scale));
    }

    [Fact]
    public void ConstantPlaneStaysConstant()
    {
        var plane = Enumerable.Repeat(0.3, 11 * 9).ToArray();
        foreach (double scale in new[] { 0.25, 1.0 / 3, 0.5, 2, 3, 4 })
        {
            var result = MatlabResize.Resize(plane, 11, 9, scale, out _, out _);
            Assert.All(result, v => Assert.Equal(0.3, v, 1e-15));
        }
    }

    [Fact]
    public void ByteResizeSaturatesOvershoot()
    {
        // A hard edge makes the negative lobes of the cubic kernel overshoot below 0 and above 255.
        var plane = new byte[8 * 8];
        for (int i = 0; i < plane.Length; i++)
        {
            plane[i] = (byte)(i % 8 < 4 ? 0 : 255);
        }
        var floats = MatlabResize.Resize(plane.Select(v => (double)v).ToArray(), 8, 8, 3, out _, out _);
        Assert.True(floats.Min() < -0.5 && floats.Max() > 255.5, "the test edge should overshoot");

        var bytes = MatlabResize.Resize(plane, 8, 8, 3, out _, out _);
        Assert.Contains((byte)0, bytes);
        Assert.Contains((byte)255, bytes);
    }

    [Fact]
    public void InterleavedResizeTreatsChannelsSeparately()
    {
        var random = new Random(3);
        const int h = 15, w = 10, channels = 3;
        var pixels = new byte[h * w * channels];
        random.NextBytes(pixels);

        var interleaved = MatlabResize.ResizeInterleaved(pixels, h, w, channels, 0.5, out int oh, out int ow);

        for (int c = 0; c < channels; c++)
        {
            var plane = Enumerable.Range(0, h * w).Select(i => pixels[i * channels + c]).ToArray();
            var expected = DenseBicubic.Resize(plane, h, w, 0.5, out _, out _);
            var actual = Enumerable.Range(0, oh * ow).Select(i => interleaved[i * channels + c]).ToArray();
            Assert.Equal(expected, actual);
        }
    }

    [Fact]
    public void RejectsBadArguments()
    {
        var plane = new double[12];
        Assert.Throws<ArgumentException>(() => MatlabResize.Resize(plane, 3, 5, 2, out _, out _));
        Assert.Throws<ArgumentOutOfRangeException>(() => MatlabResize.Resize(plane, 3, 4, 0, out _, out _));
        Assert.Throws<ArgumentOutOfRangeException>(() => MatlabResize.Resize(plane, 3, 4, -1, out _, out _));
        Assert.Throws<ArgumentOutOfRangeException>(() => MatlabResize.Resize(plane, 3, 4, double.NaN, out _, out _));
        Assert.Throws<ArgumentOutOfRangeException>(() => MatlabResize.Resize(plane, 0, 4, 2, out _, out _));
        Assert.Throws<ArgumentOutOfRangeException>(() => MatlabResize.Resize(plane, 3, 4, 1e6, out _, out _));
        Assert.Throws<ArgumentOutOfRangeException>(
            () => MatlabResize.ResizeInterleaved(new byte[12], 3, 4, 5, 2, out _, out _));
    }
}
