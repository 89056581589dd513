using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;

namespace RealtimeUpscale.Imaging;

/// <summary>
/// Checks the structure of an encoded file before it is decoded, because decoders fill what a truncated or
/// damaged file lacks with grey or black and report success: PNG chunks with their CRCs, the end chunk and the
/// whole zlib stream of the image data; JPEG markers up to the end-of-image marker; GIF blocks up to the trailer;
/// the RIFF length of WebP; the pixel data of uncompressed BMP and TGA. Also counts frames (GIF images, TIFF
/// directories, APNG) and collects PNG's ancillary chunks and WebP's metadata chunks.
/// </summary>
internal static class ImageStructure
{
    /// <summary>
    /// What the walk found: frames, whether PNG declares transparency, and the metadata chunks as stored (PNG's
    /// ancillary chunks; WebP's first ICCP, EXIF and XMP chunks, without their padding).
    /// </summary>
    internal sealed record Findings(int Frames, bool PngTransparency, bool PngPalette, IReadOnlyList<(string Type, byte[] Data)> Chunks);

    private static readonly Findings Plain = new(1, false, false, Array.Empty<(string, byte[])>());

    /// <summary>Walks <paramref name="data"/> of format <paramref name="format"/> (ImageSharp's name, e.g. "PNG").</summary>
    /// <exception cref="InvalidDataException">The file is truncated or damaged; the message says where, without the file name.</exception>
    public static Findings Check(byte[] data, string format) => format switch
    {
        "PNG" => Png(data),
        "JPEG" => Jpeg(data),
        "GIF" => Gif(data),
        "Webp" => Webp(data),
        "TIFF" => new Findings(TiffDirectories(data), false, false, Array.Empty<(string, byte[])>()),
        "BMP" => Bmp(data),
        "TGA" => Tga(data),
        _ => Plain,
    };

    private static Findings Png(byte[] d)
    {
        int pos = 8, frames = 1;
        bool end = false, transparency = false, palette = false;
        int width = 0, height = 0, depth = 0, colour = 0, interlace = 0;
        var idat = new MemoryStream();
        var ancillary = new List<(string, byte[])>();
        while (!end)
        {
            if (pos + 8 > d.Length)
            {
                throw new InvalidDataException($"truncated PNG: the file ends at byte {d.Length} inside a chunk header, before the end chunk (IEND)");
            }
            uint length = BinaryPrimitives.ReadUInt32BigEndian(d.AsSpan(pos));
            string type = Encoding.ASCII.GetString(d, pos + 4, 4);
            if (length > int.MaxValue || pos + 12L + length > d.Length)
            {
                throw new InvalidDataException($"truncated PNG: the {Printable(type)} chunk at byte {pos} needs {length} bytes of data, the file ends at {d.Length}");
            }
            var body = d.AsSpan(pos + 8, (int)length);
            uint stored = BinaryPrimitives.ReadUInt32BigEndian(d.AsSpan(pos + 8 + (int)length));
            if (Crc32.Compute(d.AsSpan(pos + 4, 4 + (int)length)) != stored)
            {
                throw new InvalidDataException($"corrupt PNG: the CRC of the {Printable(type)} chunk at byte {pos} does not match its data");
            }
            if (pos == 8 && type != "IHDR")
            {
                throw new InvalidDataException("corrupt PNG: the first chunk is not IHDR");
            }
            switch (type)
            {
                case "IHDR" when length == 13:
                    width = BinaryPrimitives.ReadInt32BigEndian(body);
                    height = BinaryPrimitives.ReadInt32BigEndian(body[4..]);
                    depth = body[8];
                    colour = body[9];
                    interlace = body[12];
                    palette = colour == 3;
                    break;
                case "IDAT":
                    idat.Write(body);
                    break;
                case "IEND":
                    end = true;
                    break;
                case "tRNS":
                    transparency = true;
                    break;
                case "acTL" when length >= 4:
                    frames = (int)Math.Min(int.MaxValue, BinaryPrimitives.ReadUInt32BigEndian(body));
                    break;
                case "iCCP" or "gAMA" or "cHRM" or "sRGB" or "pHYs" or "eXIf" or "tEXt" or "zTXt" or "iTXt":
                    ancillary.Add((type, body.ToArray()));
                    break;
            }
            pos += 12 + (int)length;
        }
        if (width <= 0 || height <= 0)
        {
            throw new InvalidDataException("corrupt PNG: no valid IHDR chunk");
        }
        long expected = PngDataLength(width, height, depth, colour, interlace);
        if (expected < 0)
        {
            throw new InvalidDataException($"corrupt PNG: IHDR has an invalid bit depth {depth} for colour type {colour}, or interlace method {interlace}");
        }
        long inflated = InflatedLength(idat, expected);
        if (inflated < expected)
        {
            throw new InvalidDataException($"truncated PNG: the image data holds {inflated} of the {expected} bytes its {width}x{height} pixels need");
        }
        return new Findings(frames, transparency, palette, ancillary);
    }

