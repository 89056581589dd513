using RealtimeUpscale.Runtime;

namespace RealtimeUpscale.Network;

/// <summary>Channel order of depth-to-space.</summary>
public enum DepthToSpaceOrder
{
    /// <summary>Column-row-depth: input channel c * r^2 + i * r + j (PyTorch pixel_shuffle; ONNX mode "CRD").</summary>
    Crd,

    /// <summary>Depth-column-row: input channel (i * r + j) * C + c (ONNX DepthToSpace's default, "DCR").</summary>
    Dcr,
}

/// <summary>Pixel shuffle (depth to space) by an integer factor.</summary>
public sealed record PixelShuffleSpec(int Scale, DepthToSpaceOrder Order = DepthToSpaceOrder.Crd) : LayerSpec
{
    /// <inheritdoc />
    public override void Validate()
    {
        if (Scale is < 1 or > 8)
        {
            throw new ArgumentException($"PixelShuffle: scale {Scale} is outside 1 to 8.");
        }
    }

    /// <inheritdoc />
    public override TensorShape OutputShape(IReadOnlyList<TensorShape> inputs)
    {
        var input = Single(inputs, "PixelShuffle");
        int rr = Scale * Scale;
        if (input.Channels % rr != 0)
        {
            throw new ArgumentException($"PixelShuffle: {input.Channels} channels do not divide by scale^2 = {rr}.");
        }
        return new TensorShape(input.Channels / rr, input.Height * Scale, input.Width * Scale);
    }
}

/// <summary>Interpolation of an upsample.</summary>
public enum UpsampleMode
{
    /// <summary>PyTorch mode "nearest": source index floor(d * scale).</summary>
    Nearest,

    /// <summary>PyTorch mode "bilinear".</summary>
    Bilinear,

    /// <summary>PyTorch mode "bicubic" (cubic convolution, A = -0.75).</summary>
    Bicubic,
}

/// <summary>
/// Resizing as PyTorch's F.interpolate: by scale factors (output = floor(input * scale), coordinates mapped
/// with 1 / scale, or with input / output under <see cref="RecomputeScaleFactor"/>) or to a fixed output size
/// (coordinates mapped with input / output).
/// </summary>
public sealed record UpsampleSpec : LayerSpec
{
    /// <summary>Interpolation.</summary>
    public required UpsampleMode Mode { get; init; }

    /// <summary>Vertical scale factor (ignored when <see cref="OutputHeight"/> is set).</summary>
    public double ScaleY { get; init; } = 2;

    /// <summary>Horizontal scale factor (ignored when <see cref="OutputWidth"/> is set).</summary>
    public double ScaleX { get; init; } = 2;

    /// <summary>A fixed output height, or null to use <see cref="ScaleY"/>.</summary>
    public int? OutputHeight { get; init; }

    /// <summary>A fixed output width, or null to use <see cref="ScaleX"/>.</summary>
    public int? OutputWidth { get; init; }

    /// <summary>PyTorch's align_corners (bilinear and bicubic only).</summary>
    public bool AlignCorners { get; init; }

    /// <summary>
    /// With scale factors, map output to input coordinates with input / output size instead of 1 / scale
    /// (PyTorch's recompute_scale_factor=True; ncnn's Interp for bilinear and bicubic). The two differ only when
    /// input x scale is not a whole number of pixels.
    /// </summary>
    public bool RecomputeScaleFactor { get; init; }

    /// <summary>Upsampling by an integer factor.</summary>
    public static UpsampleSpec By(UpsampleMode mode, int scale, bool alignCorners = false) =>
        new() { Mode = mode, ScaleY = scale, ScaleX = scale, AlignCorners = alignCorners };

    /// <inheritdoc />
    public override void Validate()
    {
        if (!(ScaleY > 0 && ScaleX > 0 && ScaleY <= 64 && ScaleX <= 64))
        {
            throw new ArgumentException($"Upsample: scale ({ScaleY}, {ScaleX}) must be in (0, 64].");
        }
        if (OutputHeight is <= 0 || OutputWidth is <= 0)
        {
            throw new ArgumentException("Upsample: a fixed output size must be positive.");
        }
        if (AlignCorners && Mode == UpsampleMode.Nearest)
        {
            throw new ArgumentException("Upsample: align_corners applies only to bilinear and bicubic.");
        }
    }

    /// <inheritdoc />
    public override TensorShape OutputShape(IReadOnlyList<TensorShape> inputs)
    {
        var input = Single(inputs, "Upsample");
        int h = OutputHeight ?? (int)Math.Floor(input.Height * ScaleY);
        int w = OutputWidth ?? (int)Math.Floor(input.Width * ScaleX);
        if (h <= 0 || w <= 0)
        {
            throw new ArgumentException($"Upsample: input {input} at scale ({ScaleY}, {ScaleX}) gives an empty output.");
        }
        return new TensorShape(input.Channels, h, w);
    }

    /// <summary>
    /// Per axis, the integer factor P when the output is exactly P times the input and the coordinate mapping
    /// is 1 / P (so output d = q * P + r maps like r shifted by q); else 0. Never for align_corners.
    /// </summary>
    internal (int Y, int X) Periods(TensorShape input, TensorShape output)
    {
        if (AlignCorners)
        {
            return (0, 0);
        }
        var (sy, sx) = ShaderScales(input, output);
        return (Axis(input.Height, output.Height, sy), Axis(input.Width, output.Width, sx));

        static int Axis(int inSize, int outSize, float scale)
        {
            int p = outSize / inSize;
            return outSize % inSize == 0 && scale == 1f / p ? p : 0;
        }
    }

