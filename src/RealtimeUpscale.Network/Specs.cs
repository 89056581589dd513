using RealtimeUpscale.Runtime;

namespace RealtimeUpscale.Network;

/// <summary>How a convolution reads outside its input.</summary>
public enum PaddingMode
{
    /// <summary>Zeros (PyTorch padding_mode="zeros", ONNX Pad mode "constant" with 0).</summary>
    Zeros,

    /// <summary>Repeat the edge pixel (PyTorch "replicate", ONNX "edge").</summary>
    Replicate,

    /// <summary>Mirror without repeating the edge: -1 reads 1 (PyTorch "reflect", ONNX "reflect").</summary>
    Reflect,
}

/// <summary>Padding in pixels on each side; all non-negative.</summary>
public readonly record struct Padding(int Top, int Left, int Bottom, int Right)
{
    /// <summary>The same padding on every side.</summary>
    public static Padding All(int p) => new(p, p, p, p);

    internal void Validate(string what)
    {
        if (Top < 0 || Left < 0 || Bottom < 0 || Right < 0)
        {
            throw new ArgumentException($"{what}: padding must be non-negative, got {this}.");
        }
    }
}

/// <summary>Base of every typed layer description. Specs are immutable data, validated once.</summary>
public abstract record LayerSpec
{
    /// <summary>Throws <see cref="ArgumentException"/> naming the first inconsistency found.</summary>
    public abstract void Validate();

    /// <summary>Number of input tensors.</summary>
    public virtual int InputCount => 1;

    /// <summary>The output shape for the given input shapes; throws when they do not fit.</summary>
    public abstract TensorShape OutputShape(IReadOnlyList<TensorShape> inputs);

    /// <summary>Output shape for a single input.</summary>
    public TensorShape OutputShape(TensorShape input) => OutputShape(new[] { input });

    private protected static void Positive(int value, string name, string layer)
    {
        if (value <= 0)
        {
            throw new ArgumentException($"{layer}: {name} must be positive, got {value}.");
        }
    }

    private protected static void CheckFinite(float[] values, string name, string layer)
    {
        for (int i = 0; i < values.Length; i++)
        {
            if (!float.IsFinite(values[i]))
            {
                throw new ArgumentException($"{layer}: {name}[{i}] is {values[i]}; weights must be finite.");
            }
        }
    }

    private protected static TensorShape Single(IReadOnlyList<TensorShape> inputs, string layer)
    {
        if (inputs.Count != 1)
        {
            throw new ArgumentException($"{layer} takes one input, got {inputs.Count}.");
        }
        return inputs[0];
    }
}

/// <summary>2D convolution (cross-correlation) with bias and a fused activation, as PyTorch's Conv2d.</summary>
public sealed record Conv2dSpec : LayerSpec
{
    /// <summary>Input channels.</summary>
    public required int InChannels { get; init; }

    /// <summary>Output channels.</summary>
    public required int OutChannels { get; init; }

    /// <summary>Kernel height (1 to 9).</summary>
    public required int KernelH { get; init; }

    /// <summary>Kernel width (1 to 9).</summary>
    public required int KernelW { get; init; }

    /// <summary>Weights, <c>[OutChannels][InChannels / Groups][KernelH][KernelW]</c>, row-major.</summary>
    public required float[] Weights { get; init; }

    /// <summary>One bias per output channel, or null for none.</summary>
    public float[]? Bias { get; init; }

    /// <summary>Vertical stride.</summary>
    public int StrideY { get; init; } = 1;

    /// <summary>Horizontal stride.</summary>
    public int StrideX { get; init; } = 1;

    /// <summary>Vertical dilation.</summary>
    public int DilationY { get; init; } = 1;

    /// <summary>Horizontal dilation.</summary>
    public int DilationX { get; init; } = 1;

    /// <summary>Padding on each side.</summary>
    public Padding Padding { get; init; }

    /// <summary>What padding reads.</summary>
    public PaddingMode PaddingMode { get; init; } = PaddingMode.Zeros;

    /// <summary>Channel groups; InChannels and OutChannels must both divide by it (depthwise: Groups = InChannels).</summary>
    public int Groups { get; init; } = 1;

