using RealtimeUpscale.Runtime;

namespace RealtimeUpscale.Network;

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
