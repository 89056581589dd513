using StbImageSharp;

namespace RealtimeUpscale.Imaging;

/// <summary>
/// Reads image files (PNG, JPEG, BMP, TGA; GIF: the first frame) with StbImageSharp into a
/// <see cref="HostImage"/> with the channels the file stores (grey, grey + alpha, RGB, RGBA).
/// </summary>
/// <remarks>
/// <para>Rows come top first: the decoder's vertical-flip switches, which are process-wide statics of
/// StbImageSharp, are set to "no flip" before every decode. Code elsewhere in the process that turns them
/// on while a decode runs would still flip that image.</para>
/// <para>Palette PNGs load as RGB or RGBA, and GIFs always as RGBA (the decoder's output). 16-bit PNGs are
/// reduced to 8 bits by the decoder; <see cref="HostImage.SourceBitsPerChannel"/> says so. Radiance HDR
/// files are refused, since the 8-bit decoder would tone-map them.</para>
/// </remarks>
public static class ImageFile
{
    /// <summary>Reads and decodes the image file at <paramref name="path"/>.</summary>
    /// <exception cref="InvalidDataException">The file is corrupt, truncated or of an unsupported format; the
    /// message names the file and the decoder's reason, and a decoder exception is the inner exception.</exception>
    /// <exception cref="IOException">The file cannot be read (<see cref="FileNotFoundException"/> when absent).</exception>
    public static HostImage Load(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        return Decode(File.ReadAllBytes(path), path);
    }

    /// <summary>
    /// Decodes an encoded image held in memory. <paramref name="sourceName"/> (a path, a URL, an archive entry)
    /// is only used in error messages. The returned image does not reference <paramref name="encoded"/>.
    /// </summary>
    /// <exception cref="InvalidDataException">The data is corrupt, truncated or of an unsupported format.</exception>
    public static HostImage Decode(byte[] encoded, string sourceName)
    {
        ArgumentNullException.ThrowIfNull(encoded);
        ArgumentNullException.ThrowIfNull(sourceName);
        if (IsRadianceHdr(encoded))
        {
            throw new InvalidDataException($"{sourceName}: Radiance HDR images are not supported (8-bit images only).");
        }

        ImageInfo? info;
        ImageResult result;
        try
        {
            StbImage.stbi_set_flip_vertically_on_load(0);
            StbImage.stbi_set_flip_vertically_on_load_thread(0);
            using (var stream = new MemoryStream(encoded, writable: false))
            {
                info = ImageInfo.FromStream(stream);
            }
            if (info is null)
            {
                throw new InvalidDataException(
                    $"{sourceName}: not an image in a supported format ({Reason()}).");
            }
            result = ImageResult.FromMemory(encoded, ColorComponents.Default);
        }
        catch (Exception e) when (e is not (InvalidDataException or OutOfMemoryException))
        {
            // StbImageSharp reports a failed decode as InvalidOperationException with its reason, and malformed
            // data can also surface as an index or arithmetic exception from deep inside the decoder.
            throw new InvalidDataException($"{sourceName}: cannot decode the image: {e.Message}", e);
        }

        int channels = (int)result.Comp;
        if (result.Width <= 0 || result.Height <= 0 || channels is < 1 or > 4
            || result.Data is null || result.Data.Length != (long)result.Width * result.Height * channels)
        {
            throw new InvalidDataException(
                $"{sourceName}: the decoder returned an inconsistent image " +
                $"({result.Width}x{result.Height}, {channels} channels, {result.Data?.Length ?? 0} bytes).");
        }
        return HostImage.Own(result.Width, result.Height, channels, result.Data, info.Value.BitsPerChannel);
    }

    private static string Reason()
    {
        string? reason = StbImage.stbi__g_failure_reason;
        return string.IsNullOrEmpty(reason) ? "unknown reason" : reason;
    }

    private static bool IsRadianceHdr(ReadOnlySpan<byte> data) =>
        data.StartsWith("#?RADIANCE"u8) || data.StartsWith("#?RGBE"u8);
}
