namespace RealtimeUpscale.Network.Passes;

/// <summary>
/// Pass 11: an expanding 1x1 convolution read only by a convolution with few outputs (a sub-pixel head) fuses into it
/// as a <see cref="PointwiseConvSpec"/>: the convolution computes its wide input from the 1x1's few channels as it
/// reads each window, so the wide tensor is neither stored nor read back (FSRCNN's 12 -> 56 expansion before its
/// 56 -> 4, 9 or 16-phase head). The fused kernel computes each value of the wide tensor once per window row that
/// reads it, up to the kernel's height times more multiply-adds for the 1x1 than stored, and once per block of the
/// convolution's outputs; so the pass fuses only where the 1x1 expands from at most
/// <see cref="PointwiseConvSpec.MaxHeldChannels"/> channels and the convolution computes at most
/// <see cref="MaxOutputChannels"/> channels, which the fused layer keeps in one block. It runs after the residual and
/// channel-scale passes and takes only what they left: a convolution that adds a residual or a 1x1 that scales its
/// input keeps that fusion.
/// </summary>
public sealed class PointwiseIntoNextConvolution : IGraphPass
{
    /// <summary>The most output channels (before a pixel shuffle) of a convolution the 1x1 fuses into.</summary>
    public const int MaxOutputChannels = 16;

    /// <inheritdoc />
    public string Name => "expanding 1x1 convolution into the convolution after it";

    /// <inheritdoc />
    public ModelDefinition Apply(ModelDefinition definition) =>
        GraphRewrite.FuseProducerInto(definition, (producer, consumer) => (producer, consumer) switch
        {
            (Conv2dSpec pw, LayerSpec conv) when PointwiseConvSpec.Fits(pw, conv) && Worth(pw, conv) => new PointwiseConvSpec(pw, conv),
            _ => null,
        });

    private static bool Worth(Conv2dSpec pw, LayerSpec conv) =>
        pw.OutChannels > pw.InChannels && PointwiseConvSpec.InnerConv(conv)!.OutChannels <= MaxOutputChannels;
}