    /// <summary>Bytes of filtered scanlines a PNG of this header holds; -1 for an invalid header.</summary>
    private static long PngDataLength(int w, int h, int depth, int colour, int interlace)
    {
        int samples = colour switch { 0 => 1, 2 => 3, 3 => 1, 4 => 2, 6 => 4, _ => 0 };
        bool validDepth = colour switch
        {
            0 => depth is 1 or 2 or 4 or 8 or 16,
            3 => depth is 1 or 2 or 4 or 8,
            _ => depth is 8 or 16,
        };
        if (samples == 0 || !validDepth || interlace > 1)
        {
            return -1;
        }
        long bitsPerPixel = (long)samples * depth;
        long Rows(long pw, long ph) => pw > 0 && ph > 0 ? ph * ((pw * bitsPerPixel + 7) / 8 + 1) : 0;
        if (interlace == 0)
        {
            return Rows(w, h);
        }
        // Adam7: (x start, y start, x step, y step) of the seven passes.
        ReadOnlySpan<int> passes = [0, 0, 8, 8, 4, 0, 8, 8, 0, 4, 4, 8, 2, 0, 4, 4, 0, 2, 2, 4, 1, 0, 2, 2, 0, 1, 1, 2];
        long total = 0;
        for (int p = 0; p < 28; p += 4)
        {
            long pw = w > passes[p] ? (w - passes[p] + passes[p + 2] - 1L) / passes[p + 2] : 0;
            long ph = h > passes[p + 1] ? (h - passes[p + 1] + passes[p + 3] - 1L) / passes[p + 3] : 0;
            total += Rows(pw, ph);
        }
        return total;
    }

