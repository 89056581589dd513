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

/// <summary>
/// A convolution and the 1x1 convolution that reads it, computed in one pass (the graph pass
/// <see cref="Passes.PointwiseIntoConvolution"/> makes it): the convolution's output is never stored. The
/// convolution has stride 1, no dilation and no groups; the 1x1 convolution has stride 1, no padding and no
/// groups, and reads all of the convolution's channels. Each applies its own activation.
/// </summary>
/// <param name="Conv">The convolution, first.</param>
/// <param name="Pointwise">The 1x1 convolution of its output.</param>
public sealed record ConvPointwiseSpec(Conv2dSpec Conv, Conv2dSpec Pointwise) : LayerSpec
{
    /// <summary>Whether <paramref name="pointwise"/> reading <paramref name="conv"/>'s output can run fused with it.</summary>
    public static bool Fits(Conv2dSpec conv, Conv2dSpec pointwise)
    {
        ArgumentNullException.ThrowIfNull(conv);
        ArgumentNullException.ThrowIfNull(pointwise);
        return conv.StrideY == 1 && conv.StrideX == 1 && conv.DilationY == 1 && conv.DilationX == 1 && conv.Groups == 1 &&
               pointwise.KernelH == 1 && pointwise.KernelW == 1 && pointwise.StrideY == 1 && pointwise.StrideX == 1 &&
               pointwise.Groups == 1 && pointwise.Padding == default && pointwise.InChannels == conv.OutChannels;
    }

    /// <inheritdoc />
    public override void Validate()
    {
        Conv.Validate();
        Pointwise.Validate();
        if (!Fits(Conv, Pointwise))
        {
            throw new ArgumentException("ConvPointwise: needs a convolution of stride 1 without dilation or groups, then a 1x1 " +
                                        $"convolution of stride 1 without padding or groups reading its {Conv.OutChannels} channels.");
        }
    }

    /// <inheritdoc />
    public override TensorShape OutputShape(IReadOnlyList<TensorShape> inputs) =>
        Pointwise.OutputShape(Conv.OutputShape(Single(inputs, "ConvPointwise"), "ConvPointwise"), "ConvPointwise");
}

/// <summary>
/// A 1x1 convolution and the convolution that reads it, computed in one pass (the graph pass
/// <see cref="Passes.PointwiseIntoNextConvolution"/> makes it): the convolution computes each of its input channels
/// from the 1x1's few input channels as it reads its window, so the wider tensor between them is never stored (FSRCNN's
/// expanding 12 -> 56 channels before its deconvolution). The 1x1 convolution has stride 1, no padding, no dilation
/// and no groups, at most <see cref="MaxHeldChannels"/> input channels, and applies its own activation; the
/// convolution (a <see cref="Conv2dSpec"/> or <see cref="SubPixelConvSpec"/>) has no groups, reads all of its
/// channels and computes at most <see cref="MaxOutputChannels"/> (before a pixel shuffle), which the fused layer keeps
/// in one block of its outputs, since every block would compute the held channels again. A padded position of the convolution's input reads zero (zero padding) or the value computed at the
/// position the padding mode maps it to, as the stored tensor would give.
/// </summary>
/// <param name="Pointwise">The 1x1 convolution, first.</param>
/// <param name="Conv">The convolution of its output: a <see cref="Conv2dSpec"/> or <see cref="SubPixelConvSpec"/>.</param>
public sealed record PointwiseConvSpec(Conv2dSpec Pointwise, LayerSpec Conv) : LayerSpec
{
    /// <summary>The most input channels of the 1x1 convolution the fused kernel holds per pixel of its window.</summary>
    public const int MaxHeldChannels = 16;

    /// <summary>The most output channels of the convolution (before a pixel shuffle).</summary>
    public const int MaxOutputChannels = 16;

    /// <summary>The convolution of a <see cref="SubPixelConvSpec"/> or the <see cref="Conv2dSpec"/> itself; null for other specs.</summary>
    public static Conv2dSpec? InnerConv(LayerSpec spec) => spec switch
    {
        Conv2dSpec c => c,
        SubPixelConvSpec s => s.Conv,
        _ => null,
    };

