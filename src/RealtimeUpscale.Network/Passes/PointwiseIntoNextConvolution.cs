namespace RealtimeUpscale.Network.Passes;

/// <summary>
/// Pass 11: an expanding 1x1 convolution read only by a convolution with few outputs (a sub-pixel head) fuses into it
/// as a <see cref="PointwiseConvSpec"/>: the convolution computes its wide input from the 1x1's few channels as it
/// reads each window, so the wide tensor is neither stored nor read back (FSRCNN's 12 -> 56 expansion before its
/// 56 -> 4, 9 or 16-phase head). The fused kernel computes each value of the wide tensor again for every window that
/// reads it: with P pixels per invocation and a KH x KW kernel, KH (P + KW - 1) / P times (on lavapipe, 40 pixels and
/// 5x5: 5.5 times, about half again the multiply-adds the two layers count; with one pixel per invocation, KH x KW
/// times). So the pass fuses only where the 1x1 expands from at most <see cref="PointwiseConvSpec.MaxHeldChannels"/>
/// channels into a convolution of at most <see cref="PointwiseConvSpec.MaxOutputChannels"/> outputs, which the
/// fused layer keeps in one block. It runs after the residual and channel-scale passes and takes only what they
/// left: a convolution that adds a residual or a 1x1 that scales its input keeps that fusion. Measured on lavapipe
/// (FSRCNN x2 to x4 faster by 5 to 18%); on GPUs not yet (<c>rtup bench --unfused-expansions</c> and
/// scripts/device_check.sh measure it against the unfused graph).
/// </summary>
public sealed class PointwiseIntoNextConvolution : IGraphPass
{
    /// <inheritdoc />
    public string Name => "expanding 1x1 convolution into the convolution after it";

    /// <inheritdoc />
    public ModelDefinition Apply(ModelDefinition definition) =>
        GraphRewrite.FuseProducerInto(definition, (producer, consumer) => (producer, consumer) switch
        {
            (Conv2dSpec pw, LayerSpec conv) when PointwiseConvSpec.Fits(pw, conv) && Worth(pw) => new PointwiseConvSpec(pw, conv),
            _ => null,
        });

    private static bool Worth(Conv2dSpec pw) => pw.OutChannels > pw.InChannels;
}
