using System.Buffers.Binary;

namespace RealtimeUpscale.Tests.Ncnn;

/// <summary>Writes small ncnn .param / .bin pairs for tests into a temporary folder, removed on dispose.</summary>
public sealed class NcnnFiles : IDisposable
{
    public const uint TagFloat16 = 0x01306B47;

    private readonly string _dir = Directory.CreateTempSubdirectory("rtup-ncnn-").FullName;

    /// <summary>Writes NAME.param (the magic, the given counts or the counted ones, the lines) and NAME.bin.</summary>
    public string Write(string name, IReadOnlyList<string> layers, byte[] weights, int? layerCount = null, int? blobCount = null)
    {
        int blobs = blobCount ?? layers.Sum(l => int.Parse(l.Split(' ', StringSplitOptions.RemoveEmptyEntries)[3], System.Globalization.CultureInfo.InvariantCulture));
        string param = Path.Combine(_dir, name + ".param");
        File.WriteAllLines(param, new[] { "7767517", $"{layerCount ?? layers.Count} {blobs}" }.Concat(layers));
        File.WriteAllBytes(Path.Combine(_dir, name + ".bin"), weights);
        return param;
    }

    /// <summary>A tagged float16 blob, padded to 4 bytes.</summary>
    public static byte[] Half(IEnumerable<float> values, uint tag = TagFloat16)
    {
        var v = values.ToArray();
        var bytes = new byte[4 + (2 * v.Length + 3) / 4 * 4];
        BinaryPrimitives.WriteUInt32LittleEndian(bytes, tag);
        for (int i = 0; i < v.Length; i++)
        {
            BinaryPrimitives.WriteHalfLittleEndian(bytes.AsSpan(4 + 2 * i), (Half)v[i]);
        }
        return bytes;
    }

    /// <summary>Raw float32 values (tag 0 first when <paramref name="tagged"/>).</summary>
    public static byte[] Floats(IEnumerable<float> values, bool tagged = false)
    {
        var v = values.ToArray();
        int head = tagged ? 4 : 0;
        var bytes = new byte[head + 4 * v.Length];
        for (int i = 0; i < v.Length; i++)
        {
            BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(head + 4 * i), v[i]);
        }
        return bytes;
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
