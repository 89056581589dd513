using System.Buffers.Binary;

namespace RealtimeUpscale.Imaging;

/// <summary>
/// Puts an ICC profile, EXIF and XMP into a still WebP file, rewriting its RIFF container in the extended format of
/// the WebP container specification: <c>RIFF</c> size <c>WEBP</c>, a <c>VP8X</c> chunk (flags and canvas size), an
/// <c>ICCP</c> chunk, the image data chunks as they were (<c>ALPH</c>, <c>VP8 </c> or <c>VP8L</c>), then <c>EXIF</c>
/// and <c>XMP </c>. ImageSharp 2.1.13's WebP encoder is used for the image data only: it drops ICC and EXIF and
/// writes a RIFF size that disagrees with the file when given XMP.
/// </summary>
/// <remarks>
/// Layout: every chunk is a FourCC, a little-endian uint32 payload size, the payload and one zero byte of padding when
/// the size is odd (the size field excludes the padding). The RIFF size counts everything after its own field. VP8X's
/// payload is 10 bytes: a flags byte (bit 5 ICC, bit 4 alpha, bit 3 EXIF, bit 2 XMP, bit 1 animation; the rest 0),
/// three reserved zero bytes, then the canvas width minus one and height minus one as little-endian uint24.
/// </remarks>
public static class WebpContainer
{
    private const byte IccFlag = 0x20, AlphaFlag = 0x10, ExifFlag = 0x08, XmpFlag = 0x04;

    /// <summary>
    /// The file <paramref name="webp"/> (a still image, simple or extended format) with the given metadata chunks in
    /// place of any it had; <paramref name="webp"/> itself when all three are null.
    /// </summary>
    /// <param name="webp">A WebP file.</param>
    /// <param name="width">The image's width (the canvas width written to VP8X).</param>
    /// <param name="height">The image's height.</param>
    /// <param name="hasAlpha">Whether the image has an alpha channel (VP8X's alpha flag).</param>
    /// <param name="icc">The ICC profile, or null.</param>
    /// <param name="exif">EXIF as a TIFF-structured block (<c>II*\0</c> or <c>MM\0*</c> first), or null.</param>
    /// <param name="xmp">The XMP packet, or null.</param>
    /// <exception cref="InvalidDataException"><paramref name="webp"/> is not a well-formed still WebP file.</exception>
    /// <exception cref="ArgumentException">The size is outside what VP8X holds, or the result exceeds 4 GiB.</exception>
    public static byte[] WithMetadata(byte[] webp, int width, int height, bool hasAlpha, byte[]? icc, byte[]? exif, byte[]? xmp)
    {
        ArgumentNullException.ThrowIfNull(webp);
        if (icc is null && exif is null && xmp is null)
        {
            return webp;
        }
        if (width < 1 || height < 1 || width > 1 << 24 || height > 1 << 24 || (long)width * height > uint.MaxValue)
        {
            throw new ArgumentException($"a WebP canvas cannot be {width} x {height}");
        }
        var image = ImageChunks(webp);
        byte flags = (byte)((icc is null ? 0 : IccFlag) | (hasAlpha ? AlphaFlag : 0) | (exif is null ? 0 : ExifFlag) | (xmp is null ? 0 : XmpFlag));
        var vp8x = new byte[10];
        vp8x[0] = flags;
        WriteUInt24(vp8x.AsSpan(4), width - 1);
        WriteUInt24(vp8x.AsSpan(7), height - 1);

        var chunks = new List<(string Type, ReadOnlyMemory<byte> Payload)> { ("VP8X", vp8x) };
        if (icc is not null)
        {
            chunks.Add(("ICCP", icc));
        }
        chunks.AddRange(image);
        if (exif is not null)
        {
            chunks.Add(("EXIF", exif));
        }
        if (xmp is not null)
        {
            chunks.Add(("XMP ", xmp));
        }
        long size = 4 + chunks.Sum(c => 8L + c.Payload.Length + (c.Payload.Length & 1));
        if (size + 8 > Array.MaxLength || size > uint.MaxValue)
        {
            throw new ArgumentException($"a WebP file of {size + 8} bytes is beyond what RIFF (or one array) holds");
        }
        var result = new byte[size + 8];
        "RIFF"u8.CopyTo(result);
        BinaryPrimitives.WriteUInt32LittleEndian(result.AsSpan(4), (uint)size);
        "WEBP"u8.CopyTo(result.AsSpan(8));
        int at = 12;
        foreach (var (type, payload) in chunks)
        {
            System.Text.Encoding.ASCII.GetBytes(type, result.AsSpan(at));
            BinaryPrimitives.WriteUInt32LittleEndian(result.AsSpan(at + 4), (uint)payload.Length);
            payload.Span.CopyTo(result.AsSpan(at + 8));
            // The padding byte is already zero in the new array.
            at += 8 + payload.Length + (payload.Length & 1);
        }
        return result;
    }

    /// <summary>The image data chunks of a still WebP file, in order: ALPH, VP8 and VP8L (and any unknown chunks).</summary>
    private static List<(string, ReadOnlyMemory<byte>)> ImageChunks(byte[] webp)
    {
        if (webp.Length < 12 || !webp.AsSpan(0, 4).SequenceEqual("RIFF"u8) || !webp.AsSpan(8, 4).SequenceEqual("WEBP"u8))
        {
            throw new InvalidDataException("not a WebP file (no RIFF/WEBP header)");
        }
        long end = 8L + BinaryPrimitives.ReadUInt32LittleEndian(webp.AsSpan(4));
        if (end > webp.Length)
        {
            throw new InvalidDataException($"the RIFF size says {end} bytes, the file has {webp.Length}");
        }
        var chunks = new List<(string, ReadOnlyMemory<byte>)>();
        bool bitstream = false;
        long at = 12;
        while (at + 8 <= end)
        {
            string type = System.Text.Encoding.ASCII.GetString(webp, (int)at, 4);
            long length = BinaryPrimitives.ReadUInt32LittleEndian(webp.AsSpan((int)at + 4));
            if (at + 8 + length > end)
            {
                throw new InvalidDataException($"the {type} chunk at byte {at} runs past the end of the file");
            }
            switch (type)
            {
                case "VP8X" or "ICCP" or "EXIF" or "XMP ":
                    break;
                case "ANIM" or "ANMF":
                    throw new InvalidDataException("an animated WebP file cannot be given metadata here");
                default:
                    bitstream |= type is "VP8 " or "VP8L";
                    chunks.Add((type, new ReadOnlyMemory<byte>(webp, (int)at + 8, (int)length)));
                    break;
            }
            at += 8 + length + (length & 1);
        }
        if (!bitstream)
        {
            throw new InvalidDataException("the WebP file has no VP8 or VP8L image chunk");
        }
        return chunks;
    }

    private static void WriteUInt24(Span<byte> target, int value)
    {
        target[0] = (byte)value;
        target[1] = (byte)(value >> 8);
        target[2] = (byte)(value >> 16);
    }
}
