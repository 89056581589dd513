namespace RealtimeUpscale.Imaging;

/// <summary>The CRC-32 of PNG chunks (ISO 3309, the reflected polynomial 0xEDB88320), byte by byte from a table.</summary>
internal static class Crc32
{
    private static readonly uint[] Table = MakeTable();

    /// <summary>The CRC of <paramref name="data"/>.</summary>
    public static uint Compute(ReadOnlySpan<byte> data) => Finish(Update(Start, data));

    /// <summary>The register before any byte.</summary>
    public const uint Start = 0xFFFFFFFFu;

    /// <summary>Feeds <paramref name="data"/> into a running register (begun at <see cref="Start"/>).</summary>
    public static uint Update(uint register, ReadOnlySpan<byte> data)
    {
        foreach (byte b in data)
        {
            register = Table[(register ^ b) & 0xFF] ^ (register >> 8);
        }
        return register;
    }

    /// <summary>The CRC of everything fed into <paramref name="register"/>.</summary>
    public static uint Finish(uint register) => register ^ 0xFFFFFFFFu;

    private static uint[] MakeTable()
    {
        var table = new uint[256];
        for (uint n = 0; n < 256; n++)
        {
            uint c = n;
            for (int k = 0; k < 8; k++)
            {
                c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            }
            table[n] = c;
        }
        return table;
    }
}
