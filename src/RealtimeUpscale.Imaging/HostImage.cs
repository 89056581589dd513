namespace RealtimeUpscale.Imaging;

/// <summary>
/// An immutable 8-bit image in host memory: <see cref="Height"/> rows of <see cref="Width"/> pixels, each
/// <see cref="Channels"/> interleaved bytes (1 grey, 2 grey + alpha, 3 RGB, 4 RGBA; alpha not premultiplied),
/// no row padding. Pixel (x, y) starts at byte <c>(y * Width + x) * Channels</c>.
/// </summary>
public sealed class HostImage
{
    private readonly byte[] _pixels;

    /// <summary>Copies <paramref name="pixels"/> into a new image.</summary>
    /// <param name="width">Pixels a row, positive.</param>
    /// <param name="height">Rows, positive.</param>
    /// <param name="channels">Bytes a pixel, 1 to 4.</param>
    /// <param name="pixels">Exactly <c>width * height * channels</c> bytes.</param>
    /// <param name="sourceBitsPerChannel">Bits a channel had in the file the pixels came from (8 or 16).</param>
    /// <exception cref="ArgumentException">The length does not match the size.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A size, the channel count or the bit depth is out of range.</exception>
    public HostImage(int width, int height, int channels, ReadOnlySpan<byte> pixels, int sourceBitsPerChannel = 8)
        : this(width, height, channels, CopyChecked(width, height, channels, pixels), sourceBitsPerChannel)
    {
    }

    /// <summary>Takes ownership of <paramref name="pixels"/>, which nobody else may hold or change.</summary>
    private HostImage(int width, int height, int channels, byte[] pixels, int sourceBitsPerChannel)
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
    }

    /// <summary>Pixels a row.</summary>
    public int Width { get; }

    /// <summary>Rows.</summary>
    public int Height { get; }

    /// <summary>Interleaved bytes a pixel: 1 grey, 2 grey + alpha, 3 RGB, 4 RGBA.</summary>
    public int Channels { get; }

    /// <summary>Whether the last channel is alpha (2 or 4 channels).</summary>
    public bool HasAlpha => Channels is 2 or 4;

    /// <summary>
    /// Bits a channel had in the source file. 16 means the file held 16-bit samples that the decoder reduced
    /// to the 8 bits of <see cref="Pixels"/> (keeping the high byte), so precision was lost: callers that need
    /// the full depth should refuse such an image or warn.
    /// </summary>
    public int SourceBitsPerChannel { get; }

    /// <summary>The pixels, <c>Width * Height * Channels</c> bytes; valid as long as this image is referenced.</summary>
    public ReadOnlySpan<byte> Pixels => _pixels;

    /// <summary>Wraps a decoder's buffer without copying; the caller gives up the buffer.</summary>
    internal static HostImage Own(int width, int height, int channels, byte[] pixels, int sourceBitsPerChannel)
    {
        CheckShape(width, height, channels, pixels);
        return new HostImage(width, height, channels, pixels, sourceBitsPerChannel);
    }

    private static byte[] CopyChecked(int width, int height, int channels, ReadOnlySpan<byte> pixels)
    {
        CheckShape(width, height, channels, pixels);
        return pixels.ToArray();
    }

    private static void CheckShape(int width, int height, int channels, ReadOnlySpan<byte> pixels)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(channels, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(channels, 4);
        PlaneGuard.CheckLength(pixels.Length, height, width, channels, nameof(pixels));
    }
}