    /// <summary>Source pixels per output pixel as the shader uses it, per axis (see resample.glsl).</summary>
    internal (float Y, float X) ShaderScales(TensorShape input, TensorShape output)
    {
        return (Axis(input.Height, output.Height, ScaleY, OutputHeight is null),
                Axis(input.Width, output.Width, ScaleX, OutputWidth is null));

        float Axis(int inSize, int outSize, double scale, bool byFactor)
        {
            if (AlignCorners)
            {
                return outSize > 1 ? (float)((inSize - 1) / (double)(outSize - 1)) : 0f;
            }
            return byFactor && !RecomputeScaleFactor ? (float)(1.0 / scale) : (float)(inSize / (double)outSize);
        }
    }
}

/// <summary>Resize-convolution (Odena et al. 2016): upsample, then convolve, in one pass.</summary>
public sealed record ResizeConvSpec(UpsampleSpec Upsample, Conv2dSpec Conv) : LayerSpec
{
    /// <inheritdoc />
    public override void Validate()
    {
        Upsample.Validate();
        Conv.Validate();
    }

    /// <inheritdoc />
    public override TensorShape OutputShape(IReadOnlyList<TensorShape> inputs) =>
        Conv.OutputShape(Upsample.OutputShape(inputs), "ResizeConv");
}

/// <summary>
/// Sub-pixel convolution (ESPCN): a convolution to C * r^2 channels whose outputs are pixel-shuffled as
/// they are stored. A per-channel PReLU slope of the convolution refers to its output channel.
/// </summary>
public sealed record SubPixelConvSpec(Conv2dSpec Conv, PixelShuffleSpec Shuffle) : LayerSpec
{
    /// <inheritdoc />
    public override void Validate()
    {
        Conv.Validate();
        Shuffle.Validate();
        if (Conv.OutChannels % (Shuffle.Scale * Shuffle.Scale) != 0)
        {
            throw new ArgumentException($"SubPixelConv: {Conv.OutChannels} channels do not divide by scale^2 = {Shuffle.Scale * Shuffle.Scale}.");
        }
    }

    /// <inheritdoc />
    public override TensorShape OutputShape(IReadOnlyList<TensorShape> inputs) =>
        Shuffle.OutputShape(Conv.OutputShape(inputs));
}

/// <summary>
/// Blur before downsampling (Zhang 2019, "Making Convolutional Networks Shift-Invariant Again"): a binomial
/// low-pass of size <see cref="FilterSize"/> (the outer product of row <c>FilterSize - 1</c> of Pascal's
/// triangle with itself, normalised to sum 1), applied to every channel, evaluated every
/// <see cref="Stride"/> pixels. Padding is Zhang's: (k - 1) / 2 before and ceil((k - 1) / 2) after.
/// Filter size 1 is the naive strided subsample.
/// </summary>
public sealed record BlurPoolSpec(int Channels, int FilterSize = 3, int Stride = 2, PaddingMode PaddingMode = PaddingMode.Reflect) : LayerSpec
{
    /// <summary>The naive strided subsample, for comparison: output (y, x) = input (y * stride, x * stride).</summary>
    public static BlurPoolSpec Naive(int channels, int stride) => new(channels, 1, stride, PaddingMode.Zeros);

    /// <summary>Row <c>size - 1</c> of Pascal's triangle: [1], [1, 1], [1, 2, 1] ... [1, 6, 15, 20, 15, 6, 1].</summary>
    public static double[] Binomial(int size)
    {
        var row = new double[size];
        row[0] = 1;
        for (int n = 1; n < size; n++)
        {
            for (int k = n; k > 0; k--)
            {
                row[k] += row[k - 1];
            }
        }
        return row;
    }

    /// <inheritdoc />
    public override void Validate()
    {
        if (Channels <= 0)
        {
            throw new ArgumentException($"BlurPool: channels must be positive, got {Channels}.");
        }
        if (FilterSize is < 1 or > 7)
        {
            throw new ArgumentException($"BlurPool: filter size {FilterSize} is outside 1 to 7.");
        }
        if (Stride < 1)
        {
            throw new ArgumentException($"BlurPool: stride must be positive, got {Stride}.");
        }
    }

    /// <summary>The equivalent depthwise convolution.</summary>
    public Conv2dSpec ToConv2d()
    {
        Validate();
        var b = Binomial(FilterSize);
        double sum = b.Sum();
        int k = FilterSize;
        var kernel = new float[k * k];
        for (int y = 0; y < k; y++)
        {
            for (int x = 0; x < k; x++)
            {
                kernel[y * k + x] = (float)(b[y] * b[x] / (sum * sum));
            }
        }
        var weights = new float[Channels * k * k];
        for (int c = 0; c < Channels; c++)
        {
            kernel.CopyTo(weights, c * k * k);
        }
        int before = (k - 1) / 2, after = k / 2; // k / 2 == ceil((k - 1) / 2)
        return new Conv2dSpec
        {
            InChannels = Channels, OutChannels = Channels, KernelH = k, KernelW = k, Weights = weights,
            StrideY = Stride, StrideX = Stride, Groups = Channels,
            Padding = new Padding(before, before, after, after), PaddingMode = PaddingMode,
        };
    }

    /// <inheritdoc />
    public override TensorShape OutputShape(IReadOnlyList<TensorShape> inputs) =>
        ToConv2d().OutputShape(Single(inputs, "BlurPool"), "BlurPool");
}

