using System.Globalization;

namespace RealtimeUpscale.Imaging;

/// <summary>
/// A width and height in pixels, as the applications take them on their command lines (<c>WxH</c>, e.g.
/// <c>1280x720</c>), with the range checks and the overflow-safe pixel and byte counts every caller needs.
/// </summary>
/// <param name="Width">Width in pixels.</param>
/// <param name="Height">Height in pixels.</param>
public readonly record struct ImageSize(int Width, int Height)
{
    /// <summary>The largest side <see cref="Parse"/> accepts unless told otherwise: 2^20 pixels.</summary>
    public const int DefaultMaxSide = 1 << 20;

    /// <summary>Width times height, computed in 64 bits (two sides of 2^20 would overflow an int).</summary>
    public long PixelCount => (long)Width * Height;

    /// <summary>Bytes of an image of this size with <paramref name="channels"/> bytes a pixel.</summary>
    /// <exception cref="OverflowException">The count does not fit a long.</exception>
    public long ByteCount(int channels)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(channels);
        return checked(PixelCount * channels);
    }

    /// <summary>
    /// Parses <c>WxH</c> (an <c>x</c> or <c>X</c> between two unsigned decimal numbers, nothing else) and checks
    /// that each side is <paramref name="min"/> to <paramref name="max"/>.
    /// </summary>
    /// <param name="text">The text to parse.</param>
    /// <param name="option">The option the text came from, named in the error (e.g. <c>--size</c>).</param>
    /// <param name="min">The smallest side allowed (at least 1).</param>
    /// <param name="max">The largest side allowed.</param>
    /// <exception cref="ArgumentException">The text is not <c>WxH</c>, a number overflows, or a side is out of range;
    /// the message names the option and the text.</exception>
    public static ImageSize Parse(string text, string option = "--size", int min = 1, int max = DefaultMaxSide)
    {
        ArgumentNullException.ThrowIfNull(text);
        int at = text.IndexOfAny(['x', 'X']);
        if (at < 0 || !TryParseSide(text.AsSpan(0, at), out int width) || !TryParseSide(text.AsSpan(at + 1), out int height))
        {
            throw new ArgumentException($"{option} '{text}' is not WxH (e.g. 1280x720).");
        }
        var size = new ImageSize(width, height);
        size.Check(option, min, max);
        return size;
    }

    /// <summary>
    /// Throws unless each side is <paramref name="min"/> to <paramref name="max"/> pixels; the message names
    /// <paramref name="option"/> and the size.
    /// </summary>
    /// <exception cref="ArgumentException">A side is out of range.</exception>
    public void Check(string option, int min = 1, int max = DefaultMaxSide)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(min);
        ArgumentOutOfRangeException.ThrowIfLessThan(max, min);
        if (Width < min || Height < min || Width > max || Height > max)
        {
            throw new ArgumentException($"{option} {Width}x{Height}: each side must be {min} to {max} pixels.");
        }
    }

    /// <summary><c>WxH</c>.</summary>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Width}x{Height}");

    // NumberStyles.None: digits only (no sign, spaces or separators); TryParse fails on overflow rather than wrapping.
    private static bool TryParseSide(ReadOnlySpan<char> digits, out int value) =>
        int.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out value);
}
