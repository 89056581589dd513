namespace RealtimeUpscale.Imaging;

/// <summary>
/// The pieces of the evaluation protocol behind the SRCNN/FSRCNN/ESPCN tables (the project's EVAL.md):
/// studio-range luma, MATLAB rounding, cropping to a multiple of the scale, and PSNR / SSIM on the
/// shaved uint8 luma.
/// </summary>
/// <remarks>
/// The protocol, with the functions of this library:
/// <code>
/// y     = StudioY(hr)                                  // float, 16..235
/// y     = CropToMultiple(y, h, w, s, ...)
/// lr    = MatlabResize.Resize(y / 255, 1.0 / s, ...)   // kept as double
/// sr    = network(lr)  or  MatlabResize.Resize(lr, s, ...) for the bicubic baseline
/// psnr  = Psnr(RoundMatlab(y), RoundMatlab(sr, 255), h, w, shave: s)
/// </code>
/// Planes are row-major (element (y, x) at <c>y * width + x</c>); interleaved images hold
/// <c>channels</c> bytes a pixel.
/// </remarks>
public static class Evaluation
{
    /// <summary>The peak value of uint8 data, L in PSNR and SSIM.</summary>
    public const double Peak = 255;

    private const int SsimWindow = 11;
    private const double SsimSigma = 1.5;
    private const double SsimK1 = 0.01;
    private const double SsimK2 = 0.03;

    /// <summary>
    /// BT.601 studio-range luma of a uint8 RGB pixel, as MATLAB's <c>rgb2ycbcr</c> without its final rounding:
    /// <c>16 + (65.481 R + 128.553 G + 24.966 B) / 255</c>, from 16 (black) to 235 (white).
    /// </summary>
    public static double StudioY(byte r, byte g, byte b) => 16 + (65.481 * r + 128.553 * g + 24.966 * b) / 255;

    /// <summary>
    /// The studio-range luma plane of an interleaved uint8 image: RGB and RGBA through
    /// <see cref="StudioY(byte, byte, byte)"/>; grey and grey+alpha give their grey value itself, as the
    /// protocol uses a single-channel image's value as Y. Alpha is ignored. Returns a new plane.
    /// </summary>
    /// <param name="pixels">Row-major pixels, <paramref name="channels"/> bytes each.</param>
    /// <param name="height">Rows.</param>
    /// <param name="width">Columns.</param>
    /// <param name="channels">1 grey, 2 grey+alpha, 3 RGB, 4 RGBA.</param>
    /// <exception cref="ArgumentException">The length is not <c>height * width * channels</c>.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A size is not positive or channels is not 1 to 4.</exception>
    public static double[] StudioY(ReadOnlySpan<byte> pixels, int height, int width, int channels)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(channels, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(channels, 4);
        PlaneGuard.CheckLength(pixels.Length, height, width, channels, nameof(pixels));
        var y = new double[height * width];
        for (int i = 0; i < y.Length; i++)
        {
            var p = pixels.Slice(i * channels, channels);
            y[i] = channels >= 3 ? StudioY(p[0], p[1], p[2]) : p[0];
        }
        return y;
    }

    /// <summary>
    /// The studio-range luma plane of <paramref name="image"/>; see
    /// <see cref="StudioY(ReadOnlySpan{byte}, int, int, int)"/>.
    /// </summary>
    public static double[] StudioY(HostImage image)
    {
        ArgumentNullException.ThrowIfNull(image);
        return StudioY(image.Pixels, image.Height, image.Width, image.Channels);
    }

    /// <summary>
    /// MATLAB's conversion of a double to uint8: round half away from zero, then saturate to 0..255
    /// (NaN gives 0). So 0.5 gives 1, 2.5 gives 3, -0.5 gives 0 and 255.5 gives 255.
    /// </summary>
    public static byte RoundMatlab(double value)
    {
        if (double.IsNaN(value))
        {
            return 0;
        }
        double rounded = Math.Round(value, MidpointRounding.AwayFromZero);
        return (byte)Math.Clamp(rounded, 0, 255);
    }