    /// <summary>
    /// With <see cref="PaddingMode.Replicate"/>: positions more than this many pixels outside the input read
    /// zero instead of the edge (0: no limit). A transposed convolution lowered to a convolution uses it for
    /// an edge-padded input, whose own implicit padding beyond that border is zero.
    /// </summary>
    internal int ReplicateBorder { get; init; }

    /// <summary>The activation applied to each output.</summary>
    public Activation Activation { get; init; } = Activation.None;

    /// <inheritdoc />
    public override void Validate()
    {
        const string L = "Conv2d";
        Positive(InChannels, "in_channels", L);
        Positive(OutChannels, "out_channels", L);
        Positive(Groups, "groups", L);
        Positive(StrideY, "stride", L);
        Positive(StrideX, "stride", L);
        Positive(DilationY, "dilation", L);
        Positive(DilationX, "dilation", L);
        if (KernelH is < 1 or > 9 || KernelW is < 1 or > 9)
        {
            throw new ArgumentException($"{L}: kernel {KernelH}x{KernelW} is outside the supported 1x1 to 9x9.");
        }
        if (InChannels % Groups != 0 || OutChannels % Groups != 0)
        {
            throw new ArgumentException($"{L}: {InChannels} in and {OutChannels} out channels do not divide into {Groups} groups.");
        }
        Padding.Validate(L);
        long expected = (long)OutChannels * (InChannels / Groups) * KernelH * KernelW;
        if (Weights is null || Weights.Length != expected)
        {
            throw new ArgumentException($"{L}: weights hold {Weights?.Length ?? 0} values; " +
                $"[{OutChannels}][{InChannels / Groups}][{KernelH}][{KernelW}] needs {expected}.");
        }
        CheckFinite(Weights, "weights", L);
        if (Bias is not null)
        {
            if (Bias.Length != OutChannels)
            {
                throw new ArgumentException($"{L}: bias holds {Bias.Length} values for {OutChannels} output channels.");
            }
            CheckFinite(Bias, "bias", L);
        }
        Activation.Validate(OutChannels, L);
    }

    /// <inheritdoc />
    public override TensorShape OutputShape(IReadOnlyList<TensorShape> inputs) => OutputShape(Single(inputs, "Conv2d"), "Conv2d");

    internal TensorShape OutputShape(TensorShape input, string layer)
    {
        if (input.Channels != InChannels)
        {
            throw new ArgumentException($"{layer}: expects {InChannels} input channels, got {input}.");
        }
        if (PaddingMode == PaddingMode.Reflect &&
            (Math.Max(Padding.Top, Padding.Bottom) >= input.Height || Math.Max(Padding.Left, Padding.Right) >= input.Width))
        {
            throw new ArgumentException($"{layer}: reflect padding {Padding} needs an input larger than the padding, got {input}.");
        }
        int h = (input.Height + Padding.Top + Padding.Bottom - DilationY * (KernelH - 1) - 1) / StrideY + 1;
        int w = (input.Width + Padding.Left + Padding.Right - DilationX * (KernelW - 1) - 1) / StrideX + 1;
        if (input.Height + Padding.Top + Padding.Bottom < DilationY * (KernelH - 1) + 1 ||
            input.Width + Padding.Left + Padding.Right < DilationX * (KernelW - 1) + 1)
        {
            throw new ArgumentException($"{layer}: input {input} with padding {Padding} is smaller than the {KernelH}x{KernelW} kernel.");
        }
        return new TensorShape(OutChannels, h, w);
    }
}

/// <summary>Transposed convolution (deconvolution), as PyTorch's ConvTranspose2d and ONNX ConvTranspose.</summary>
public sealed record ConvTranspose2dSpec : LayerSpec
{
    /// <summary>Input channels.</summary>
    public required int InChannels { get; init; }

    /// <summary>Output channels.</summary>
    public required int OutChannels { get; init; }

    /// <summary>Kernel height (1 to 9... any positive size up to 16).</summary>
    public required int KernelH { get; init; }

    /// <summary>Kernel width.</summary>
    public required int KernelW { get; init; }

    /// <summary>Weights, <c>[InChannels][OutChannels / Groups][KernelH][KernelW]</c> (PyTorch's layout).</summary>
    public required float[] Weights { get; init; }

