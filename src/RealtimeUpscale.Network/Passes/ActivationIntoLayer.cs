namespace RealtimeUpscale.Network.Passes;

/// <summary>
/// Pass 6: an activation read only from a layer that applies none of its own becomes that layer's activation
/// (every GPU layer applies one as it stores). An activation that nothing takes (after a pixel shuffle, a crop,
/// a concatenation, a layer with an activation already, or on a value read twice) runs as a
/// <see cref="ScaleBiasSpec"/> with scale 1 and bias 0: exact, since x * 1 + 0 is x in float arithmetic.
/// </summary>
public sealed class ActivationIntoLayer : IGraphPass
{
    /// <inheritdoc />
    public string Name => "activation into layer";

    /// <inheritdoc />
    public ModelDefinition Apply(ModelDefinition definition)
    {
        var fused = GraphRewrite.FuseIntoProducer(definition, (producer, consumer) =>
            consumer is ActivationSpec a ? WithActivation(producer, a.Activation) : null);
        return GraphRewrite.Replace(fused, s => s is ActivationSpec a
            ? new ScaleBiasSpec(Enumerable.Repeat(1f, a.Channels).ToArray(), new float[a.Channels], a.Activation)
            : s);
    }

    /// <summary>The spec with <paramref name="act"/> applied to its outputs, or null when it cannot take it.</summary>
    private static LayerSpec? WithActivation(LayerSpec spec, Activation act)
    {
        switch (spec)
        {
            case Conv2dSpec c when c.Activation.Kind == ActivationKind.None: return c with { Activation = act };
            case ResizeConvSpec r when r.Conv.Activation.Kind == ActivationKind.None: return r with { Conv = r.Conv with { Activation = act } };
            case SubPixelConvSpec s when s.Conv.Activation.Kind == ActivationKind.None:
                // The convolution applies it before the shuffle, so per-channel slopes move to the convolution's channels.
                var a = act.Slopes is null ? act : Activation.PRelu(AffineIntoLayer.ToConvChannels(act.Slopes, s));
                return s with { Conv = s.Conv with { Activation = a } };
            case ConvTranspose2dSpec t when t.Activation.Kind == ActivationKind.None: return t with { Activation = act };
            case BinarySpec bin when bin.Activation.Kind == ActivationKind.None: return bin with { Activation = act };
            case ScaleBiasSpec sb when sb.Activation.Kind == ActivationKind.None: return sb with { Activation = act };
            case FullyConnectedSpec fc when fc.Activation.Kind == ActivationKind.None: return fc with { Activation = act };
            default: return null;
        }
    }
}
