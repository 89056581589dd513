namespace RealtimeUpscale.Network.Passes;

/// <summary>
/// Pass 5: a per-channel affine map y = x * scale[c] + bias[c] (BatchNormalization in eval mode, a constant
/// Add, Sub, Mul or Div) read only from a convolution, transposed convolution, sub-pixel or resize-convolution
/// or another affine map without an activation of its own folds into that layer's weights and bias. One that
/// nothing takes stays a <see cref="ScaleBiasSpec"/> node.
/// </summary>
public sealed class AffineIntoLayer : IGraphPass
{
    /// <inheritdoc />
    public string Name => "affine into layer";

    /// <inheritdoc />
    public ModelDefinition Apply(ModelDefinition definition) =>
        GraphRewrite.FuseIntoProducer(definition, (producer, consumer) =>
            consumer is ScaleBiasSpec { Activation.Kind: ActivationKind.None } affine ? WithAffine(producer, affine.Scale, affine.Bias) : null);

    /// <summary>The spec followed by y = x * scale[c] + bias[c], or null when it cannot take it.</summary>
    private static LayerSpec? WithAffine(LayerSpec spec, float[] scale, float[] bias)
    {
        switch (spec)
        {
            case Conv2dSpec c when c.Activation.Kind == ActivationKind.None:
                return AffineConv(c, scale, bias);
            case ResizeConvSpec r when r.Conv.Activation.Kind == ActivationKind.None:
                return r with { Conv = AffineConv(r.Conv, scale, bias) };
            case SubPixelConvSpec s when s.Conv.Activation.Kind == ActivationKind.None:
                return s with { Conv = AffineConv(s.Conv, ToConvChannels(scale, s), ToConvChannels(bias, s)) };
            case ConvTranspose2dSpec t when t.Activation.Kind == ActivationKind.None:
            {
                // Weights are [InChannels][OutChannels / Groups][k]: output channel g * ocg + j of input channel ic's group g.
                var w = (float[])t.Weights.Clone();
                int ocg = t.OutChannels / t.Groups, k = t.KernelH * t.KernelW, icg = t.InChannels / t.Groups;
                for (int ic = 0; ic < t.InChannels; ic++)
                {
                    for (int j = 0; j < ocg; j++)
                    {
                        float s = scale[ic / icg * ocg + j];
                        for (int i = 0; i < k; i++)
                        {
                            w[(ic * ocg + j) * k + i] *= s;
                        }
                    }
                }
                var b = Enumerable.Range(0, t.OutChannels).Select(o => (t.Bias?[o] ?? 0) * scale[o] + bias[o]).ToArray();
                return t with { Weights = w, Bias = b };
            }
            case ScaleBiasSpec sb when sb.Activation.Kind == ActivationKind.None:
                return new ScaleBiasSpec(sb.Scale.Select((s, i) => s * scale[i]).ToArray(),
                    sb.Bias.Select((b, i) => b * scale[i] + bias[i]).ToArray());
            default:
                return null;
        }
    }

    /// <summary>Weights of output channel oc ([OutChannels][...] rows) times scale[oc]; bias * scale + bias.</summary>
    private static Conv2dSpec AffineConv(Conv2dSpec c, float[] scale, float[] bias)
    {
        var w = (float[])c.Weights.Clone();
        int per = w.Length / c.OutChannels;
        for (int oc = 0; oc < c.OutChannels; oc++)
        {
            for (int i = 0; i < per; i++)
            {
                w[oc * per + i] *= scale[oc];
            }
        }
        var b = Enumerable.Range(0, c.OutChannels).Select(o => (c.Bias?[o] ?? 0) * scale[o] + bias[o]).ToArray();
        return c with { Weights = w, Bias = b };
    }

    /// <summary>
    /// Per-channel values of a sub-pixel convolution's output, mapped to its convolution channels: CRD reads
    /// output channel c from convolution channels c * r^2 ..., DCR from c, c + C, ... (C output channels).
    /// </summary>
    internal static float[] ToConvChannels(float[] perOutput, SubPixelConvSpec s)
    {
        int r2 = s.Shuffle.Scale * s.Shuffle.Scale;
        int c = s.Conv.OutChannels / r2;
        return Enumerable.Range(0, s.Conv.OutChannels)
            .Select(oc => perOutput[s.Shuffle.Order == DepthToSpaceOrder.Crd ? oc / r2 : oc % c]).ToArray();
    }
}