    /// <summary>One bias per output channel, or null.</summary>
    public float[]? Bias { get; init; }

    /// <summary>Vertical stride (the upscaling factor).</summary>
    public int StrideY { get; init; } = 1;

    /// <summary>Horizontal stride.</summary>
    public int StrideX { get; init; } = 1;

    /// <summary>Rows and columns removed from each side of the full output (ONNX pads, PyTorch padding).</summary>
    public Padding Padding { get; init; }

    /// <summary>
    /// Padding applied to the input before the transposed convolution (an ONNX Pad fused into it, as in the
    /// FSRCNN release: edge padding by one pixel, then a crop of the output).
    /// </summary>
    public Padding InputPadding { get; init; }

    /// <summary>What <see cref="InputPadding"/> reads.</summary>
    public PaddingMode InputPaddingMode { get; init; } = PaddingMode.Zeros;

    /// <summary>Extra rows added at the bottom (smaller than the stride).</summary>
    public int OutputPaddingY { get; init; }

    /// <summary>Extra columns added at the right (smaller than the stride).</summary>
    public int OutputPaddingX { get; init; }

    /// <summary>Channel groups.</summary>
    public int Groups { get; init; } = 1;

    /// <summary>The activation applied to each output.</summary>
    public Activation Activation { get; init; } = Activation.None;

    /// <inheritdoc />
    public override void Validate()
    {
        const string L = "ConvTranspose2d";
        Positive(InChannels, "in_channels", L);
        Positive(OutChannels, "out_channels", L);
        Positive(Groups, "groups", L);
        Positive(StrideY, "stride", L);
        Positive(StrideX, "stride", L);
        if (KernelH is < 1 or > 16 || KernelW is < 1 or > 16)
        {
            throw new ArgumentException($"{L}: kernel {KernelH}x{KernelW} is outside the supported 1x1 to 16x16.");
        }
        if (InChannels % Groups != 0 || OutChannels % Groups != 0)
        {
            throw new ArgumentException($"{L}: {InChannels} in and {OutChannels} out channels do not divide into {Groups} groups.");
        }
        Padding.Validate(L);
        InputPadding.Validate(L);
        if (OutputPaddingY < 0 || OutputPaddingX < 0 || OutputPaddingY >= StrideY || OutputPaddingX >= StrideX)
        {
            throw new ArgumentException($"{L}: output padding ({OutputPaddingY}, {OutputPaddingX}) must be non-negative " +
                                        $"and smaller than the stride ({StrideY}, {StrideX}).");
        }
        long expected = (long)InChannels * (OutChannels / Groups) * KernelH * KernelW;
        if (Weights is null || Weights.Length != expected)
        {
            throw new ArgumentException($"{L}: weights hold {Weights?.Length ?? 0} values; " +
                $"[{InChannels}][{OutChannels / Groups}][{KernelH}][{KernelW}] needs {expected}.");
        }
        CheckFinite(Weights, "weights", L);
        if (Bias is not null)
        {
            if (Bias.Length != OutChannels)
            {
                throw new ArgumentException($"{L}: bias holds {Bias.Length} values for {OutChannels} output channels.");
            }
            CheckFinite(Bias, "bias", L);
        }
        Activation.Validate(OutChannels, L);
    }

    /// <inheritdoc />
    public override TensorShape OutputShape(IReadOnlyList<TensorShape> inputs)
    {
        var input = Single(inputs, "ConvTranspose2d");
        if (input.Channels != InChannels)
        {
            throw new ArgumentException($"ConvTranspose2d: expects {InChannels} input channels, got {input}.");
        }
        if (InputPaddingMode == PaddingMode.Reflect &&
            (Math.Max(InputPadding.Top, InputPadding.Bottom) >= input.Height || Math.Max(InputPadding.Left, InputPadding.Right) >= input.Width))
        {
            throw new ArgumentException($"ConvTranspose2d: reflect input padding {InputPadding} needs an input larger than the padding, got {input}.");
        }
        int ph = input.Height + InputPadding.Top + InputPadding.Bottom;
        int pw = input.Width + InputPadding.Left + InputPadding.Right;
        int h = (ph - 1) * StrideY - Padding.Top - Padding.Bottom + KernelH + OutputPaddingY;
        int w = (pw - 1) * StrideX - Padding.Left - Padding.Right + KernelW + OutputPaddingX;
        if (h <= 0 || w <= 0)
        {
            throw new ArgumentException($"ConvTranspose2d: padding {Padding} removes the whole output of input {input}.");
        }
        return new TensorShape(OutChannels, h, w);
    }
}

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
/// with 1 / scale) or to a fixed output size (coordinates mapped with input / output).
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
            return byFactor ? (float)(1.0 / scale) : (float)(inSize / (double)outSize);
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