    /// <summary>Whether <paramref name="conv"/> reading <paramref name="pointwise"/>'s output can compute it as it reads.</summary>
    public static bool Fits(Conv2dSpec pointwise, LayerSpec conv)
    {
        ArgumentNullException.ThrowIfNull(pointwise);
        ArgumentNullException.ThrowIfNull(conv);
        return InnerConv(conv) is { Groups: 1 } c && c.InChannels == pointwise.OutChannels && c.OutChannels <= MaxOutputChannels &&
               pointwise.KernelH == 1 && pointwise.KernelW == 1 && pointwise.StrideY == 1 && pointwise.StrideX == 1 &&
               pointwise.DilationY == 1 && pointwise.DilationX == 1 && pointwise.Groups == 1 && pointwise.Padding == default &&
               pointwise.InChannels <= MaxHeldChannels;
    }

    /// <summary>The spec with the fused 1x1 convolution taken off (the convolution alone), or <paramref name="spec"/> itself.</summary>
    public static LayerSpec Unfused(LayerSpec spec) => spec is PointwiseConvSpec p ? p.Conv : spec;

    /// <inheritdoc />
    public override void Validate()
    {
        Pointwise.Validate();
        Conv.Validate();
        if (!Fits(Pointwise, Conv))
        {
            throw new ArgumentException($"PointwiseConv: needs a 1x1 convolution of stride 1 without padding or groups, from at most {MaxHeldChannels} " +
                                        "channels, then a convolution or sub-pixel convolution without groups reading its " +
                                        $"{Pointwise.OutChannels} channels into at most {MaxOutputChannels}; got {Pointwise.InChannels} -> " +
                                        $"{Pointwise.OutChannels} {Pointwise.KernelH}x{Pointwise.KernelW} then {Conv.GetType().Name}" +
                                        (InnerConv(Conv) is { } c ? $" {c.InChannels} -> {c.OutChannels}." : "."));
        }
    }

    /// <inheritdoc />
    public override TensorShape OutputShape(IReadOnlyList<TensorShape> inputs) =>
        Conv.OutputShape(new[] { Pointwise.OutputShape(Single(inputs, "PointwiseConv"), "PointwiseConv") });
}

/// <summary>
/// A convolution (a <see cref="Conv2dSpec"/>, <see cref="ResizeConvSpec"/> or <see cref="SubPixelConvSpec"/>)
/// followed by the addition of a residual tensor, in one pass (the graph pass
/// <see cref="Passes.ResidualIntoConvolution"/> makes it): output = convolution(input 0) + residual, where the
/// convolution's own activation and pixel shuffle come first, as in ONNX <c>Add(PRelu(Conv(x)), r)</c>, and the
/// residual is input 1 itself or, with <see cref="Upsample"/>, input 1 upsampled (the bicubic image a super-resolution
/// network predicts the difference from), sampled at each output pixel instead of being stored, or, with
/// <see cref="Crop"/>, a window of input 1 read in place (the skip connections of a U-Net of valid convolutions, which
/// crop the earlier value to the later one's size). The residual must have exactly the convolution's output shape.
/// </summary>
/// <param name="Conv">The convolution: a <see cref="Conv2dSpec"/>, <see cref="ResizeConvSpec"/> or <see cref="SubPixelConvSpec"/>.</param>
/// <param name="Upsample">The resize of input 1 that gives the residual, or null.</param>
/// <param name="Crop">The window of input 1 that is the residual, or null; not with <paramref name="Upsample"/>.</param>
public sealed record ResidualConvSpec(LayerSpec Conv, UpsampleSpec? Upsample = null, CropSpec? Crop = null) : LayerSpec
{
    /// <inheritdoc />
    public override int InputCount => 2;

    /// <summary>Whether <paramref name="spec"/> is a convolution this fusion takes.</summary>
    public static bool Takes(LayerSpec spec) => spec is Conv2dSpec or ResizeConvSpec or SubPixelConvSpec;

    /// <inheritdoc />
    public override void Validate()
    {
        if (!Takes(Conv))
        {
            throw new ArgumentException($"ResidualConv: {Conv.GetType().Name} is not a convolution the fused residual takes.");
        }
        if (Upsample is not null && Crop is not null)
        {
            throw new ArgumentException("ResidualConv: the residual is either resized or cropped, not both.");
        }
        Conv.Validate();
        Upsample?.Validate();
        Crop?.Validate();
    }

