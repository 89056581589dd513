using RealtimeUpscale.Imaging;

namespace RealtimeUpscale.Cli.Batch;

/// <summary>How one image is upscaled: the exact output size, the model passes to reach it, and whether it is streamed.</summary>
/// <param name="Width">The output width.</param>
/// <param name="Height">The output height.</param>
/// <param name="Passes">Model passes: the least number whose result covers the output on both axes (then shrunk to it exactly).</param>
/// <param name="Stream">Written band by band straight into a PNG file as the GPU makes it, never held whole.</param>
internal sealed record UpscalePlan(int Width, int Height, int Passes, bool Stream);

/// <summary>Plans the size and the passes of one image from the request (<c>--scale</c>, <c>--width</c>, <c>--height</c>, <c>--size</c>).</summary>
internal static class OutputSizePlanner
{
    /// <summary>
    /// Plans a <paramref name="width"/> x <paramref name="height"/> image of <paramref name="channels"/> samples of
    /// <paramref name="bytesPerSample"/> (1 or 2) going to <paramref name="output"/>. Only 8-bit outputs are streamed.
    /// </summary>
    /// <exception cref="ArgumentException">The output is beyond the largest side, or too large to hold and cannot be streamed.</exception>
    public static UpscalePlan Plan(int width, int height, int channels, int bytesPerSample, double modelScale, UpscaleRequest request, string output)
    {
        var (tw, th) = TargetSize(width, height, modelScale, request);
        // Upscale with the model until the image reaches the target, then shrink to it exactly.
        int passes = 1;
        while (Math.Pow(modelScale, passes) * width < tw - 1e-9 || Math.Pow(modelScale, passes) * height < th - 1e-9)
        {
            passes++;
        }
        long outBytes = new ImageSize(tw, th).ByteCount(channels * bytesPerSample);
        bool stream = false;
        if (bytesPerSample > 1 && new ImageSize(tw, th).ByteCount(channels) > Array.MaxLength)
        {
            throw new ArgumentException($"a {tw}x{th} 16-bit output is too large to hold in memory (16-bit outputs are not streamed); " +
                "choose a smaller size or --format jpg for 8 bits");
        }
        if (bytesPerSample == 1 && outBytes > request.StreamAboveBytes)
        {
            bool oneExactPass = passes == 1 && tw == (int)Math.Round(width * modelScale) && th == (int)Math.Round(height * modelScale);
            if (oneExactPass && Path.GetExtension(output).Equals(".png", StringComparison.OrdinalIgnoreCase))
            {
                stream = true;
            }
            else if (outBytes > Array.MaxLength)
            {
                throw new ArgumentException($"a {tw}x{th} output ({outBytes / (double)(1L << 30):F1} GiB of pixels) is too large to hold in memory; " +
                    $"it can be written only as PNG at the model's own scale (x{modelScale:0.##}), which is streamed to the file as it is made");
            }
        }
        return new UpscalePlan(tw, th, passes, stream);
    }

    /// <summary>
    /// The output size: both sides given, one side with the aspect ratio kept, or a scale (the model's by default);
    /// computed in double precision, so it never overflows.
    /// </summary>
    /// <exception cref="ArgumentException">A side would exceed <see cref="ImageSize.DefaultMaxSide"/>.</exception>
    public static (int W, int H) TargetSize(int w, int h, double modelScale, UpscaleRequest r)
    {
        double tw, th;
        if (r.Width is { } fw && r.Height is { } fh)
        {
            (tw, th) = (fw, fh);
        }
        else if (r.Width is { } ww)
        {
            (tw, th) = (ww, Math.Round(h * (double)ww / w));
        }
        else if (r.Height is { } hh)
        {
            (tw, th) = (Math.Round(w * (double)hh / h), hh);
        }
        else
        {
            double s = r.Scale ?? modelScale;
            (tw, th) = (Math.Round(w * s), Math.Round(h * s));
        }
        if (tw > ImageSize.DefaultMaxSide || th > ImageSize.DefaultMaxSide)
        {
            throw new ArgumentException($"the output would be {tw:0} x {th:0}, beyond the largest side of {ImageSize.DefaultMaxSide} pixels");
        }
        return (Math.Max(1, (int)tw), Math.Max(1, (int)th));
    }
}