/// <summary>An elementwise operation on two tensors of one shape.</summary>
public enum BinaryOperator
{
    /// <summary>a + b (residual connections).</summary>
    Add,

    /// <summary>a - b.</summary>
    Sub,

    /// <summary>a * b (gating).</summary>
    Mul,

    /// <summary>a / b.</summary>
    Div,
}

/// <summary>
/// Elementwise <see cref="Operator"/> of two tensors, then an activation. The two shapes are equal or
/// broadcast: per axis group (channels; height and width together) the sizes are equal or one side's is 1, so a
/// tensor may be scaled by a C x 1 x 1 tensor of per-channel factors (squeeze-excitation), by a 1 x 1 x 1
/// scalar, or by a 1 x H x W plane. The output has the larger size of each group.
/// </summary>
public sealed record BinarySpec(BinaryOperator Operator, Activation Activation) : LayerSpec
{
    /// <summary>A plain operation.</summary>
    public BinarySpec(BinaryOperator op = BinaryOperator.Add) : this(op, Activation.None)
    {
    }

    /// <inheritdoc />
    public override int InputCount => 2;

    /// <inheritdoc />
    public override void Validate() => Activation.Validate(null, Operator.ToString());

    /// <inheritdoc />
    public override TensorShape OutputShape(IReadOnlyList<TensorShape> inputs)
    {
        if (inputs.Count != 2)
        {
            throw new ArgumentException($"{Operator} takes two inputs, got {inputs.Count}.");
        }
        var (a, b) = (inputs[0], inputs[1]);
        bool channelsFit = a.Channels == b.Channels || a.Channels == 1 || b.Channels == 1;
        bool planesFit = (a.Height == b.Height && a.Width == b.Width) || (a.Height == 1 && a.Width == 1) || (b.Height == 1 && b.Width == 1);
        if (!channelsFit || !planesFit)
        {
            throw new ArgumentException($"{Operator} takes two inputs of one shape or broadcastable shapes (C x 1 x 1, 1 x H x W, 1 x 1 x 1), got {a}, {b}.");
        }
        var output = new TensorShape(Math.Max(a.Channels, b.Channels), Math.Max(a.Height, b.Height), Math.Max(a.Width, b.Width));
        if (Activation.Slopes is not null && Activation.Slopes.Length != output.Channels)
        {
            throw new ArgumentException($"{Operator}: {Activation.Slopes.Length} PReLU slopes for {output.Channels} channels.");
        }
        return output;
    }
}

/// <summary>Per-channel affine map <c>x * Scale[c] + Bias[c]</c>, then an activation.</summary>
public sealed record ScaleBiasSpec(float[] Scale, float[] Bias, Activation Activation) : LayerSpec
{
    /// <summary>Without activation.</summary>
    public ScaleBiasSpec(float[] scale, float[] bias) : this(scale, bias, Activation.None)
    {
    }

    /// <summary>Channels the map applies to.</summary>
    public int Channels => Scale.Length;

    /// <inheritdoc />
    public override void Validate()
    {
        if (Scale is null || Bias is null || Scale.Length == 0 || Scale.Length != Bias.Length)
        {
            throw new ArgumentException($"ScaleBias: scale and bias need one value per channel, got {Scale?.Length} and {Bias?.Length}.");
        }
        CheckFinite(Scale, "scale", "ScaleBias");
        CheckFinite(Bias, "bias", "ScaleBias");
        Activation.Validate(Scale.Length, "ScaleBias");
    }

    /// <inheritdoc />
    public override TensorShape OutputShape(IReadOnlyList<TensorShape> inputs)
    {
        var input = Single(inputs, "ScaleBias");
        if (input.Channels != Channels)
        {
            throw new ArgumentException($"ScaleBias: {Channels} channels of parameters for input {input}.");
        }
        return input;
    }
}

