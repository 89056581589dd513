namespace RealtimeUpscale.Network.Passes;

/// <summary>
/// Pass 3: a depth-to-space (pixel shuffle) whose input only a convolution writes fuses with it into a sub-pixel
/// convolution (ESPCN), which stores each output channel at its shuffled place. The convolution may carry an
/// activation: it applies per convolution channel, before the shuffle, as it did unfused.
/// </summary>
public sealed class DepthToSpaceIntoConvolution : IGraphPass
{
    /// <inheritdoc />
    public string Name => "depth-to-space into convolution";

    /// <inheritdoc />
    public ModelDefinition Apply(ModelDefinition definition) =>
        GraphRewrite.FuseIntoProducer(definition, (producer, consumer) => (producer, consumer) switch
        {
            (Conv2dSpec conv, PixelShuffleSpec shuffle) when conv.OutChannels % (shuffle.Scale * shuffle.Scale) == 0 =>
                new SubPixelConvSpec(conv, shuffle),
            _ => null,
        });
}
