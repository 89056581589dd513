using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;

namespace RealtimeUpscale.Imaging.Tests;

/// <summary>
/// Writes a minimal 16-bit PNG (the StbImageWriteSharp writer cannot): IHDR, one IDAT of unfiltered
/// scanlines compressed with zlib, IEND; samples big-endian as the PNG specification requires.
/// </summary>
internal static class PngWriter16
{
    /// <summary>Encodes <paramref name="samples"/> (row-major, channels interleaved) as grey (1) or RGB (3).</summary>
    public static byte[] Encode(ushort[] samples, int width, int height, int channels)
    {
        byte colourType = channels switch
        {
            1 => 0,
            3 => 2,
            _ => throw new ArgumentOutOfRangeException(nameof(channels)),
        };
        var header = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(0), width);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4), height);
        header[8] = 16;
        header[9] = colourType;

        var raw = new MemoryStream();
        for (int y = 0; y < height; y++)
        {
            raw.WriteByte(0);
            for (int i = 0; i < width * channels; i++)
            {
                ushort v = samples[y * width * channels + i];
                raw.WriteByte((byte)(v >> 8));
                raw.WriteByte((byte)v);
            }
        }
        var compressed = new MemoryStream();
        using (var zlib = new ZLibStream(compressed, CompressionLevel.Optimal, leaveOpen: true))
        {
            raw.Position = 0;
            raw.CopyTo(zlib);
        }

        var png = new MemoryStream();
        png.Write([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]);
        WriteChunk(png, "IHDR", header);
        WriteChunk(png, "IDAT", compressed.ToArray());
        WriteChunk(png, "IEND", []);
        return png.ToArray();
    }

    private static void WriteChunk(Stream png, string type, byte[] data)
    {
        var typeBytes = Encoding.ASCII.GetBytes(type);
        Span<byte> word = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(word, data.Length);
        png.Write(word);
        png.Write(typeBytes);
        png.Write(data);
        BinaryPrimitives.WriteUInt32BigEndian(word, Crc32([.. typeBytes, .. data]));
        png.Write(word);
    }

    /// <summary>CRC-32 (ISO 3309, reflected polynomial 0xEDB88320) as PNG chunks use.</summary>
    private static uint Crc32(byte[] data)
    {
        uint crc = 0xFFFFFFFF;
        foreach (byte b in data)
        {
            crc ^= b;
            for (int k = 0; k < 8; k++)
            {
                crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB88320 : crc >> 1;
            }
        }
        return ~crc;
    }
}
