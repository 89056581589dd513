using System.Buffers.Binary;

namespace RealtimeUpscale.Network.Importers.Ncnn;

/// <summary>
/// Reads an ncnn .bin weight file in the order the layers ask for their blobs (ncnn's ModelBinFromDataReader).
/// A blob read with a tag (<see cref="ReadTagged"/>: the weights of convolutions and fully connected layers)
/// starts with a 4-byte little-endian tag: 0x01306B47 float16 values, 0x000D4B38 int8 values (dequantised by the
/// layer with its own scales), 0x0002C056 float32 values, 0 float32 values; any other tag is a quantisation
/// table of 256 float32 values followed by one uint8 index per value. Half-precision and byte data are padded
/// to a multiple of 4 bytes. A blob read raw (<see cref="ReadRaw"/>: biases, slopes, scales) is float32 values
/// with no tag.
/// </summary>
internal sealed class NcnnWeights
{
    private const uint TagFloat16 = 0x01306B47;
    private const uint TagInt8 = 0x000D4B38;
    private const uint TagFloat32 = 0x0002C056;

    private readonly byte[] _data;
    private int _offset;

    private NcnnWeights(string path, byte[] data)
    {
        Path = path;
        _data = data;
    }

    public string Path { get; }

    /// <summary>Bytes not read yet.</summary>
    public int Remaining => _data.Length - _offset;

    public static NcnnWeights Open(string path)
    {
        try
        {
            var info = new FileInfo(path);
            if (!info.Exists)
            {
                throw new ModelFormatException($"{path}: weight file not found (an ncnn .param needs its .bin).");
            }
            if (info.Length > int.MaxValue)
            {
                throw new ModelFormatException($"{path}: {info.Length} bytes is larger than the 2 GiB of weights supported.");
            }
            return new NcnnWeights(path, File.ReadAllBytes(path));
        }
        catch (IOException e)
        {
            throw new ModelFormatException($"{path}: cannot be read: {e.Message}", e);
        }
        catch (UnauthorizedAccessException e)
        {
            throw new ModelFormatException($"{path}: cannot be read: {e.Message}", e);
        }
    }

    /// <summary>
    /// <paramref name="count"/> values after a tag; <paramref name="int8"/> says they are raw int8 values the
    /// layer must dequantise. <paramref name="what"/> names the blob in errors.
    /// </summary>
    public float[] ReadTagged(int count, string what, out bool int8)
    {
        Check(count, 4, what);
        int start = _offset;
        uint tag = BinaryPrimitives.ReadUInt32LittleEndian(Take(4, what));
        int8 = false;
        var values = new float[count];
        switch (tag)
        {
            case TagFloat16:
            {
                var bytes = Take(Align4(2L * count), what);
                for (int i = 0; i < count; i++)
                {
                    values[i] = (float)BinaryPrimitives.ReadHalfLittleEndian(bytes.Slice(2 * i, 2));
                }
                break;
            }
            case TagInt8:
            {
                var bytes = Take(Align4(count), what);
                for (int i = 0; i < count; i++)
                {
                    values[i] = (sbyte)bytes[i];
                }
                int8 = true;
                break;
            }
            case TagFloat32:
            case 0:
                ReadFloats(values, what);
                break;
            default:
            {
                // A quantisation table: 256 float32 values, then one byte index into it per value.
                var table = new float[256];
                ReadFloats(table, what);
                var bytes = Take(Align4(count), what);
                for (int i = 0; i < count; i++)
                {
                    values[i] = table[bytes[i]];
                }
                break;
            }
        }
        CheckFinite(values, what, start);
        return values;
    }

    /// <summary><paramref name="count"/> float32 values without a tag.</summary>
    public float[] ReadRaw(int count, string what)
    {
        Check(count, 0, what);
        int start = _offset;
        var values = new float[count];
        ReadFloats(values, what);
        CheckFinite(values, what, start);
        return values;
    }

    private void ReadFloats(float[] values, string what)
    {
        var bytes = Take(4L * values.Length, what);
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = BinaryPrimitives.ReadSingleLittleEndian(bytes.Slice(4 * i, 4));
        }
    }

    private void Check(int count, int header, string what)
    {
        if (count < 0)
        {
            throw new ModelFormatException($"{Path}: {what}: a negative size {count}.");
        }
        // Every encoding needs at least one byte per value: a size beyond what is left is refused before allocating.
        if ((long)count + header > Remaining)
        {
            throw new ModelFormatException($"{Path}: {what} needs {count} values at byte {_offset}, but only {Remaining} bytes are left (truncated, or the .bin does not belong to this .param).");
        }
    }

    private static long Align4(long bytes) => (bytes + 3) / 4 * 4;

    private ReadOnlySpan<byte> Take(long bytes, string what)
    {
        if (bytes > Remaining)
        {
            throw new ModelFormatException($"{Path}: {what} needs {bytes} bytes at byte {_offset}, but only {Remaining} are left (truncated, or the .bin does not belong to this .param).");
        }
        var span = new ReadOnlySpan<byte>(_data, _offset, (int)bytes);
        _offset += (int)bytes;
        return span;
    }

    private void CheckFinite(float[] values, string what, int start)
    {
        int bad = Array.FindIndex(values, v => !float.IsFinite(v));
        if (bad >= 0)
        {
            throw new ModelFormatException($"{Path}: {what} (from byte {start}): value {bad} is {values[bad]}; weights must be finite (a wrong tag, or the wrong .bin?).");
        }
    }
}