/// <summary>
/// Crop (slice): keeps channels [ChannelStart, ChannelStart + ChannelCount) and removes the given margins.
/// A null <see cref="ChannelCount"/> keeps every channel from the start.
/// </summary>
public sealed record CropSpec(int Top, int Left, int Bottom, int Right, int ChannelStart = 0, int? ChannelCount = null) : LayerSpec
{
    /// <inheritdoc />
    public override void Validate()
    {
        if (Top < 0 || Left < 0 || Bottom < 0 || Right < 0 || ChannelStart < 0 || ChannelCount is <= 0)
        {
            throw new ArgumentException($"Crop: margins and channel range must be non-negative, got {this}.");
        }
    }

    /// <inheritdoc />
    public override TensorShape OutputShape(IReadOnlyList<TensorShape> inputs)
    {
        var input = Single(inputs, "Crop");
        int c = ChannelCount ?? input.Channels - ChannelStart;
        int h = input.Height - Top - Bottom;
        int w = input.Width - Left - Right;
        if (c <= 0 || ChannelStart + c > input.Channels || h <= 0 || w <= 0)
        {
            throw new ArgumentException($"Crop: {this} does not fit input {input}.");
        }
        return new TensorShape(c, h, w);
    }
}

/// <summary>Concatenation of two tensors of one height and width along the channel axis.</summary>
public sealed record ConcatSpec : LayerSpec
{
    /// <inheritdoc />
    public override int InputCount => 2;

    /// <inheritdoc />
    public override void Validate()
    {
    }

    /// <inheritdoc />
    public override TensorShape OutputShape(IReadOnlyList<TensorShape> inputs)
    {
        if (inputs.Count != 2 || inputs[0].Height != inputs[1].Height || inputs[0].Width != inputs[1].Width)
        {
            throw new ArgumentException($"Concat takes two inputs of one height and width, got {string.Join(", ", inputs)}.");
        }
        return new TensorShape(inputs[0].Channels + inputs[1].Channels, inputs[0].Height, inputs[0].Width);
    }
}

/// <summary>
/// Explicit padding of every plane (ONNX Pad on height and width). The graph passes fuse it into the
/// convolution or transposed convolution after it, or lower a pad nothing takes to an identity convolution.
/// </summary>
public sealed record PadSpec(int Channels, Padding Padding, PaddingMode Mode) : LayerSpec
{
    /// <inheritdoc />
    public override void Validate()
    {
        Positive(Channels, "channels", "Pad");
        Padding.Validate("Pad");
    }

    /// <inheritdoc />
    public override TensorShape OutputShape(IReadOnlyList<TensorShape> inputs)
    {
        var input = Single(inputs, "Pad");
        if (input.Channels != Channels)
        {
            throw new ArgumentException($"Pad: expects {Channels} channels, got {input}.");
        }
        if (Mode == PaddingMode.Reflect &&
            (Math.Max(Padding.Top, Padding.Bottom) >= input.Height || Math.Max(Padding.Left, Padding.Right) >= input.Width))
        {
            throw new ArgumentException($"Pad: reflect padding {Padding} needs an input larger than the padding, got {input}.");
        }
        return new TensorShape(Channels, input.Height + Padding.Top + Padding.Bottom, input.Width + Padding.Left + Padding.Right);
    }
}

/// <summary>
/// An activation on its own (ONNX Relu, PRelu, LeakyRelu, Tanh, Sigmoid, Clip). The graph passes fuse it into
/// the layer before, or lower it to a <see cref="ScaleBiasSpec"/> with unit scale when no layer takes it.
/// </summary>
public sealed record ActivationSpec(int Channels, Activation Activation) : LayerSpec
{
    /// <inheritdoc />
    public override void Validate()
    {
        Positive(Channels, "channels", "Activation");
        Activation.Validate(Channels, "Activation");
    }

    /// <inheritdoc />
    public override TensorShape OutputShape(IReadOnlyList<TensorShape> inputs)
    {
        var input = Single(inputs, "Activation");
        if (input.Channels != Channels)
        {
            throw new ArgumentException($"Activation: expects {Channels} channels, got {input}.");
        }
        return input;
    }
}
