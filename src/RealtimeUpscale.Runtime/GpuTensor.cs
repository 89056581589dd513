namespace RealtimeUpscale.Runtime;

/// <summary>
/// A planar float32 tensor in a storage buffer (layout in <see cref="TensorShape"/>). A tensor made with a
/// shape owns its buffer; one made over an existing buffer (<see cref="GpuTensor(GpuBuffer, TensorShape)"/>)
/// borrows it, and the buffer must outlive the tensor. Once the buffer is destroyed (by its owner or by the
/// context) every use throws <see cref="ObjectDisposedException"/>.
/// </summary>
public sealed class GpuTensor : IDisposable
{
    private readonly bool _ownsBuffer;

    /// <summary>Allocates an uninitialised tensor.</summary>
    public GpuTensor(GpuContext context, TensorShape shape)
    {
        ArgumentNullException.ThrowIfNull(context);
        ulong limit = context.Properties.Limits.MaxStorageBufferRange;
        if (shape.ByteSize > limit)
        {
            throw new ArgumentOutOfRangeException(nameof(shape),
                $"A {shape} float tensor needs {shape.ByteSize >> 20} MiB, more than this device binds as one " +
                $"storage buffer (maxStorageBufferRange {limit >> 20} MiB); process the image in tiles.");
        }
        Shape = shape;
        Buffer = new GpuBuffer(context, shape.ByteSize);
        _ownsBuffer = true;
    }

    /// <summary>A tensor over the start of <paramref name="buffer"/>, which it does not own.</summary>
    public GpuTensor(GpuBuffer buffer, TensorShape shape)
    {
        ArgumentNullException.ThrowIfNull(buffer);
        if (shape.ByteSize > buffer.Size)
        {
            throw new ArgumentException($"A {shape} tensor needs {shape.ByteSize} bytes; the buffer has {buffer.Size}.", nameof(shape));
        }
        Shape = shape;
        Buffer = buffer;
    }

    /// <summary>Allocates a tensor and uploads <paramref name="data"/> (length must match the shape).</summary>
    public GpuTensor(GpuContext context, TensorShape shape, ReadOnlySpan<float> data) : this(context, shape)
    {
        Upload(data);
    }

    /// <summary>The shape.</summary>
    public TensorShape Shape { get; }

    /// <summary>The storage buffer holding the elements.</summary>
    public GpuBuffer Buffer { get; }

    /// <summary>Uploads all elements. The GPU must not be using the tensor meanwhile.</summary>
    public void Upload(ReadOnlySpan<float> data)
    {
        if (data.Length != Shape.ElementCount)
        {
            throw new ArgumentException($"Tensor {Shape} holds {Shape.ElementCount} values, got {data.Length}.", nameof(data));
        }
        Buffer.Write(data);
    }

    /// <summary>Downloads all elements. GPU writes must have completed.</summary>
    public float[] Download()
    {
        var data = new float[Shape.ElementCount];
        Buffer.Read<float>(data);
        return data;
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
