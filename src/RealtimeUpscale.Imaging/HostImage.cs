namespace RealtimeUpscale.Imaging;

/// <summary>
/// An immutable image in host memory with 8 or 16 bits a channel: <see cref="Height"/> rows of
/// <see cref="Width"/> pixels, each <see cref="Channels"/> interleaved samples (1 grey, 2 grey + alpha, 3 RGB,
/// 4 RGBA; alpha not premultiplied), no row padding. Sample k of pixel (x, y) is at index
/// <c>(y * Width + x) * Channels + k</c> of <see cref="Pixels"/> (8 bits) or <see cref="Samples16"/> (16 bits).
/// </summary>
public sealed class HostImage
{
    private readonly byte[]? _pixels;
    private readonly ushort[]? _samples16;

    /// <summary>Copies 8-bit <paramref name="pixels"/> into a new image.</summary>
    /// <param name="width">Pixels a row, positive.</param>
    /// <param name="height">Rows, positive.</param>
    /// <param name="channels">Samples a pixel, 1 to 4.</param>
    /// <param name="pixels">Exactly <c>width * height * channels</c> bytes.</param>
    /// <param name="sourceBitsPerChannel">Bits a channel had in the file the pixels came from (8 or 16).</param>
    /// <exception cref="ArgumentException">The length does not match the size.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A size, the channel count or the bit depth is out of range.</exception>
    public HostImage(int width, int height, int channels, ReadOnlySpan<byte> pixels, int sourceBitsPerChannel = 8)
        : this(width, height, channels, CopyChecked(width, height, channels, pixels), null, sourceBitsPerChannel)
    {
    }

    /// <summary>Copies 16-bit <paramref name="samples"/> (0 to 65535) into a new image.</summary>
    /// <exception cref="ArgumentException">The length does not match the size.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A size or the channel count is out of range.</exception>
    public HostImage(int width, int height, int channels, ReadOnlySpan<ushort> samples)
        : this(width, height, channels, null, CopyChecked(width, height, channels, samples), 16)
    {
    }

    /// <summary>Takes ownership of the buffer given (exactly one), which nobody else may hold or change.</summary>
    private HostImage(int width, int height, int channels, byte[]? pixels, ushort[]? samples16, int sourceBitsPerChannel)
    {
        if (sourceBitsPerChannel is not (8 or 16))
        {
            throw new ArgumentOutOfRangeException(
                nameof(sourceBitsPerChannel), sourceBitsPerChannel, "Expected 8 or 16 bits a channel.");
        }
        Width = width;
        Height = height;
        Channels = channels;
        SourceBitsPerChannel = sourceBitsPerChannel;
        _pixels = pixels;
        _samples16 = samples16;
    }

    /// <summary>Pixels a row.</summary>
    public int Width { get; }

    /// <summary>Rows.</summary>
    public int Height { get; }

    /// <summary>Interleaved samples a pixel: 1 grey, 2 grey + alpha, 3 RGB, 4 RGBA.</summary>
    public int Channels { get; }

    /// <summary>Whether the last channel is alpha (2 or 4 channels).</summary>
    public bool HasAlpha => Channels is 2 or 4;

    /// <summary>Bits a sample holds here: 8 (<see cref="Pixels"/>) or 16 (<see cref="Samples16"/>).</summary>
    public int BitsPerChannel => _samples16 is null ? 8 : 16;

    /// <summary>
    /// Bits a channel had in the source file. 16 with <see cref="BitsPerChannel"/> 8 means the samples were
    /// reduced to 8 bits (by <see cref="ToEightBit"/> or <see cref="ImageFile.Load"/>), so precision was lost.
    /// </summary>
    public int SourceBitsPerChannel { get; }

    /// <summary>The 8-bit samples, <c>Width * Height * Channels</c> bytes; valid as long as this image is referenced.</summary>
    /// <exception cref="InvalidOperationException">The image has 16 bits a channel (read <see cref="Samples16"/>).</exception>
    public ReadOnlySpan<byte> Pixels => _pixels ?? throw new InvalidOperationException(
        "This image has 16 bits a channel: read Samples16, or call ToEightBit().");

    /// <summary>The 16-bit samples, <c>Width * Height * Channels</c> values; valid as long as this image is referenced.</summary>
    /// <exception cref="InvalidOperationException">The image has 8 bits a channel (read <see cref="Pixels"/>).</exception>
    public ReadOnlySpan<ushort> Samples16 => _samples16 ?? throw new InvalidOperationException(
        "This image has 8 bits a channel: read Pixels.");

    /// <summary>
    /// This image with 8 bits a channel: itself when it has 8, else every sample rounded to the nearest of the 256
    /// levels (<c>round(v * 255 / 65535)</c>), with <see cref="SourceBitsPerChannel"/> 16.
    /// </summary>
    public HostImage ToEightBit()
    {
        if (_samples16 is null)
        {
            return this;
        }
        var bytes = new byte[_samples16.Length];
        for (long i = 0; i < bytes.LongLength; i++)
        {
            // 65535 = 255 * 257, so round(v / 257) with integers: (v + 128) / 257 never exceeds 255.
            bytes[i] = (byte)((_samples16[i] + 128) / 257);
        }
        return new HostImage(Width, Height, Channels, bytes, null, 16);
    }

    /// <summary>Every sample as a float in [0, 1] (v / 255 or v / 65535), interleaved as stored.</summary>
    public float[] ToFloats()
    {
        if (_samples16 is not null)
        {
            var f = new float[_samples16.Length];
            for (long i = 0; i < f.LongLength; i++)
            {
                f[i] = _samples16[i] / 65535f;
            }
            return f;
        }
        var g = new float[_pixels!.Length];
        for (long i = 0; i < g.LongLength; i++)
        {
            g[i] = _pixels[i] / 255f;
        }
        return g;
    }

    /// <summary>Wraps a decoder's 8-bit buffer without copying; the caller gives up the buffer.</summary>
    internal static HostImage Own(int width, int height, int channels, byte[] pixels, int sourceBitsPerChannel)
    {
        CheckShape(width, height, channels, pixels.LongLength);
        return new HostImage(width, height, channels, pixels, null, sourceBitsPerChannel);
    }

    /// <summary>Wraps a 16-bit buffer without copying; the caller gives up the buffer.</summary>
    public static HostImage Own16(int width, int height, int channels, ushort[] samples)
    {
        ArgumentNullException.ThrowIfNull(samples);
        CheckShape(width, height, channels, samples.LongLength);
        return new HostImage(width, height, channels, null, samples, 16);
    }

    /// <summary>Wraps an 8-bit buffer without copying; the caller gives up the buffer.</summary>
    public static HostImage Own8(int width, int height, int channels, byte[] pixels)
    {
        ArgumentNullException.ThrowIfNull(pixels);
        return Own(width, height, channels, pixels, 8);
    }

    private static byte[] CopyChecked(int width, int height, int channels, ReadOnlySpan<byte> pixels)
    {
        CheckShape(width, height, channels, pixels.Length);
        return pixels.ToArray();
    }

    private static ushort[] CopyChecked(int width, int height, int channels, ReadOnlySpan<ushort> samples)
    {
        CheckShape(width, height, channels, samples.Length);
        return samples.ToArray();
    }

    private static void CheckShape(int width, int height, int channels, long length)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(channels, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(channels, 4);
        PlaneGuard.CheckLength(length, height, width, channels, "pixels");
    }
}
