using Xunit;

namespace RealtimeUpscale.Imaging.Tests;

public sealed class EvaluationTests
{
    /// <summary>
    /// A 29x37 pair made of integers only, so that any language builds the same one: a gradient with a hashed
    /// texture, and a copy with a structured error. Its PSNR and SSIM (shave 2) were computed by
    /// scikit-image 0.19.3: <c>structural_similarity(a, b, gaussian_weights=True, sigma=1.5,
    /// use_sample_covariance=False, data_range=255)</c>, the settings that reproduce Wang et al.'s ssim_index.m
    /// (scikit-image crops the filter's border, which is the 'valid' region), and
    /// <c>peak_signal_noise_ratio(a, b, data_range=255)</c>, both on the shaved planes.
    /// </summary>
    private const int OracleHeight = 29;
    private const int OracleWidth = 37;
    private const int OracleShave = 2;
    private const double ScikitImageSsim = 0.8384546653250567;
    private const double ScikitImagePsnr = 27.306562370909816;

    /// <summary>Both sides are double computations of the same formula in different orders.</summary>
    private const double OracleTolerance = 1e-12;

    [Theory]
    [InlineData(0.5, 1)]
    [InlineData(1.5, 2)]
    [InlineData(2.5, 3)]
    [InlineData(127.5, 128)]
    [InlineData(254.5, 255)]
    [InlineData(0.49999999999999994, 0)]
    [InlineData(2.4999999999999996, 2)]
    [InlineData(-0.5, 0)]
    [InlineData(-0.4, 0)]
    [InlineData(-3, 0)]
    [InlineData(255.4, 255)]
    [InlineData(255.5, 255)]
    [InlineData(1e9, 255)]
    [InlineData(double.NegativeInfinity, 0)]
    [InlineData(double.PositiveInfinity, 255)]
    [InlineData(double.NaN, 0)]
    public void RoundMatlabRoundsHalfAwayFromZeroAndSaturates(double value, int expected)
    {
        Assert.Equal((byte)expected, Evaluation.RoundMatlab(value));
    }

    [Fact]
    public void RoundMatlabOfPlaneAppliesFactorFirst()
    {
        var values = new[] { 0.0, 1.0, 0.5 / 255, 1.5 / 255, -0.1, 1.01 };
        Assert.Equal(new byte[] { 0, 255, 1, 2, 0, 255 }, Evaluation.RoundMatlab(values, 255));
    }

    /// <summary>
    /// MATLAB <c>rgb2ycbcr</c> gives Y = 16 for black, 235 for white, and 81, 145, 41 for pure red, green and
    /// blue (the BT.601 studio-range primaries); the unrounded values follow from the published coefficients.
    /// </summary>
    [Theory]
    [InlineData(0, 0, 0, 16.0, 16)]
    [InlineData(255, 255, 255, 235.0, 235)]
    [InlineData(255, 0, 0, 81.481, 81)]
    [InlineData(0, 255, 0, 144.553, 145)]
    [InlineData(0, 0, 255, 40.966, 41)]
    public void StudioYMatchesRgb2ycbcr(byte r, byte g, byte b, double expected, int rounded)
    {
        double y = Evaluation.StudioY(r, g, b);
        Assert.Equal(expected, y, 1e-12);
        Assert.Equal((byte)rounded, Evaluation.RoundMatlab(y));
    }

    [Fact]
    public void StudioYPlaneHandlesEveryChannelCount()
    {
        Assert.Equal(new[] { 7.0, 200.0 }, Evaluation.StudioY(new byte[] { 7, 200 }, 1, 2, 1));
        Assert.Equal(new[] { 7.0, 200.0 }, Evaluation.StudioY(new byte[] { 7, 0, 200, 255 }, 2, 1, 2));
        var rgb = new byte[] { 255, 0, 0, 10, 20, 30 };
        var expected = new[] { Evaluation.StudioY(255, 0, 0), Evaluation.StudioY(10, 20, 30) };
        Assert.Equal(expected, Evaluation.StudioY(rgb, 1, 2, 3));
        var rgba = new byte[] { 255, 0, 0, 9, 10, 20, 30, 99 };
        Assert.Equal(expected, Evaluation.StudioY(rgba, 1, 2, 4));
        Assert.Equal(expected, Evaluation.StudioY(new HostImage(2, 1, 4, rgba)));
        Assert.Throws<ArgumentException>(() => Evaluation.StudioY(rgb, 1, 2, 4));
        Assert.Throws<ArgumentOutOfRangeException>(() => Evaluation.StudioY(rgb, 1, 1, 6));
    }

