namespace RealtimeUpscale.Network.Passes;

/// <summary>
/// Pass 1: a Pad read only by a convolution becomes that convolution's padding (with the pad's mode), and one
/// read only by a transposed convolution its input padding. A convolution keeps a pad of another mode than its
/// own padding's, and a reflect pad when it pads itself (reflecting twice is not reflecting by the sum).
/// A pad that nothing takes runs as a 1x1 depthwise convolution with weight 1 and that padding: exact (each
/// output is one input value times 1, or the padding), and it reuses the convolution shader's three padding modes.
/// </summary>
public sealed class PadIntoConvolution : IGraphPass
{
    /// <inheritdoc />
    public string Name => "pad into convolution";

    /// <inheritdoc />
    public ModelDefinition Apply(ModelDefinition definition)
    {
        var fused = GraphRewrite.FuseProducerInto(definition, (producer, consumer) => producer is PadSpec pad ? Fuse(pad, consumer) : null);
        return GraphRewrite.Replace(fused, s => s is PadSpec pad ? IdentityConvolution(pad) : s);
    }

    private static LayerSpec? Fuse(PadSpec pad, LayerSpec consumer)
    {
        switch (consumer)
        {
            case Conv2dSpec c when c.ReplicateBorder == 0 &&
                                   (c.Padding == default || (c.PaddingMode == pad.Mode && pad.Mode != PaddingMode.Reflect)):
                var p = c.Padding;
                var q = pad.Padding;
                return c with
                {
                    Padding = new Padding(p.Top + q.Top, p.Left + q.Left, p.Bottom + q.Bottom, p.Right + q.Right),
                    PaddingMode = pad.Mode,
                };
            case ConvTranspose2dSpec t when t.InputPadding == default:
                return t with { InputPadding = pad.Padding, InputPaddingMode = pad.Mode };
            default:
                return null;
        }
    }

    /// <summary>The 1x1 depthwise identity convolution that pads as <paramref name="pad"/> does.</summary>
    public static Conv2dSpec IdentityConvolution(PadSpec pad)
    {
        ArgumentNullException.ThrowIfNull(pad);
        return new Conv2dSpec
        {
            InChannels = pad.Channels, OutChannels = pad.Channels, KernelH = 1, KernelW = 1, Groups = pad.Channels,
            Weights = Enumerable.Repeat(1f, pad.Channels).ToArray(), Padding = pad.Padding, PaddingMode = pad.Mode,
        };
    }
}
