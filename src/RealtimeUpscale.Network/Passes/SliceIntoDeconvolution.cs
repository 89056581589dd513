namespace RealtimeUpscale.Network.Passes;

/// <summary>
/// Pass 4: a crop of height and width read only from a transposed convolution becomes a larger output crop
/// (its padding): the transposed convolution then never computes the rows and columns the crop drops, as in
/// the FSRCNN release (edge-padded input, a cropped output). A crop of channels stays a node. It runs before the
/// affine and activation passes, so a bias add or activation after the crop (the release adds its bias there)
/// then fuses into the transposed convolution too.
/// </summary>
public sealed class SliceIntoDeconvolution : IGraphPass
{
    /// <inheritdoc />
    public string Name => "slice into transposed convolution";

    /// <inheritdoc />
    public ModelDefinition Apply(ModelDefinition definition) =>
        GraphRewrite.FuseIntoProducer(definition, (producer, consumer) => (producer, consumer) switch
        {
            (ConvTranspose2dSpec t, CropSpec c) when c.ChannelStart == 0 && (c.ChannelCount ?? t.OutChannels) == t.OutChannels =>
                t with { Padding = new Padding(t.Padding.Top + c.Top, t.Padding.Left + c.Left, t.Padding.Bottom + c.Bottom, t.Padding.Right + c.Right) },
            _ => null,
        });
}
