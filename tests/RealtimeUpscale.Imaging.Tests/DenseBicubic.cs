namespace RealtimeUpscale.Imaging.Tests;

/// <summary>
/// An independent, deliberately plain bicubic resize: one dense weight matrix per dimension built from the
/// definition (every integer input position near the output's centre gets kernel(u - position), normalised,
/// then credited to the clamped input pixel), applied as matrix products. Shares no code with the library.
/// </summary>
internal static class DenseBicubic
{
    /// <summary>Weights [outLength, inLength] of MATLAB's bicubic resize of one dimension.</summary>
    public static double[,] Matrix(int inLength, double scale)
    {
        int outLength = (int)Math.Ceiling(inLength * scale);
        bool shrinking = scale < 1;
        // The kernel reaches 2 input pixels either side, 2/scale when stretched for antialiasing.
        double reach = shrinking ? 2 / scale : 2;
        var m = new double[outLength, inLength];
        for (int o = 0; o < outLength; o++)
        {
            // Centre of output o (0-based) in 0-based input coordinates: (o + 0.5) / scale - 0.5.
            double centre = (o + 0.5) / scale - 0.5;
            int first = (int)Math.Floor(centre - reach) - 2;
            int last = (int)Math.Ceiling(centre + reach) + 2;
            var taps = new double[last - first + 1];
            double total = 0;
            for (int p = first; p <= last; p++)
            {
                double d = centre - p;
                double w = shrinking ? scale * Keys(scale * d) : Keys(d);
                taps[p - first] = w;
                total += w;
            }
            for (int p = first; p <= last; p++)
            {
                m[o, Math.Min(Math.Max(p, 0), inLength - 1)] += taps[p - first] / total;
            }
        }
        return m;
    }

    /// <summary>Keys (1981) cubic convolution kernel with a = -0.5, in Horner form.</summary>
    public static double Keys(double x)
    {
        const double a = -0.5;
        double t = Math.Abs(x);
        if (t <= 1)
        {
            return ((a + 2) * t - (a + 3)) * t * t + 1;
        }
        if (t < 2)
        {
            return ((a * t - 5 * a) * t + 8 * a) * t - 4 * a;
        }
        return 0;
    }

    /// <summary>Float resize: M_h X M_w^T, no rounding.</summary>
    public static double[] Resize(double[] plane, int height, int width, double scale, out int outHeight, out int outWidth)
    {
        var mh = Matrix(height, scale);
        var mw = Matrix(width, scale);
        outHeight = mh.GetLength(0);
        outWidth = mw.GetLength(0);
        var tall = ApplyHeight(plane, height, width, mh);
        return ApplyWidth(tall, outHeight, width, mw);
    }

    /// <summary>uint8 resize: height first, rounding half up and saturating after each pass.</summary>
    public static byte[] Resize(byte[] plane, int height, int width, double scale, out int outHeight, out int outWidth)
    {
        var mh = Matrix(height, scale);
        var mw = Matrix(width, scale);
        outHeight = mh.GetLength(0);
        outWidth = mw.GetLength(0);
        var tall = ApplyHeight(plane.Select(v => (double)v).ToArray(), height, width, mh);
        for (int i = 0; i < tall.Length; i++)
        {
            tall[i] = Quantise(tall[i]);
        }
        return ApplyWidth(tall, outHeight, width, mw).Select(v => (byte)Quantise(v)).ToArray();
    }

    /// <summary>MATLAB's double to uint8 for the values seen here: negative gives 0, else floor(v + 0.5) up to 255.</summary>
    private static double Quantise(double v) => v < 0 ? 0 : Math.Min(255, Math.Floor(v + 0.5));

    private static double[] ApplyHeight(double[] plane, int height, int width, double[,] m)
    {
        int outHeight = m.GetLength(0);
        var result = new double[outHeight * width];
        for (int o = 0; o < outHeight; o++)
        {
            for (int x = 0; x < width; x++)
            {
                double sum = 0;
                for (int y = 0; y < height; y++)
                {
                    sum += m[o, y] * plane[y * width + x];
                }
                result[o * width + x] = sum;
            }
        }
        return result;
    }

    private static double[] ApplyWidth(double[] plane, int height, int width, double[,] m)
    {
        int outWidth = m.GetLength(0);
        var result = new double[height * outWidth];
        for (int y = 0; y < height; y++)
        {
            for (int o = 0; o < outWidth; o++)
            {
                double sum = 0;
                for (int x = 0; x < width; x++)
                {
                    sum += m[o, x] * plane[y * width + x];
                }
                result[y * outWidth + o] = sum;
            }
        }
        return result;
    }
}
