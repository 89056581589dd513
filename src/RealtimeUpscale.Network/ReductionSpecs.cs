using RealtimeUpscale.Runtime;

namespace RealtimeUpscale.Network;

/// <summary>What a pooling window computes.</summary>
public enum PoolMode
{
    /// <summary>The largest value of the window.</summary>
    Max,

    /// <summary>The mean of the window.</summary>
    Average,
}

/// <summary>A rectangle of a tensor's planes: rows [Top, Top + Height), columns [Left, Left + Width).</summary>
public readonly record struct PlaneRegion(int Top, int Left, int Height, int Width)
{
    /// <summary>Positions in the region.</summary>
    public long Count => (long)Height * Width;
}

/// <summary>
/// Pooling of every channel: over the whole H x W plane (<see cref="Global"/>, output C x 1 x 1: the "squeeze"
/// of a squeeze-excitation block), or a <see cref="Region"/> of it, or over KernelH x KernelW windows every Stride pixels, with padding that
/// reads nothing (max ignores it; average divides by the count of real pixels unless
/// <see cref="CountIncludePad"/>, when it divides by the window's size, the padding counting as zeros).
/// Output size floor((in + pads - kernel) / stride) + 1, as PyTorch's pooling without ceil_mode.
/// </summary>
public sealed record Pool2dSpec : LayerSpec
{
    /// <summary>Max or average.</summary>
    public required PoolMode Mode { get; init; }

    /// <summary>Pool the whole plane to one value per channel; the window fields are then ignored.</summary>
    public bool Global { get; init; }

    /// <summary>
    /// With <see cref="Global"/>: pool only this rectangle of each plane (a tile's share of a whole image's
    /// statistics); null pools the whole plane.
    /// </summary>
    public PlaneRegion? Region { get; init; }

    /// <summary>Window height.</summary>
    public int KernelH { get; init; } = 1;

    /// <summary>Window width.</summary>
    public int KernelW { get; init; } = 1;

    /// <summary>Vertical stride.</summary>
    public int StrideY { get; init; } = 1;

    /// <summary>Horizontal stride.</summary>
    public int StrideX { get; init; } = 1;

    /// <summary>Padding on each side (smaller than the window).</summary>
    public Padding Padding { get; init; }

    /// <summary>Average pooling divides by KernelH x KernelW, padding included, instead of by the real pixels.</summary>
    public bool CountIncludePad { get; init; }

    /// <summary>
    /// Pads the bottom and right further, by what the last window lacks to end on the padded input's last pixel, so
    /// that the windows cover the whole input (ncnn's pad mode 0, "full padding"): the output size rounds up, and,
    /// unlike PyTorch's ceil_mode, a last window that starts in the right or bottom padding is kept (as ncnn keeps
    /// it). The extra padding is read like the explicit padding: skipped by a maximum, and by an average that does
    /// not count the padding.
    /// </summary>
    public bool FullPadding { get; init; }

    /// <summary>Global average pooling (the squeeze of squeeze-excitation).</summary>
    public static Pool2dSpec GlobalAverage { get; } = new() { Mode = PoolMode.Average, Global = true };

    /// <inheritdoc />
    public override void Validate()
    {
        if (!Enum.IsDefined(Mode))
        {
            throw new ArgumentException($"Pool2d: mode {Mode} is not max or average.");
        }
        if (Global)
        {
            if (Region is { } r && (r.Top < 0 || r.Left < 0 || r.Height <= 0 || r.Width <= 0))
            {
                throw new ArgumentException($"Pool2d: region {r} must be non-empty and start at a non-negative position.");
            }
            return;
        }
        if (Region is not null)
        {
            throw new ArgumentException("Pool2d: a region is for global pooling only.");
        }
        Positive(KernelH, "kernel height", "Pool2d");
        Positive(KernelW, "kernel width", "Pool2d");
        Positive(StrideY, "stride", "Pool2d");
        Positive(StrideX, "stride", "Pool2d");
        Padding.Validate("Pool2d");
        if (KernelH > 64 || KernelW > 64)
        {
            throw new ArgumentException($"Pool2d: window {KernelH}x{KernelW} is larger than the supported 64x64.");
        }
        if (Math.Max(Padding.Top, Padding.Bottom) >= KernelH || Math.Max(Padding.Left, Padding.Right) >= KernelW)
        {
            throw new ArgumentException($"Pool2d: padding {Padding} must be smaller than the {KernelH}x{KernelW} window.");
        }
    }