    /// <summary>
    /// <see cref="RoundMatlab(double)"/> of <c>values[i] * factor</c> for every element, the product taken
    /// in double: pass 255 to quantise data in [0, 1]. Returns a new array.
    /// </summary>
    public static byte[] RoundMatlab(ReadOnlySpan<double> values, double factor = 1)
    {
        var result = new byte[values.Length];
        for (int i = 0; i < values.Length; i++)
        {
            result[i] = RoundMatlab(values[i] * factor);
        }
        return result;
    }

    /// <summary>
    /// MATLAB's <c>modcrop</c>: keeps the top-left <c>height - height mod multiple</c> rows and
    /// <c>width - width mod multiple</c> columns of a plane. Returns a new plane.
    /// </summary>
    /// <exception cref="ArgumentException">The length is not <c>height * width</c>, or the plane is smaller than
    /// <paramref name="multiple"/> in a dimension.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A size or the multiple is not positive.</exception>
    public static T[] CropToMultiple<T>(
        ReadOnlySpan<T> plane, int height, int width, int multiple, out int croppedHeight, out int croppedWidth)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(multiple);
        PlaneGuard.CheckLength(plane.Length, height, width, 1, nameof(plane));
        croppedHeight = height - height % multiple;
        croppedWidth = width - width % multiple;
        if (croppedHeight == 0 || croppedWidth == 0)
        {
            throw new ArgumentException(
                $"A {height}x{width} plane has no whole {multiple}x{multiple} block to keep.", nameof(plane));
        }
        var result = new T[croppedHeight * croppedWidth];
        for (int y = 0; y < croppedHeight; y++)
        {
            plane.Slice(y * width, croppedWidth).CopyTo(result.AsSpan(y * croppedWidth, croppedWidth));
        }
        return result;
    }

    /// <summary>
    /// PSNR in dB of two uint8 images of <paramref name="channels"/> interleaved channels (a plane by default)
    /// after dropping <paramref name="shave"/> pixels from every border: <c>10 log10(255^2 / MSE)</c>, the mean
    /// over every channel of every pixel left (RGB PSNR with three). Identical images give
    /// <see cref="double.PositiveInfinity"/>.
    /// </summary>
    /// <exception cref="ArgumentException">A length is not <c>height * width * channels</c>, or nothing is left
    /// after the shave.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A size is not positive or the shave is negative.</exception>
    public static double Psnr(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b, int height, int width, int shave, int channels = 1)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(channels);
        var (rows, columns) = ShavedSize(a.Length, b.Length, height, width, shave, 1, channels);
        long sumSquares = 0;
        for (int y = 0; y < rows; y++)
        {
            var rowA = a.Slice(((y + shave) * width + shave) * channels, columns * channels);
            var rowB = b.Slice(((y + shave) * width + shave) * channels, columns * channels);
            for (int x = 0; x < rowA.Length; x++)
            {
                int d = rowA[x] - rowB[x];
                sumSquares += d * d;
            }
        }
        if (sumSquares == 0)
        {
            return double.PositiveInfinity;
        }
        double mse = (double)sumSquares / ((long)rows * columns * channels);
        return 10 * Math.Log10(Peak * Peak / mse);
    }

    /// <summary>
    /// Mean SSIM of two uint8 planes after dropping <paramref name="shave"/> pixels from every border, as the
    /// reference <c>ssim_index.m</c> (Wang et al. 2004) used in the super-resolution papers computes it:
    /// 11x11 Gaussian window with sigma 1.5 normalised to sum 1, K1 = 0.01, K2 = 0.03, L = 255, statistics
    /// filtered with <c>filter2(..., 'valid')</c> (no padding, so the map is 10 smaller in each dimension),
    /// and no downsampling; the result is the mean of the SSIM map. Identical planes give 1.
    /// </summary>
    /// <remarks>The Gaussian window is applied as two 1D passes, which equals the 2D window up to rounding
    /// (about 1e-15 relative).</remarks>
    /// <exception cref="ArgumentException">A length is not <c>height * width</c>, or less than 11x11 is left after
    /// the shave.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A size is not positive or the shave is negative.</exception>
    public static double Ssim(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b, int height, int width, int shave)
    {
        var (rows, columns) = ShavedSize(a.Length, b.Length, height, width, shave, SsimWindow);
        var window = GaussianWindow();

        // The five statistics as planes [rows, columns]: x, y, x^2, y^2, xy.
        int n = rows * columns;
        var stats = new double[5][];
        for (int s = 0; s < stats.Length; s++)
        {
            stats[s] = new double[n];
        }
        for (int y = 0; y < rows; y++)
        {
            for (int x = 0; x < columns; x++)
            {
                int source = (y + shave) * width + x + shave;
                double p = a[source];
                double q = b[source];
                int i = y * columns + x;
                stats[0][i] = p;
                stats[1][i] = q;
                stats[2][i] = p * p;
                stats[3][i] = q * q;
                stats[4][i] = p * q;
            }
        }

        int outRows = rows - SsimWindow + 1;
        int outColumns = columns - SsimWindow + 1;
        var filtered = new double[5][];
        for (int s = 0; s < stats.Length; s++)
        {
            filtered[s] = FilterValid(stats[s], rows, columns, window);
        }

        double c1 = SsimK1 * Peak * (SsimK1 * Peak);
        double c2 = SsimK2 * Peak * (SsimK2 * Peak);
        double sum = 0;
        for (int i = 0; i < outRows * outColumns; i++)
        {
            double mu1 = filtered[0][i];
            double mu2 = filtered[1][i];
            double mu1Sq = mu1 * mu1;
            double mu2Sq = mu2 * mu2;
            double mu1Mu2 = mu1 * mu2;
            double sigma1Sq = filtered[2][i] - mu1Sq;
            double sigma2Sq = filtered[3][i] - mu2Sq;
            double sigma12 = filtered[4][i] - mu1Mu2;
            sum += (2 * mu1Mu2 + c1) * (2 * sigma12 + c2) / ((mu1Sq + mu2Sq + c1) * (sigma1Sq + sigma2Sq + c2));
        }
        return sum / (outRows * outColumns);
    }

    /// <summary>MATLAB <c>fspecial('gaussian', 11, 1.5)</c> as one normalised 1D factor.</summary>
    private static double[] GaussianWindow()
    {
        var window = new double[SsimWindow];
        int half = SsimWindow / 2;
        double sum = 0;
        for (int i = 0; i < SsimWindow; i++)
        {
            double x = i - half;
            window[i] = Math.Exp(-(x * x) / (2 * SsimSigma * SsimSigma));
            sum += window[i];
        }
        for (int i = 0; i < SsimWindow; i++)
        {
            window[i] /= sum;
        }
        return window;
    }

    /// <summary>Separable 'valid' correlation of a [rows, columns] plane: the result is [rows - 10, columns - 10].</summary>
    private static double[] FilterValid(double[] plane, int rows, int columns, double[] window)
    {
        int taps = window.Length;
        int outColumns = columns - taps + 1;
        int outRows = rows - taps + 1;
        var horizontal = new double[rows * outColumns];
        for (int y = 0; y < rows; y++)
        {
            for (int x = 0; x < outColumns; x++)
            {
                double sum = 0;
                for (int k = 0; k < taps; k++)
                {
                    sum += window[k] * plane[y * columns + x + k];
                }
                horizontal[y * outColumns + x] = sum;
            }
        }
        var result = new double[outRows * outColumns];
        for (int y = 0; y < outRows; y++)
        {
            var row = result.AsSpan(y * outColumns, outColumns);
            for (int k = 0; k < taps; k++)
            {
                double w = window[k];
                var source = horizontal.AsSpan((y + k) * outColumns, outColumns);
                for (int x = 0; x < outColumns; x++)
                {
                    row[x] += w * source[x];
                }
            }
        }
        return result;
    }

    private static (int Rows, int Columns) ShavedSize(
        int lengthA, int lengthB, int height, int width, int shave, int minimum, int channels = 1)
    {
        PlaneGuard.CheckLength(lengthA, height, width, channels, "a");
        PlaneGuard.CheckLength(lengthB, height, width, channels, "b");
        ArgumentOutOfRangeException.ThrowIfNegative(shave);
        int rows = height - 2 * shave;
        int columns = width - 2 * shave;
        if (rows < minimum || columns < minimum)
        {
            throw new ArgumentException(
                $"Shaving {shave} pixels from a {height}x{width} plane leaves {Math.Max(rows, 0)}x{Math.Max(columns, 0)}; " +
                $"at least {minimum}x{minimum} is needed.", nameof(shave));
        }
        return (rows, columns);
    }
}
