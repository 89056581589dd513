namespace RealtimeUpscale.Imaging;

/// <summary>
/// The taps of one dimension of a MATLAB bicubic resize, as MATLAB's <c>imresize/contributions</c> builds
/// them. Layout: <see cref="OutLength"/> rows of <see cref="Taps"/> entries; row i (0-based output index)
/// holds the weights and the 0-based input indices that output i reads.
/// </summary>
internal sealed class ResizeWeights
{
    private readonly double[] _weights;
    private readonly int[] _indices;

    private ResizeWeights(int outLength, int taps, double[] weights, int[] indices)
    {
        OutLength = outLength;
        Taps = taps;
        _weights = weights;
        _indices = indices;
    }

    public int OutLength { get; }

    public int Taps { get; }

    public double Weight(int output, int tap) => _weights[output * Taps + tap];

    public int Index(int output, int tap) => _indices[output * Taps + tap];

    /// <summary>
    /// MATLAB's steps, in MATLAB's floating-point order (1-based x and indices as there):
    /// <code>
    /// kernel_width = 4; h = cubic            (scale &gt;= 1)
    /// kernel_width = 4 / scale; h(x) = scale * cubic(scale * x)   (scale &lt; 1: antialiasing)
    /// u = x / scale + 0.5 * (1 - 1 / scale)          for x = 1..out_length
    /// left = floor(u - kernel_width / 2);  P = ceil(kernel_width) + 2
    /// indices = left + (0..P-1);  weights = h(u - indices) ./ sum(weights, 2)
    /// indices clamped to 1..in_length;  taps (columns) whose weight is zero for every x dropped
    /// </code>
    /// The clamp is what the MATLAB-made reference images in Set5_matlab_bicubic show: symmetric mirroring of
    /// the out-of-range taps (another formulation seen in ports) changes thousands of their border pixels.
    /// </summary>
    public static ResizeWeights Create(int inLength, int outLength, double scale)
    {
        bool antialias = scale < 1;
        double kernelWidth = antialias ? 4.0 / scale : 4.0;
        int taps = (int)Math.Ceiling(kernelWidth) + 2;
        var weights = new double[outLength * taps];
        var indices = new int[outLength * taps];
        for (int i = 0; i < outLength; i++)
        {
            double x = i + 1;
            double u = x / scale + 0.5 * (1 - 1 / scale);
            double left = Math.Floor(u - kernelWidth / 2);
            var row = weights.AsSpan(i * taps, taps);
            double sum = 0;
            for (int k = 0; k < taps; k++)
            {
                double index = left + k;
                double distance = u - index;
                row[k] = antialias ? scale * Cubic(scale * distance) : Cubic(distance);
                sum += row[k];
                // 1-based index clamped to 1..inLength, stored 0-based.
                indices[i * taps + k] = (int)Math.Clamp(index, 1, inLength) - 1;
            }
            for (int k = 0; k < taps; k++)
            {
                row[k] /= sum;
            }
        }
        return DropZeroTaps(outLength, taps, weights, indices);
    }

    /// <summary>Keys' cubic convolution kernel with a = -0.5, as MATLAB writes it.</summary>
    private static double Cubic(double x)
    {
        double absx = Math.Abs(x);
        double absx2 = absx * absx;
        double absx3 = absx2 * absx;
        if (absx <= 1)
        {
            return 1.5 * absx3 - 2.5 * absx2 + 1;
        }
        if (absx <= 2)
        {
            return -0.5 * absx3 + 2.5 * absx2 - 4 * absx + 2;
        }
        return 0;
    }

    private static ResizeWeights DropZeroTaps(int outLength, int taps, double[] weights, int[] indices)
    {
        var keep = new List<int>(taps);
        for (int k = 0; k < taps; k++)
        {
            for (int i = 0; i < outLength; i++)
            {
                if (weights[i * taps + k] != 0)
                {
                    keep.Add(k);
                    break;
                }
            }
        }
        if (keep.Count == taps)
        {
            return new ResizeWeights(outLength, taps, weights, indices);
        }
        var keptWeights = new double[outLength * keep.Count];
        var keptIndices = new int[outLength * keep.Count];
        for (int i = 0; i < outLength; i++)
        {
            for (int n = 0; n < keep.Count; n++)
            {
                keptWeights[i * keep.Count + n] = weights[i * taps + keep[n]];
                keptIndices[i * keep.Count + n] = indices[i * taps + keep[n]];
            }
        }
        return new ResizeWeights(outLength, keep.Count, keptWeights, keptIndices);
    }
}