    /// <inheritdoc />
    public override TensorShape OutputShape(IReadOnlyList<TensorShape> inputs)
    {
        if (inputs.Count != 2)
        {
            throw new ArgumentException($"ResidualConv takes two inputs, got {inputs.Count}.");
        }
        var output = Conv.OutputShape(new[] { inputs[0] });
        var residual = ResidualShape(inputs[1]);
        if (residual != output)
        {
            throw new ArgumentException($"ResidualConv: the residual {residual} is not of the convolution's output shape {output}.");
        }
        return output;
    }

    /// <summary>The residual's shape for input 1 of <paramref name="source"/>.</summary>
    public TensorShape ResidualShape(TensorShape source) => Crop?.OutputShape(new[] { source }) ?? Upsample?.OutputShape(source) ?? source;
}

/// <summary>
/// A convolution (a <see cref="Conv2dSpec"/>, <see cref="ResizeConvSpec"/>, <see cref="SubPixelConvSpec"/> or a
/// <see cref="ResidualConvSpec"/> of one) whose input, or residual, is first scaled channel by channel, in one pass
/// (the graph pass <see cref="Passes.ChannelScaleIntoConvolution"/> makes it): the per-channel scale of a
/// squeeze-excitation block (Real-CUGAN, waifu2x's cunet), <c>Mul(x, s)</c> with s of shape C x 1 x 1, which is then
/// never stored on its own. Inputs: the convolution's own (input 0, and the residual source for a
/// <see cref="ResidualConvSpec"/>), then the input's factors when <see cref="ScalesInput"/>, then the residual
/// source's factors when <see cref="ScalesResidual"/>, each of shape (channels) x 1 x 1.
/// </summary>
/// <param name="Conv">The convolution.</param>
/// <param name="ScalesInput">Whether input 0 is scaled.</param>
/// <param name="ScalesResidual">Whether the residual source is scaled (only with a <see cref="ResidualConvSpec"/>).</param>
public sealed record ChannelScaledConvSpec(LayerSpec Conv, bool ScalesInput, bool ScalesResidual) : LayerSpec
{
    /// <inheritdoc />
    public override int InputCount => Conv.InputCount + (ScalesInput ? 1 : 0) + (ScalesResidual ? 1 : 0);

    /// <summary>Whether <paramref name="spec"/> is a convolution this fusion takes.</summary>
    public static bool Takes(LayerSpec spec) => ResidualConvSpec.Takes(spec) || spec is ResidualConvSpec;

    /// <summary><paramref name="spec"/> without the scales, if it has them.</summary>
    public static LayerSpec Unscaled(LayerSpec spec) => spec is ChannelScaledConvSpec s ? s.Conv : spec;

    /// <summary>The index of the input's factors among the node's inputs.</summary>
    public int InputScaleIndex => Conv.InputCount;

    /// <summary>The index of the residual source's factors among the node's inputs.</summary>
    public int ResidualScaleIndex => Conv.InputCount + (ScalesInput ? 1 : 0);

    /// <inheritdoc />
    public override void Validate()
    {
        if (!Takes(Conv))
        {
            throw new ArgumentException($"ChannelScaledConv: {Conv.GetType().Name} is not a convolution the channel scales fuse into.");
        }
        if (!ScalesInput && !ScalesResidual)
        {
            throw new ArgumentException("ChannelScaledConv: scales neither the input nor the residual.");
        }
        if (ScalesResidual && Conv is not ResidualConvSpec)
        {
            throw new ArgumentException("ChannelScaledConv: scales the residual of a convolution without one.");
        }
        Conv.Validate();
    }

    /// <inheritdoc />
    public override TensorShape OutputShape(IReadOnlyList<TensorShape> inputs)
    {
        if (inputs.Count != InputCount)
        {
            throw new ArgumentException($"ChannelScaledConv takes {InputCount} inputs, got {inputs.Count}.");
        }
        if (ScalesInput)
        {
            CheckFactors(inputs[InputScaleIndex], inputs[0], "input");
        }
        if (ScalesResidual)
        {
            CheckFactors(inputs[ResidualScaleIndex], inputs[1], "residual source");
        }
        return Conv.OutputShape(inputs.Take(Conv.InputCount).ToList());
    }

    private static void CheckFactors(TensorShape factors, TensorShape of, string what)
    {
        if (factors != new TensorShape(of.Channels, 1, 1))
        {
            throw new ArgumentException($"ChannelScaledConv: the {what}'s factors are {factors}, not one per channel of {of}.");
        }
    }
}
