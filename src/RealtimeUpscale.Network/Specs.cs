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
