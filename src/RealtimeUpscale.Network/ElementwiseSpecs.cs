using RealtimeUpscale.Runtime;

namespace RealtimeUpscale.Network;

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

    /// <summary>max(a, b).</summary>
    Max,

    /// <summary>min(a, b).</summary>
    Min,

    /// <summary>a to the power b (C's powf: a negative a with an integer b keeps its sign for odd b).</summary>
    Pow,
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
