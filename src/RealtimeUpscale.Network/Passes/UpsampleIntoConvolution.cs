namespace RealtimeUpscale.Network.Passes;

/// <summary>
/// Pass 2: an upsample read only by a convolution fuses with it into a resize-convolution (Odena et al. 2016),
/// which interpolates each input tap as the convolution reads it instead of storing the upsampled tensor.
/// </summary>
public sealed class UpsampleIntoConvolution : IGraphPass
{
    /// <inheritdoc />
    public string Name => "upsample into convolution";

    /// <inheritdoc />
    public ModelDefinition Apply(ModelDefinition definition) =>
        GraphRewrite.FuseProducerInto(definition, (producer, consumer) => (producer, consumer) switch
        {
            (UpsampleSpec up, Conv2dSpec conv) when conv.ReplicateBorder == 0 => new ResizeConvSpec(up, conv),
            _ => null,
        });
}