    [Fact]
    public void CropToMultipleKeepsTopLeftBlocks()
    {
        var plane = Enumerable.Range(0, 7 * 10).ToArray();
        var cropped = Evaluation.CropToMultiple<int>(plane, 7, 10, 3, out int h, out int w);
        Assert.Equal((6, 9), (h, w));
        for (int y = 0; y < h; y++)
        {
            for (int x = 0; x < w; x++)
            {
                Assert.Equal(y * 10 + x, cropped[y * w + x]);
            }
        }
        Assert.Equal(plane, Evaluation.CropToMultiple<int>(plane, 7, 10, 1, out _, out _));
        Assert.Throws<ArgumentException>(() => Evaluation.CropToMultiple<int>(plane, 7, 10, 8, out _, out _));
    }

    [Fact]
    public void PsnrOfIdenticalPlanesIsInfinite()
    {
        var a = new byte[] { 1, 2, 3, 4, 5, 6 };
        Assert.Equal(double.PositiveInfinity, Evaluation.Psnr(a, a.ToArray(), 2, 3, 0));
    }

    [Fact]
    public void PsnrKnownValues()
    {
        // Every pixel off by one: MSE 1, PSNR = 20 log10(255).
        var a = Enumerable.Range(0, 35).Select(i => (byte)(i * 7)).ToArray();
        var b = a.Select(v => (byte)(v + 1)).ToArray();
        Assert.Equal(20 * Math.Log10(255), Evaluation.Psnr(a, b, 5, 7, 0), 1e-12);

        // One pixel off by 255 in 10x10: MSE 255^2 / 100, PSNR = 20 dB.
        var zeros = new byte[100];
        var one = new byte[100];
        one[55] = 255;
        Assert.Equal(20, Evaluation.Psnr(zeros, one, 10, 10, 0), 1e-12);

        // The same difference on the border disappears with the shave.
        var border = new byte[100];
        border[0] = 255;
        border[99] = 255;
        Assert.Equal(double.PositiveInfinity, Evaluation.Psnr(zeros, border, 10, 10, 1));
        Assert.Throws<ArgumentException>(() => Evaluation.Psnr(zeros, border, 10, 10, 5));
    }

    [Fact]
    public void PsnrAndSsimMatchScikitImage()
    {
        var (a, b) = OraclePair();
        Assert.Equal(ScikitImagePsnr, Evaluation.Psnr(a, b, OracleHeight, OracleWidth, OracleShave), OracleTolerance);
        Assert.Equal(ScikitImageSsim, Evaluation.Ssim(a, b, OracleHeight, OracleWidth, OracleShave), OracleTolerance);
    }

    /// <summary>
    /// RGB PSNR: the mean square over every channel of every pixel left after the shave. The pair is built from
    /// integers as <see cref="OraclePair"/> is, one pattern a channel; the expected value was computed by numpy
    /// (<c>10 * log10(255**2 / mean((a - b)[2:-2, 2:-2] ** 2))</c> on the H x W x 3 arrays).
    /// </summary>
    [Fact]
    public void RgbPsnrMatchesNumpy()
    {
        const double numpyPsnr = 27.12655506224035;
        var a = new byte[OracleHeight * OracleWidth * 3];
        var b = new byte[a.Length];
        for (int y = 0; y < OracleHeight; y++)
        {
            for (int x = 0; x < OracleWidth; x++)
            {
                for (int c = 0; c < 3; c++)
                {
                    int va = Math.Clamp(x * 6 + y * 4 + (((x * 7 + y * 13 + c * 29) ^ (x * y)) & 63) - c * 17, 0, 255);
                    int i = (y * OracleWidth + x) * 3 + c;
                    a[i] = (byte)va;
                    b[i] = (byte)Math.Clamp(va + (x * 5 + y * 11 + c * 3) % 41 - 20, 0, 255);
                }
            }
        }
        Assert.Equal(numpyPsnr, Evaluation.Psnr(a, b, OracleHeight, OracleWidth, OracleShave, channels: 3), OracleTolerance);
        Assert.Throws<ArgumentException>(() => Evaluation.Psnr(a, b, OracleHeight, OracleWidth, OracleShave));
    }

