namespace RealtimeUpscale.Upscaling;

/// <summary>
/// Interleaved host pixels of a <see cref="PixelFormat"/> (rows top to bottom, no padding) and the RGBA texels
/// the upscaler's images hold: what each format keeps, and the conversions both ways.
/// </summary>
internal static class HostPixels
{
    /// <summary>Values per pixel.</summary>
    public static int Channels(PixelFormat format) => format switch
    {
        PixelFormat.Grey => 1,
        PixelFormat.GreyAlpha => 2,
        PixelFormat.Rgb => 3,
        _ => 4,
    };

    /// <summary>Whether the format has alpha to keep, and whether it is grey.</summary>
    public static (bool KeepAlpha, bool Grey) Kind(PixelFormat format) =>
        (format is PixelFormat.Rgba or PixelFormat.GreyAlpha, format is PixelFormat.Grey or PixelFormat.GreyAlpha);

    /// <summary>
    /// Expands <paramref name="width"/> x <paramref name="height"/> pixels of <paramref name="format"/> to RGBA
    /// (grey to r = g = b, alpha <paramref name="opaque"/> when absent).
    /// </summary>
    public static T[] ToRgba<T>(ReadOnlySpan<T> pixels, PixelFormat format, int width, int height, T opaque) where T : unmanaged
    {
        int channels = Channels(format);
        int n = width * height;
        if (pixels.Length != n * channels)
        {
            throw new ArgumentException($"{width}x{height} {format} pixels are {n * channels} values, got {pixels.Length}.");
        }
        var rgba = new T[n * 4];
        for (int i = 0; i < n; i++)
        {
            for (int k = 0; k < 4; k++)
            {
                rgba[i * 4 + k] = format switch
                {
                    PixelFormat.Grey => k < 3 ? pixels[i] : opaque,
                    PixelFormat.GreyAlpha => k < 3 ? pixels[i * 2] : pixels[i * 2 + 1],
                    PixelFormat.Rgb => k < 3 ? pixels[i * 3 + k] : opaque,
                    _ => pixels[i * 4 + k],
                };
            }
        }
        return rgba;
    }

    /// <summary>Picks the channels of <paramref name="format"/> out of <paramref name="count"/> RGBA texels.</summary>
    public static T[] FromRgba<T>(ReadOnlySpan<T> rgba, PixelFormat format, int count) where T : unmanaged
    {
        int channels = Channels(format);
        var output = new T[count * channels];
        for (int i = 0; i < count; i++)
        {
            for (int k = 0; k < channels; k++)
            {
                int source = format switch
                {
                    PixelFormat.Grey => 0,
                    PixelFormat.GreyAlpha => k == 0 ? 0 : 3,
                    _ => k,
                };
                output[i * channels + k] = rgba[i * 4 + source];
            }
        }
        return output;
    }
}
