namespace RealtimeUpscale.Network.Passes;

/// <summary>
/// Pass 8: a 1x1 convolution whose input only a convolution writes fuses with it into a
/// <see cref="ConvPointwiseSpec"/>, which computes both in one pass and never stores the tensor between them
/// (FSRCNN's 56-channel feature extraction followed by its shrinking). The fused kernel holds one side whole in
/// registers, the 1x1's outputs or the convolution's channels, so the pass fuses only when that side has at most
/// <see cref="MaxHeldChannels"/> channels and the intermediate has more channels than the output, where the
/// saved traffic is largest.
/// </summary>
public sealed class PointwiseIntoConvolution : IGraphPass
{
    /// <summary>The most channels the fused kernel holds whole per pixel.</summary>
    public const int MaxHeldChannels = 16;

    /// <inheritdoc />
    public string Name => "1x1 convolution into convolution";

    /// <inheritdoc />
    public ModelDefinition Apply(ModelDefinition definition) =>
        GraphRewrite.FuseIntoProducer(definition, (producer, consumer) => (producer, consumer) switch
        {
            (Conv2dSpec conv, Conv2dSpec pw) when ConvPointwiseSpec.Fits(conv, pw) && Worth(conv, pw) => new ConvPointwiseSpec(conv, pw),
            _ => null,
        });

    private static bool Worth(Conv2dSpec conv, Conv2dSpec pw) =>
        Math.Min(conv.OutChannels, pw.OutChannels) <= MaxHeldChannels && conv.OutChannels > pw.OutChannels;
}
