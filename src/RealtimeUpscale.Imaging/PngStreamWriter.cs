using System.Buffers.Binary;
using System.IO.Compression;

namespace RealtimeUpscale.Imaging;

/// <summary>
/// Writes an 8- or 16-bit PNG row by row, so an image never has to be in memory whole (outputs larger than one
/// .NET array, 2 GB). Grey, grey + alpha, RGB or RGBA; ancillary chunks (colour, text, EXIF) from a
/// <see cref="CarriedMetadata"/> go before the image data. Each row gets the PNG filter (none, sub, up, average
/// or Paeth) with the smallest sum of absolute values, the usual heuristic; the filtered rows are deflated
/// with <see cref="ZLibStream"/> into 64 KiB IDAT chunks.
/// </summary>
public sealed class PngStreamWriter : IDisposable
{
    private const int ChunkSize = 1 << 16;
    private readonly Stream _stream;
    private readonly ZLibStream _zlib;
    private readonly ChunkStream _idat;
    private readonly int _rowBytes, _bpp;
    private byte[] _previous, _current;
    private readonly byte[][] _candidates;
    private int _rowsWritten;
    private bool _finished;

    /// <summary>
    /// Starts a PNG of <paramref name="width"/> x <paramref name="height"/> with 1 to 4 channels of
    /// <paramref name="bitsPerChannel"/> (8 or 16) on <paramref name="stream"/> (left open), with the ancillary chunks
    /// of <paramref name="metadata"/>. Rows of a 16-bit PNG are given as big-endian sample pairs, as PNG stores them.
    /// </summary>
    public PngStreamWriter(Stream stream, int width, int height, int channels, CompressionLevel level = CompressionLevel.Fastest,
        int bitsPerChannel = 8, CarriedMetadata? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(stream);
        if (width <= 0 || height <= 0 || channels is < 1 or > 4 || bitsPerChannel is not (8 or 16))
        {
            throw new ArgumentException($"A PNG needs a positive size, 1 to 4 channels and 8 or 16 bits, got {width}x{height}x{channels}, {bitsPerChannel} bits.");
        }
        _stream = stream;
        Width = width;
        Height = height;
        _bpp = channels * bitsPerChannel / 8;
        _rowBytes = checked(width * _bpp);
        _previous = new byte[_rowBytes];
        _current = new byte[_rowBytes];
        _candidates = new byte[5][];
        for (int i = 0; i < 5; i++)
        {
            _candidates[i] = new byte[_rowBytes + 1];
        }
        stream.Write(new byte[] { 137, 80, 78, 71, 13, 10, 26, 10 });
        var header = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(header, width);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4), height);
        header[8] = (byte)bitsPerChannel;
        header[9] = channels switch { 1 => 0, 2 => 4, 3 => 2, _ => 6 }; // grey, grey + alpha, RGB, RGBA
        WriteChunk(stream, "IHDR", header);
        foreach (var (type, data) in Ancillary(metadata ?? CarriedMetadata.Empty))
        {
            WriteChunk(stream, type, data);
        }
        _idat = new ChunkStream(stream);
        _zlib = new ZLibStream(_idat, level, leaveOpen: true);
    }

    /// <summary>Image width in pixels.</summary>
    public int Width { get; }

    /// <summary>Image height in pixels.</summary>
    public int Height { get; }

    /// <summary>Appends whole rows (a multiple of width x channels bytes), top to bottom.</summary>
    public void WriteRows(ReadOnlySpan<byte> rows)
    {
        ObjectDisposedException.ThrowIf(_finished, this);
        if (rows.Length % _rowBytes != 0 || _rowsWritten + rows.Length / _rowBytes > Height)
        {
            throw new ArgumentException($"Rows of a {Width}-pixel PNG are {_rowBytes} bytes; got {rows.Length} bytes with {_rowsWritten} of {Height} rows written.");
        }
        for (int offset = 0; offset < rows.Length; offset += _rowBytes)
        {
            rows.Slice(offset, _rowBytes).CopyTo(_current);
            var best = Filter();
            _zlib.Write(best);
            (_previous, _current) = (_current, _previous);
            _rowsWritten++;
        }
    }

    /// <summary>Ends the image data and writes the end chunk; every row must have been written.</summary>
    public void Finish()
    {
        if (_finished)
        {
            return;
        }
        if (_rowsWritten != Height)
        {
            throw new InvalidOperationException($"The PNG has {Height} rows; {_rowsWritten} were written.");
        }
        _finished = true;
        _zlib.Dispose();
        _idat.Flush();
        WriteChunk(_stream, "IEND", ReadOnlySpan<byte>.Empty);
    }

    /// <summary>Releases the compressor; an unfinished image is left incomplete.</summary>
    public void Dispose()
    {
        if (!_finished)
        {
            _finished = true;
            _zlib.Dispose();
        }
    }

    /// <summary>The filtered row (filter byte first) with the smallest sum of absolute signed values.</summary>
    private byte[] Filter()
    {
        byte[] row = _current, up = _previous;
        int n = _rowBytes, bpp = _bpp;
        // One pass computes all four predicting filters; the costs are summed after. This runs over every
        // byte of the image, so nothing is decided per byte.
        for (int f = 0; f < 5; f++)
        {
            _candidates[f][0] = (byte)f;
        }
        Span<byte> none = _candidates[0].AsSpan(1), sub = _candidates[1].AsSpan(1), upF = _candidates[2].AsSpan(1),
            average = _candidates[3].AsSpan(1), paeth = _candidates[4].AsSpan(1);
        row.CopyTo(none);
        for (int i = 0; i < n; i++)
        {
            int a = i >= bpp ? row[i - bpp] : 0, b = up[i], c = i >= bpp ? up[i - bpp] : 0;
            sub[i] = (byte)(row[i] - a);
            upF[i] = (byte)(row[i] - b);
            average[i] = (byte)(row[i] - ((a + b) >> 1));
            paeth[i] = (byte)(row[i] - Paeth(a, b, c));
        }
        long bestSum = long.MaxValue;
        byte[] best = _candidates[0];
        for (int f = 0; f < 5; f++)
        {
            long sum = 0;
            foreach (byte v in _candidates[f].AsSpan(1))
            {
                sum += v < 128 ? v : 256 - v;
            }
            if (sum < bestSum)
            {
                bestSum = sum;
                best = _candidates[f];
            }
        }
        return best;
    }

    private static int Paeth(int a, int b, int c)
    {
        int p = a + b - c, pa = Math.Abs(p - a), pb = Math.Abs(p - b), pc = Math.Abs(p - c);
        return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
    }

    /// <summary>The chunks that carry <paramref name="m"/>: iCCP (or sRGB when there is no profile), gAMA, cHRM, pHYs, eXIf, XMP as iTXt, text.</summary>
    private static IEnumerable<(string Type, byte[] Data)> Ancillary(CarriedMetadata m)
    {
        if (m.Icc is { } icc)
        {
            var compressed = new MemoryStream();
            compressed.Write("ICC profile\0\0"u8);
            using (var z = new ZLibStream(compressed, CompressionLevel.Optimal, leaveOpen: true))
            {
                z.Write(icc);
            }
            yield return ("iCCP", compressed.ToArray());
        }
        else if (m.SrgbIntent is { } intent)
        {
            // PNG allows iCCP or sRGB, not both.
            yield return ("sRGB", [intent]);
        }
        if (m.Gamma is { } gamma)
        {
            var g = new byte[4];
            BinaryPrimitives.WriteUInt32BigEndian(g, gamma);
            yield return ("gAMA", g);
        }
        if (m.Chromaticities is { Length: 32 } chrm)
        {
            yield return ("cHRM", chrm);
        }
        if (m.PixelsPerMetre() is { } ppm)
        {
            var p = new byte[9];
            BinaryPrimitives.WriteUInt32BigEndian(p, ppm.X);
            BinaryPrimitives.WriteUInt32BigEndian(p.AsSpan(4), ppm.Y);
            p[8] = 1;
            yield return ("pHYs", p);
        }
        else if (m.Unit == ResolutionUnit.AspectRatio && m.ResolutionX is { } ax && m.ResolutionY is { } ay && ax is >= 1 and <= uint.MaxValue && ay is >= 1 and <= uint.MaxValue)
        {
            var p = new byte[9];
            BinaryPrimitives.WriteUInt32BigEndian(p, (uint)ax);
            BinaryPrimitives.WriteUInt32BigEndian(p.AsSpan(4), (uint)ay);
            yield return ("pHYs", p);
        }
        if (m.Exif is { } exif)
        {
            yield return ("eXIf", exif);
        }
        if (m.Xmp is { } xmp)
        {
            yield return ("iTXt", [.. "XML:com.adobe.xmp\0\0\0\0\0"u8, .. xmp]);
        }
        foreach (var text in m.PngText)
        {
            yield return text;
        }
    }

    private static void WriteChunk(Stream stream, string type, ReadOnlySpan<byte> data)
    {
        Span<byte> head = stackalloc byte[8];
        BinaryPrimitives.WriteInt32BigEndian(head, data.Length);
        for (int i = 0; i < 4; i++)
        {
            head[4 + i] = (byte)type[i];
        }
        stream.Write(head);
        stream.Write(data);
        uint crc = Crc32.Finish(Crc32.Update(Crc32.Update(Crc32.Start, head[4..]), data));
        Span<byte> tail = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(tail, crc);
        stream.Write(tail);
    }

    /// <summary>Collects the deflated bytes and writes them as IDAT chunks of up to 64 KiB.</summary>
    private sealed class ChunkStream : Stream
    {
        private readonly Stream _target;
        private readonly byte[] _buffer = new byte[ChunkSize];
        private int _used;

        public ChunkStream(Stream target) => _target = target;

        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override void Write(ReadOnlySpan<byte> data)
        {
            while (data.Length > 0)
            {
                int n = Math.Min(data.Length, ChunkSize - _used);
                data[..n].CopyTo(_buffer.AsSpan(_used));
                _used += n;
                data = data[n..];
                if (_used == ChunkSize)
                {
                    Flush();
                }
            }
        }

        public override void Flush()
        {
            if (_used > 0)
            {
                WriteChunk(_target, "IDAT", _buffer.AsSpan(0, _used));
                _used = 0;
            }
        }

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
