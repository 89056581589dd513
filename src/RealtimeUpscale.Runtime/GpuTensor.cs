namespace RealtimeUpscale.Runtime;

/// <summary>
/// A planar tensor in a storage buffer (layout in <see cref="TensorShape"/>), its elements float32 or float16
/// (<see cref="Precision"/>; uploads and downloads convert, so callers always see float32). A tensor made with a
/// shape owns its buffer; one made over an existing buffer (<see cref="GpuTensor(GpuBuffer, TensorShape, TensorPrecision)"/>)
/// borrows it, and the buffer must outlive the tensor. Once the buffer is destroyed (by its owner or by the
/// context) every use throws <see cref="ObjectDisposedException"/>.
/// </summary>
public sealed class GpuTensor : IDisposable
{
    /// <summary>Float16 values converted per access to mapped memory on upload and download (8 KiB on the stack).</summary>
    private const int ConversionChunk = 4096;

    private readonly bool _ownsBuffer;

    /// <summary>
    /// Allocates an uninitialised tensor. Float16 needs a context with <see cref="GpuContext.HalfStorage"/>.
    /// </summary>
    public GpuTensor(GpuContext context, TensorShape shape, TensorPrecision precision = TensorPrecision.Float32)
    {
        ArgumentNullException.ThrowIfNull(context);
        ThrowIfUnsupported(context, precision);
        ulong limit = context.Properties.Limits.MaxStorageBufferRange;
        ulong bytes = shape.BytesAt(precision);
        if (bytes > limit)
        {
            throw new ArgumentOutOfRangeException(nameof(shape),
                $"A {shape} {precision.ShortName()} tensor needs {bytes >> 20} MiB, more than this device binds as one " +
                $"storage buffer (maxStorageBufferRange {limit >> 20} MiB); process the image in tiles.");
        }
        Shape = shape;
        Precision = precision;
        Buffer = new GpuBuffer(context, bytes);
        _ownsBuffer = true;
    }

    /// <summary>A tensor over the start of <paramref name="buffer"/>, which it does not own.</summary>
    public GpuTensor(GpuBuffer buffer, TensorShape shape, TensorPrecision precision = TensorPrecision.Float32)
    {
        ArgumentNullException.ThrowIfNull(buffer);
        ThrowIfUnsupported(buffer.Context, precision);
        ulong bytes = shape.BytesAt(precision);
        if (bytes > buffer.Size)
        {
            throw new ArgumentException($"A {shape} {precision.ShortName()} tensor needs {bytes} bytes; the buffer has {buffer.Size}.", nameof(shape));
        }
        Shape = shape;
        Precision = precision;
        Buffer = buffer;
    }

    /// <summary>Allocates a tensor and uploads <paramref name="data"/> (length must match the shape).</summary>
    public GpuTensor(GpuContext context, TensorShape shape, ReadOnlySpan<float> data, TensorPrecision precision = TensorPrecision.Float32)
        : this(context, shape, precision)
    {
        Upload(data);
    }

    /// <summary>The shape.</summary>
    public TensorShape Shape { get; }

    /// <summary>How the elements are stored.</summary>
    public TensorPrecision Precision { get; }

    /// <summary>Bytes the elements take in <see cref="Buffer"/>.</summary>
    public ulong ByteSize => Shape.BytesAt(Precision);

    /// <summary>The storage buffer holding the elements.</summary>
    public GpuBuffer Buffer { get; }

    /// <summary>
    /// Uploads all elements (a float16 tensor stores each rounded to the nearest float16). The GPU must not be
    /// using the tensor meanwhile.
    /// </summary>
    public void Upload(ReadOnlySpan<float> data)
    {
        if (data.Length != Shape.ElementCount)
        {
            throw new ArgumentException($"Tensor {Shape} holds {Shape.ElementCount} values, got {data.Length}.", nameof(data));
        }
        if (Precision == TensorPrecision.Float32)
        {
            Buffer.Write(data);
            return;
        }
        if (!Buffer.IsMapped)
        {
            // One staging copy for the whole tensor.
            var all = new Half[data.Length];
            for (int i = 0; i < data.Length; i++)
            {
                all[i] = (Half)data[i];
            }
            Buffer.Write<Half>(all);
            return;
        }
        // Mapped memory: in chunks through a small buffer on the stack, no tensor-sized array.
        Span<Half> chunk = stackalloc Half[ConversionChunk];
        for (int start = 0; start < data.Length; start += ConversionChunk)
        {
            int n = Math.Min(ConversionChunk, data.Length - start);
            for (int i = 0; i < n; i++)
            {
                chunk[i] = (Half)data[start + i];
            }
            Buffer.Write<Half>(chunk[..n], (ulong)start * sizeof(ushort));
        }
    }

    /// <summary>Downloads all elements as float32. GPU writes must have completed.</summary>
    public float[] Download()
    {
        var data = new float[Shape.ElementCount];
        Download(data);
        return data;
    }

    /// <summary>
    /// Downloads all elements as float32 into <paramref name="destination"/> (its length must match the shape). GPU
    /// writes must have completed.
    /// </summary>
    public void Download(Span<float> destination)
    {
        if (destination.Length != Shape.ElementCount)
        {
            throw new ArgumentException($"Tensor {Shape} holds {Shape.ElementCount} values; the destination has {destination.Length}.", nameof(destination));
        }
        if (Precision == TensorPrecision.Float32)
        {
            Buffer.Read(destination);
            return;
        }
        if (!Buffer.IsMapped)
        {
            var all = new Half[destination.Length];
            Buffer.Read<Half>(all);
            for (int i = 0; i < all.Length; i++)
            {
                destination[i] = (float)all[i];
            }
            return;
        }
        Span<Half> chunk = stackalloc Half[ConversionChunk];
        for (int start = 0; start < destination.Length; start += ConversionChunk)
        {
            int n = Math.Min(ConversionChunk, destination.Length - start);
            Buffer.Read(chunk[..n], (ulong)start * sizeof(ushort));
            for (int i = 0; i < n; i++)
            {
                destination[start + i] = (float)chunk[i];
            }
        }
    }

    private static void ThrowIfUnsupported(GpuContext context, TensorPrecision precision)
    {
        precision.ElementBytes(); // rejects values outside the enum
        if (precision == TensorPrecision.Float16 && !context.HalfStorage)
        {
            throw new NotSupportedException(
                $"Float16 tensors need storageBuffer16BitAccess, which is not enabled on {context.DeviceName}; use float32.");
        }
    }

    /// <summary>Releases the buffer if the tensor owns it.</summary>
    public void Dispose()
    {
        if (_ownsBuffer)
        {
            Buffer.Dispose();
        }
    }
}