    /// <summary>Inflates the zlib stream, counting bytes up to <paramref name="expected"/>; a damaged stream is an error.</summary>
    private static long InflatedLength(MemoryStream compressed, long expected)
    {
        compressed.Position = 0;
        var buffer = new byte[1 << 16];
        long total = 0;
        try
        {
            using var zlib = new ZLibStream(compressed, CompressionMode.Decompress);
            int n;
            while (total < expected && (n = zlib.Read(buffer, 0, (int)Math.Min(buffer.Length, expected - total))) > 0)
            {
                total += n;
            }
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"corrupt PNG: the image data is not a valid zlib stream ({e.Message})", e);
        }
        return total;
    }

    private static Findings Jpeg(byte[] d)
    {
        int pos = 2;
        bool frame = false, scan = false;
        while (true)
        {
            if (pos >= d.Length)
            {
                throw new InvalidDataException($"truncated JPEG: the file ends at byte {d.Length} without the end-of-image marker");
            }
            if (d[pos] != 0xFF)
            {
                throw new InvalidDataException($"corrupt JPEG: expected a marker at byte {pos}, found 0x{d[pos]:X2}");
            }
            while (pos < d.Length && d[pos] == 0xFF)
            {
                pos++; // fill bytes before a marker
            }
            if (pos >= d.Length)
            {
                continue;
            }
            byte marker = d[pos++];
            if (marker == 0xD9)
            {
                if (!frame || !scan)
                {
                    throw new InvalidDataException("corrupt JPEG: the end-of-image marker comes before any frame or scan");
                }
                return Plain;
            }
            if (marker is 0x01 or (>= 0xD0 and <= 0xD7))
            {
                continue;
            }
            if (pos + 2 > d.Length)
            {
                throw new InvalidDataException($"truncated JPEG: the file ends at byte {d.Length} inside the segment of marker 0x{marker:X2}");
            }
            int length = BinaryPrimitives.ReadUInt16BigEndian(d.AsSpan(pos));
            if (length < 2 || pos + length > d.Length)
            {
                throw new InvalidDataException($"truncated JPEG: the segment of marker 0x{marker:X2} at byte {pos - 2} needs {length} bytes, the file ends at {d.Length}");
            }
            frame |= marker is >= 0xC0 and <= 0xCF and not (0xC4 or 0xC8 or 0xCC);
            pos += length;
            if (marker != 0xDA)
            {
                continue;
            }
            scan = true;
            // Entropy-coded data: 0xFF is followed by 0x00 (a stuffed byte) or a restart marker inside it; any
            // other marker ends it.
            while (true)
            {
                int ff = d.AsSpan(pos).IndexOf((byte)0xFF);
                if (ff < 0 || pos + ff + 1 >= d.Length)
                {
                    throw new InvalidDataException($"truncated JPEG: the file ends at byte {d.Length} inside the image data, without the end-of-image marker");
                }
                pos += ff;
                byte next = d[pos + 1];
                if (next == 0x00 || next is >= 0xD0 and <= 0xD7)
                {
                    pos += 2;
                    continue;
                }
                if (next == 0xFF)
                {
                    pos++;
                    continue;
                }
                break;
            }
        }
    }

    private static Findings Gif(byte[] d)
    {
        const string truncated = "truncated GIF: the file ends before its trailer";
        if (d.Length < 13)
        {
            throw new InvalidDataException(truncated);
        }
        int pos = 13, frames = 0;
        if ((d[10] & 0x80) != 0)
        {
            pos += 3 << ((d[10] & 7) + 1);
        }
        while (true)
        {
            if (pos >= d.Length)
            {
                throw new InvalidDataException(truncated);
            }
            byte block = d[pos++];
            if (block == 0x3B)
            {
                return frames == 0 ? throw new InvalidDataException("corrupt GIF: no image in the file") : new Findings(frames, false, false, Array.Empty<(string, byte[])>());
            }
            if (block == 0x21)
            {
                pos++; // the extension's label
            }
            else if (block == 0x2C)
            {
                if (pos + 9 > d.Length)
                {
                    throw new InvalidDataException(truncated);
                }
                byte flags = d[pos + 8];
                pos += 9;
                if ((flags & 0x80) != 0)
                {
                    pos += 3 << ((flags & 7) + 1);
                }
                pos++; // the LZW minimum code size
                frames++;
            }
            else
            {
                throw new InvalidDataException($"corrupt GIF: unknown block 0x{block:X2} at byte {pos - 1}");
            }
            // Data sub-blocks, each a length byte and that many bytes, up to an empty one.
            while (true)
            {
                if (pos >= d.Length)
                {
                    throw new InvalidDataException(truncated);
                }
                int size = d[pos++];
                if (size == 0)
                {
                    break;
                }
                pos += size;
            }
        }
    }

    private static Findings Webp(byte[] d)
    {
        long declared = d.Length >= 8 ? BinaryPrimitives.ReadUInt32LittleEndian(d.AsSpan(4)) + 8L : long.MaxValue;
        if (declared > d.Length)
        {
            throw new InvalidDataException($"truncated WebP: the RIFF header declares {declared} bytes, the file has {d.Length}");
        }
        // The metadata chunks byte for byte: ImageSharp 2.1.13's decoder gives an XMP chunk of odd size with its
        // padding byte, and re-encodes EXIF. Chunks: FourCC, uint32 size, payload, a padding byte when the size is odd.
        var metadata = new List<(string, byte[])>();
        for (long at = 12; at + 8 <= declared;)
        {
            string type = System.Text.Encoding.ASCII.GetString(d, (int)at, 4);
            long size = BinaryPrimitives.ReadUInt32LittleEndian(d.AsSpan((int)at + 4));
            if (at + 8 + size > declared)
            {
                break;
            }
            if (type is "ICCP" or "EXIF" or "XMP " && !metadata.Exists(c => c.Item1 == type))
            {
                metadata.Add((type, d.AsSpan((int)at + 8, (int)size).ToArray()));
            }
            at += 8 + size + (size & 1);
        }
        return metadata.Count == 0 ? Plain : new Findings(1, false, false, metadata);
    }

    private static Findings Bmp(byte[] d)
    {
        if (d.Length < 30)
        {
            throw new InvalidDataException("truncated BMP: the file ends inside its headers");
        }
        long offset = BinaryPrimitives.ReadUInt32LittleEndian(d.AsSpan(10));
        int headerSize = BinaryPrimitives.ReadInt32LittleEndian(d.AsSpan(14));
        if (headerSize >= 40 && d.Length >= 34)
        {
            long w = BinaryPrimitives.ReadInt32LittleEndian(d.AsSpan(18));
            long h = Math.Abs((long)BinaryPrimitives.ReadInt32LittleEndian(d.AsSpan(22)));
            int bpp = BinaryPrimitives.ReadUInt16LittleEndian(d.AsSpan(28));
            int compression = BinaryPrimitives.ReadInt32LittleEndian(d.AsSpan(30));
            if (compression is 0 or 3 && bpp is 1 or 4 or 8 or 16 or 24 or 32 && w > 0)
            {
                long stride = (w * bpp + 31) / 32 * 4;
                if (offset + stride * h > d.Length)
                {
                    throw new InvalidDataException($"truncated BMP: {w}x{h} pixels need {offset + stride * h} bytes, the file has {d.Length}");
                }
            }
        }
        return offset > d.Length ? throw new InvalidDataException("truncated BMP: the pixel data starts beyond the end of the file") : Plain;
    }

    private static Findings Tga(byte[] d)
    {
        if (d.Length < 18)
        {
            throw new InvalidDataException("truncated TGA: the file ends inside its header");
        }
        int type = d[2], bpp = d[16];
        if (type is 1 or 2 or 3)
        {
            long colourMap = d[1] == 1 ? BinaryPrimitives.ReadUInt16LittleEndian(d.AsSpan(5)) * (long)((d[7] + 7) / 8) : 0;
            long w = BinaryPrimitives.ReadUInt16LittleEndian(d.AsSpan(12)), h = BinaryPrimitives.ReadUInt16LittleEndian(d.AsSpan(14));
            long need = 18 + d[0] + colourMap + w * h * ((bpp + 7) / 8);
            if (need > d.Length)
            {
                throw new InvalidDataException($"truncated TGA: {w}x{h} pixels need {need} bytes, the file has {d.Length}");
            }
        }
        return Plain;
    }

    /// <summary>The number of image directories of a TIFF file (its frames), following the chain with loop protection.</summary>
    private static int TiffDirectories(byte[] d)
    {
        if (d.Length < 8)
        {
            return 1;
        }
        bool little = d[0] == (byte)'I';
        uint U32(long at) => little ? BinaryPrimitives.ReadUInt32LittleEndian(d.AsSpan((int)at)) : BinaryPrimitives.ReadUInt32BigEndian(d.AsSpan((int)at));
        int U16(long at) => little ? BinaryPrimitives.ReadUInt16LittleEndian(d.AsSpan((int)at)) : BinaryPrimitives.ReadUInt16BigEndian(d.AsSpan((int)at));
        var seen = new HashSet<uint>();
        uint offset = U32(4);
        int count = 0;
        while (offset != 0 && offset + 2L <= d.Length && seen.Add(offset) && count < 100_000)
        {
            count++;
            long next = offset + 2L + 12L * U16(offset);
            if (next + 4 > d.Length)
            {
                break;
            }
            offset = U32(next);
        }
        return Math.Max(count, 1);
    }

    private static string Printable(string type) =>
        type.All(c => c is >= 'A' and <= 'Z' or >= 'a' and <= 'z') ? type : "unnamed";
}
