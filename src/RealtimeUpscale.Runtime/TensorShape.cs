namespace RealtimeUpscale.Runtime;

/// <summary>
/// The shape of one planar image tensor (float32 or float16 elements, <see cref="TensorPrecision"/>): <see cref="Channels"/> planes of
/// <see cref="Height"/> x <see cref="Width"/>, batch 1. Element (c, y, x) lives at index
/// <c>(c * Height + y) * Width + x</c> (NCHW with N = 1, as PyTorch and ONNX store it).
/// </summary>
public readonly record struct TensorShape
{
    /// <summary>Creates a shape; every dimension must be positive.</summary>
    public TensorShape(int channels, int height, int width)
    {
        if (channels <= 0 || height <= 0 || width <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(channels),
                $"Tensor dimensions must be positive, got {channels}x{height}x{width}.");
        }
        Channels = channels;
        Height = height;
        Width = width;
    }

    /// <summary>Number of channel planes.</summary>
    public int Channels { get; }

    /// <summary>Rows per plane.</summary>
    public int Height { get; }

    /// <summary>Columns per plane.</summary>
    public int Width { get; }

    /// <summary>Elements in all planes.</summary>
    public long ElementCount => (long)Channels * Height * Width;

    /// <summary>Bytes as float32.</summary>
    public ulong ByteSize => (ulong)ElementCount * sizeof(float);

    /// <summary>Bytes stored at <paramref name="precision"/>.</summary>
    public ulong BytesAt(TensorPrecision precision) => (ulong)ElementCount * (ulong)precision.ElementBytes();

    /// <inheritdoc />
    public override string ToString() => $"{Channels}x{Height}x{Width}";
}
