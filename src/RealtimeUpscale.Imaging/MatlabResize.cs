namespace RealtimeUpscale.Imaging;

/// <summary>
/// MATLAB's <c>imresize(A, scale, 'bicubic')</c> with its default antialiasing, reproduced bit for bit
/// (checked against MATLAB-made images in <c>../shared/datasets/Set5_matlab_bicubic</c>).
/// </summary>
/// <remarks>
/// <para>
/// Planes are row-major: element (y, x) of a <c>height x width</c> plane is at <c>y * width + x</c>.
/// The output is <c>ceil(height * scale) x ceil(width * scale)</c>, computed in double exactly as MATLAB
/// does, so pass the scale MATLAB would see (<c>1.0 / 3</c> for <c>imresize(A, 1/3)</c>).
/// </para>
/// <para>
/// Each dimension is resized separately, with MATLAB's <c>contributions</c> weights (cubic kernel with
/// a = -0.5; when shrinking, the kernel stretched by 1/scale; out-of-range taps clamped to the edge).
/// With one scale for both dimensions MATLAB resizes dimension 1 first: the columns (height), then the
/// rows (width). Within an output value the taps are summed left to right, as MATLAB's resize kernel
/// does; this order matters only at rounding ties of uint8 data.
/// </para>
/// </remarks>
public static class MatlabResize
{
    /// <summary>The output size MATLAB gives: <c>ceil(height * scale)</c> by <c>ceil(width * scale)</c>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A size is not positive, the scale is not a positive finite
    /// number, or the output would hold more than <see cref="Array.MaxLength"/> elements.</exception>
    public static (int Height, int Width) OutputSize(int height, int width, double scale)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        if (!double.IsFinite(scale) || scale <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(scale), scale, "The scale must be a positive finite number.");
        }
        double outHeight = Math.Ceiling(height * scale);
        double outWidth = Math.Ceiling(width * scale);
        if (outHeight * outWidth > Array.MaxLength)
        {
            throw new ArgumentOutOfRangeException(
                nameof(scale), scale, $"Resizing {height}x{width} by {scale} gives {outHeight}x{outWidth}: too large.");
        }
        return ((int)outHeight, (int)outWidth);
    }

    /// <summary>
    /// Resizes a plane of double data (MATLAB <c>imresize</c> on a <c>double</c> array): nothing is rounded,
    /// between the passes or at the end. Returns a new plane the caller owns.
    /// </summary>
    /// <param name="plane">Row-major samples, <paramref name="height"/> x <paramref name="width"/>.</param>
    /// <param name="height">Rows of <paramref name="plane"/>.</param>
    /// <param name="width">Columns of <paramref name="plane"/>.</param>
    /// <param name="scale">Resize factor, any positive finite number (below 1 shrinks, with antialiasing).</param>
    /// <param name="outHeight">Rows of the result, <c>ceil(height * scale)</c>.</param>
    /// <param name="outWidth">Columns of the result, <c>ceil(width * scale)</c>.</param>
    /// <exception cref="ArgumentException">The plane's length is not <c>height * width</c>.</exception>
    /// <exception cref="ArgumentOutOfRangeException">See <see cref="OutputSize"/>.</exception>
    public static double[] Resize(
        ReadOnlySpan<double> plane, int height, int width, double scale, out int outHeight, out int outWidth)
    {
        (outHeight, outWidth) = OutputSize(height, width, scale);
        PlaneGuard.CheckLength(plane.Length, height, width, 1, nameof(plane));
        var columns = ResizeWeights.Create(height, outHeight, scale);
        var rows = ResizeWeights.Create(width, outWidth, scale);
        var tall = ResizeHeight(plane, width, columns);
        return ResizeWidth(tall, outHeight, width, rows);
    }

    /// <summary>
    /// Resizes a plane of uint8 data (MATLAB <c>imresize</c> on a <c>uint8</c> array): after each of the two
    /// passes the values are rounded half away from zero and saturated to 0..255, as MATLAB does.
    /// Returns a new plane the caller owns.
    /// </summary>
    /// <param name="plane">Row-major samples, <paramref name="height"/> x <paramref name="width"/>.</param>
    /// <param name="height">Rows of <paramref name="plane"/>.</param>
    /// <param name="width">Columns of <paramref name="plane"/>.</param>
    /// <param name="scale">Resize factor, any positive finite number (below 1 shrinks, with antialiasing).</param>
    /// <param name="outHeight">Rows of the result, <c>ceil(height * scale)</c>.</param>
    /// <param name="outWidth">Columns of the result, <c>ceil(width * scale)</c>.</param>
    /// <exception cref="ArgumentException">The plane's length is not <c>height * width</c>.</exception>
    /// <exception cref="ArgumentOutOfRangeException">See <see cref="OutputSize"/>.</exception>
    public static byte[] Resize(
        ReadOnlySpan<byte> plane, int height, int width, double scale, out int outHeight, out int outWidth)
    {
        (outHeight, outWidth) = OutputSize(height, width, scale);
        PlaneGuard.CheckLength(plane.Length, height, width, 1, nameof(plane));
        var columns = ResizeWeights.Create(height, outHeight, scale);
        var rows = ResizeWeights.Create(width, outWidth, scale);
        var input = new double[plane.Length];
        for (int i = 0; i < input.Length; i++)
        {
            input[i] = plane[i];
        }
        var tall = ResizeHeight(input, width, columns);
        RoundInPlace(tall);
        var result = ResizeWidth(tall, outHeight, width, rows);
        return Evaluation.RoundMatlab(result);
    }

    /// <summary>
    /// Resizes an interleaved uint8 image (grey, grey+alpha, RGB or RGBA, <paramref name="channels"/> bytes a
    /// pixel), each channel on its own as MATLAB does with a <c>height x width x channels</c> array.
    /// Returns a new interleaved image the caller owns.
    /// </summary>
    /// <param name="pixels">Row-major pixels, channels interleaved.</param>
    /// <param name="height">Rows of the image.</param>
    /// <param name="width">Columns of the image.</param>
    /// <param name="channels">Bytes a pixel, 1 to 4.</param>
    /// <param name="scale">Resize factor, any positive finite number (below 1 shrinks, with antialiasing).</param>
    /// <param name="outHeight">Rows of the result, <c>ceil(height * scale)</c>.</param>
    /// <param name="outWidth">Columns of the result, <c>ceil(width * scale)</c>.</param>
    /// <exception cref="ArgumentException">The length is not <c>height * width * channels</c>.</exception>
    /// <exception cref="ArgumentOutOfRangeException">See <see cref="OutputSize"/>; or channels is not 1 to 4.</exception>
    public static byte[] ResizeInterleaved(
        ReadOnlySpan<byte> pixels, int height, int width, int channels, double scale,
        out int outHeight, out int outWidth)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(channels, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(channels, 4);
        (outHeight, outWidth) = OutputSize(height, width, scale);
        PlaneGuard.CheckLength(pixels.Length, height, width, channels, nameof(pixels));
        var plane = new byte[height * width];
        var result = new byte[outHeight * outWidth * channels];
        for (int c = 0; c < channels; c++)
        {
            for (int i = 0; i < plane.Length; i++)
            {
                plane[i] = pixels[i * channels + c];
            }
            var resized = Resize(plane, height, width, scale, out _, out _);
            for (int i = 0; i < resized.Length; i++)
            {
                result[i * channels + c] = resized[i];
            }
        }
        return result;
    }

    /// <summary>Pass along dimension 1: out(i, x) = sum_k w(i, k) in(index(i, k), x).</summary>
    private static double[] ResizeHeight(ReadOnlySpan<double> input, int width, ResizeWeights weights)
    {
        var output = new double[weights.OutLength * width];
        for (int i = 0; i < weights.OutLength; i++)
        {
            var row = output.AsSpan(i * width, width);
            for (int k = 0; k < weights.Taps; k++)
            {
                double w = weights.Weight(i, k);
                var source = input.Slice(weights.Index(i, k) * width, width);
                for (int x = 0; x < width; x++)
                {
                    row[x] += w * source[x];
                }
            }
        }
        return output;
    }

    /// <summary>Pass along dimension 2: out(y, j) = sum_k w(j, k) in(y, index(j, k)).</summary>
    private static double[] ResizeWidth(double[] input, int height, int width, ResizeWeights weights)
    {
        int outWidth = weights.OutLength;
        var output = new double[height * outWidth];
        for (int y = 0; y < height; y++)
        {
            var source = input.AsSpan(y * width, width);
            var row = output.AsSpan(y * outWidth, outWidth);
            for (int j = 0; j < outWidth; j++)
            {
                double sum = 0;
                for (int k = 0; k < weights.Taps; k++)
                {
                    sum += weights.Weight(j, k) * source[weights.Index(j, k)];
                }
                row[j] = sum;
            }
        }
        return output;
    }

    private static void RoundInPlace(double[] values)
    {
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = Evaluation.RoundMatlab(values[i]);
        }
    }
}