    /// <inheritdoc />
    public override TensorShape OutputShape(IReadOnlyList<TensorShape> inputs)
    {
        var input = Single(inputs, "Pool2d");
        if (Global)
        {
            if (Region is { } r && (r.Top + r.Height > input.Height || r.Left + r.Width > input.Width))
            {
                throw new ArgumentException($"Pool2d: region {r} does not fit input {input}.");
            }
            return new TensorShape(input.Channels, 1, 1);
        }
        int ph = input.Height + Padding.Top + Padding.Bottom, pw = input.Width + Padding.Left + Padding.Right;
        if (ph < KernelH || pw < KernelW)
        {
            throw new ArgumentException($"Pool2d: input {input} with padding {Padding} is smaller than the {KernelH}x{KernelW} window.");
        }
        int round = FullPadding ? 1 : 0;
        return new TensorShape(input.Channels, (ph - KernelH + round * (StrideY - 1)) / StrideY + 1,
            (pw - KernelW + round * (StrideX - 1)) / StrideX + 1);
    }
}

/// <summary>
/// A fully connected layer (ncnn's InnerProduct, PyTorch's Linear on the flattened input): out[o] =
/// act(sum_i Weights[o * InFeatures + i] * in[i] + Bias[o]), the input flattened in (c, y, x) order; the output
/// is OutFeatures x 1 x 1. The "excitation" of a squeeze-excitation block is two of these.
/// </summary>
public sealed record FullyConnectedSpec : LayerSpec
{
    /// <summary>Input values (channels x height x width of the input).</summary>
    public required int InFeatures { get; init; }

    /// <summary>Output values.</summary>
    public required int OutFeatures { get; init; }

    /// <summary>Weights <c>[OutFeatures][InFeatures]</c>, row-major.</summary>
    public required float[] Weights { get; init; }

    /// <summary>One bias per output, or null.</summary>
    public float[]? Bias { get; init; }

    /// <summary>The activation applied to each output.</summary>
    public Activation Activation { get; init; } = Activation.None;

    /// <inheritdoc />
    public override void Validate()
    {
        const string L = "FullyConnected";
        Positive(InFeatures, "in features", L);
        Positive(OutFeatures, "out features", L);
        if (Weights is null || Weights.Length != (long)InFeatures * OutFeatures)
        {
            throw new ArgumentException($"{L}: weights hold {Weights?.Length ?? 0} values; [{OutFeatures}][{InFeatures}] needs {(long)InFeatures * OutFeatures}.");
        }
        CheckFinite(Weights, "weights", L);
        if (Bias is not null)
        {
            if (Bias.Length != OutFeatures)
            {
                throw new ArgumentException($"{L}: bias holds {Bias.Length} values for {OutFeatures} outputs.");
            }
            CheckFinite(Bias, "bias", L);
        }
        Activation.Validate(OutFeatures, L);
    }

    /// <inheritdoc />
    public override TensorShape OutputShape(IReadOnlyList<TensorShape> inputs)
    {
        var input = Single(inputs, "FullyConnected");
        if (input.ElementCount != InFeatures)
        {
            throw new ArgumentException($"FullyConnected: expects {InFeatures} input values, got {input} ({input.ElementCount}).");
        }
        return new TensorShape(OutFeatures, 1, 1);
    }
}

/// <summary>
/// Crop to the size of a second tensor (ncnn's Crop with a reference blob, as U-Nets align a skip connection
/// with the upsampled path): out (c, y, x) = a (ChannelStart + c, Top + y, Left + x), of b's shape.
/// </summary>
public sealed record CropToSpec(int Top, int Left, int ChannelStart = 0) : LayerSpec
{
    /// <inheritdoc />
    public override int InputCount => 2;

    /// <inheritdoc />
    public override void Validate()
    {
        if (Top < 0 || Left < 0 || ChannelStart < 0)
        {
            throw new ArgumentException($"CropTo: offsets must be non-negative, got {this}.");
        }
    }

    /// <inheritdoc />
    public override TensorShape OutputShape(IReadOnlyList<TensorShape> inputs)
    {
        if (inputs.Count != 2)
        {
            throw new ArgumentException($"CropTo takes the tensor and its reference, got {inputs.Count} inputs.");
        }
        var (a, b) = (inputs[0], inputs[1]);
        if (ChannelStart + b.Channels > a.Channels || Top + b.Height > a.Height || Left + b.Width > a.Width)
        {
            throw new ArgumentException($"CropTo: {b} at ({ChannelStart}, {Top}, {Left}) does not fit in {a}.");
        }
        return b;
    }
}
