using RealtimeUpscale.Runtime;
using Xunit;

namespace RealtimeUpscale.Tests;

/// <summary>A planar float64 tensor on the host, element (c, y, x) at (c * H + y) * W + x.</summary>
public sealed record HostTensor(TensorShape Shape, double[] Data)
{
    public HostTensor(int c, int h, int w) : this(new TensorShape(c, h, w), new double[c * h * w])
    {
    }

    public int C => Shape.Channels;
    public int H => Shape.Height;
    public int W => Shape.Width;

    public double this[int c, int y, int x]
    {
        get => Data[(c * H + y) * W + x];
        set => Data[(c * H + y) * W + x] = value;
    }

    /// <summary>Uniform values in [lo, hi), rounded to float32 so GPU and reference see the same input.</summary>
    public static HostTensor Random(Random rng, int c, int h, int w, double lo = -1, double hi = 1)
    {
        var t = new HostTensor(c, h, w);
        for (int i = 0; i < t.Data.Length; i++)
        {
            t.Data[i] = (float)(lo + (hi - lo) * rng.NextDouble());
        }
        return t;
    }

    public static float[] RandomFloats(Random rng, int n, double lo = -0.5, double hi = 0.5)
    {
        var a = new float[n];
        for (int i = 0; i < n; i++)
        {
            a[i] = (float)(lo + (hi - lo) * rng.NextDouble());
        }
        return a;
    }

    public static HostTensor FromFloat(TensorShape shape, float[] data) => new(shape, data.Select(v => (double)v).ToArray());

    public float[] ToFloat() => Data.Select(v => (float)v).ToArray();
}

/// <summary>Comparisons with a written tolerance.</summary>
public static class Compare
{
    /// <summary>
    /// The fp32 tolerance of every layer test: the largest absolute difference, relative to the largest
    /// magnitude of the reference output, must stay under 1e-5 (the maximum-norm relative error).
    /// </summary>
    public const double RelativeTolerance = 1e-5;

    public static double RelativeError(HostTensor expected, HostTensor actual)
    {
        Assert.Equal(expected.Shape, actual.Shape);
        double maxRef = expected.Data.Max(Math.Abs);
        double maxDiff = 0;
        for (int i = 0; i < expected.Data.Length; i++)
        {
            maxDiff = Math.Max(maxDiff, Math.Abs(expected.Data[i] - actual.Data[i]));
        }
        return maxDiff / Math.Max(maxRef, 1e-12);
    }

    /// <summary>Asserts shapes match, no value is NaN, and the relative error is within tolerance.</summary>
    public static void Close(HostTensor expected, HostTensor actual, double tolerance = RelativeTolerance, string what = "")
    {
        Assert.Equal(expected.Shape, actual.Shape);
        Assert.DoesNotContain(actual.Data, double.IsNaN);
        Assert.True(expected.Data.Max(Math.Abs) > 0, $"{what}: the reference output is all zeros; the test would prove nothing.");
        double err = RelativeError(expected, actual);
        Assert.True(err < tolerance, $"{what}: relative error {err:E3} exceeds {tolerance:E1}.");
    }
}