    [Fact]
    public void SsimOfIdenticalPlanesIsOne()
    {
        var (a, _) = OraclePair();
        Assert.Equal(1.0, Evaluation.Ssim(a, a.ToArray(), OracleHeight, OracleWidth, 0), 1e-15);
    }

    [Theory]
    [InlineData(11, 11, 0)]
    [InlineData(23, 17, 3)]
    [InlineData(40, 31, 4)]
    public void SsimMatchesLiteralSsimIndex(int height, int width, int shave)
    {
        var random = new Random(height * 100 + width);
        var a = new byte[height * width];
        random.NextBytes(a);
        var b = a.Select(v => (byte)Math.Clamp(v + random.Next(-40, 41), 0, 255)).ToArray();
        Assert.Equal(LiteralSsimIndex(a, b, height, width, shave), Evaluation.Ssim(a, b, height, width, shave), 1e-12);
    }

    [Fact]
    public void SsimNeedsAnElevenPixelWindow()
    {
        var a = new byte[12 * 14];
        Assert.Throws<ArgumentException>(() => Evaluation.Ssim(a, a, 12, 14, 1));
    }

    private static (byte[] A, byte[] B) OraclePair()
    {
        var a = new byte[OracleHeight * OracleWidth];
        var b = new byte[a.Length];
        for (int y = 0; y < OracleHeight; y++)
        {
            for (int x = 0; x < OracleWidth; x++)
            {
                int va = Math.Clamp(x * 6 + y * 4 + (((x * 7 + y * 13) ^ (x * y)) & 63), 0, 255);
                a[y * OracleWidth + x] = (byte)va;
                b[y * OracleWidth + x] = (byte)Math.Clamp(va + (x * 5 + y * 11) % 41 - 20, 0, 255);
            }
        }
        return (a, b);
    }

    /// <summary>
    /// ssim_index.m line by line: the 2D window of fspecial('gaussian', 11, 1.5) normalised to sum 1,
    /// filter2(window, ., 'valid') as a plain 121-tap correlation, the SSIM map and its mean.
    /// </summary>
    private static double LiteralSsimIndex(byte[] a, byte[] b, int height, int width, int shave)
    {
        int h = height - 2 * shave;
        int w = width - 2 * shave;
        var window = new double[11, 11];
        double total = 0;
        for (int i = 0; i < 11; i++)
        {
            for (int j = 0; j < 11; j++)
            {
                window[i, j] = Math.Exp(-((i - 5) * (i - 5) + (j - 5) * (j - 5)) / (2 * 1.5 * 1.5));
                total += window[i, j];
            }
        }
        double c1 = Math.Pow(0.01 * 255, 2);
        double c2 = Math.Pow(0.03 * 255, 2);
        double sum = 0;
        for (int y = 0; y + 11 <= h; y++)
        {
            for (int x = 0; x + 11 <= w; x++)
            {
                double mu1 = 0, mu2 = 0, e11 = 0, e22 = 0, e12 = 0;
                for (int i = 0; i < 11; i++)
                {
                    for (int j = 0; j < 11; j++)
                    {
                        double k = window[i, j] / total;
                        int index = (y + i + shave) * width + x + j + shave;
                        double p = a[index];
                        double q = b[index];
                        mu1 += k * p;
                        mu2 += k * q;
                        e11 += k * p * p;
                        e22 += k * q * q;
                        e12 += k * p * q;
                    }
                }
                double s11 = e11 - mu1 * mu1;
                double s22 = e22 - mu2 * mu2;
                double s12 = e12 - mu1 * mu2;
                sum += (2 * mu1 * mu2 + c1) * (2 * s12 + c2) / ((mu1 * mu1 + mu2 * mu2 + c1) * (s11 + s22 + c2));
            }
        }
        return sum / ((h - 10) * (w - 10));
    }
}
