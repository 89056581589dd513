using RealtimeUpscale.Runtime;

namespace RealtimeUpscale.Network;

/// <summary>
/// Multiply-adds of a layer as the direct algorithm counts them, whatever algorithm runs: output elements times
/// the taps each sums. Layers without a convolution count zero. <c>rtup bench</c> reports GMAC/s from it, and the
/// tile planner weighs tiles by it.
/// </summary>
public static class MultiplyAdds
{
    /// <summary>The multiply-adds of <paramref name="spec"/> from <paramref name="input"/> (its first input) to <paramref name="output"/>.</summary>
    public static double Of(LayerSpec spec, TensorShape input, TensorShape output)
    {
        static double Conv(Conv2dSpec c, long outElements) =>
            (double)outElements * (c.InChannels / c.Groups) * c.KernelH * c.KernelW;
        return spec switch
        {
            Conv2dSpec c => Conv(c, output.ElementCount),
            ResizeConvSpec r => Conv(r.Conv, output.ElementCount),
            // The pixel shuffle keeps the element count: the convolution's output has as many elements.
            SubPixelConvSpec s => Conv(s.Conv, output.ElementCount),
            // Both convolutions: the first on its own output, of the pointwise one's size with its channels.
            ConvPointwiseSpec cp => Conv(cp.Conv, (long)cp.Conv.OutChannels * output.Height * output.Width) + Conv(cp.Pointwise, output.ElementCount),
            // Both convolutions: the 1x1 on the wide tensor it writes, the convolution on its own output.
            PointwiseConvSpec pc => Conv(pc.Pointwise, (long)pc.Pointwise.OutChannels * input.Height * input.Width) +
                Of(pc.Conv, new TensorShape(pc.Pointwise.OutChannels, input.Height, input.Width), output),
            ConvTranspose2dSpec t => (double)input.ElementCount * (t.OutChannels / t.Groups) * t.KernelH * t.KernelW,
            // The fused residual addition does no multiply-adds of its own.
            ResidualConvSpec rc => Of(rc.Conv, input, output),
            // Nor do the fused channel scales (one multiplication per value read, as the unfused Mul).
            ChannelScaledConvSpec cs => Of(cs.Conv, input, output),
            _ => 0,
        };
    }

    /// <summary>
    /// The width of the rows the layer's kernel computes: its output's, or for a sub-pixel convolution its
    /// convolution's (before the shuffle), for a transposed convolution its input's.
    /// </summary>
    public static int KernelWidth(LayerSpec spec, TensorShape input, TensorShape output) => spec switch
    {
        SubPixelConvSpec s => output.Width / s.Shuffle.Scale,
        ResidualConvSpec { Conv: SubPixelConvSpec s } => output.Width / s.Shuffle.Scale,
        ChannelScaledConvSpec cs => KernelWidth(cs.Conv, input, output),
        PointwiseConvSpec pc => KernelWidth(pc.Conv, input, output),
        ConvTranspose2dSpec => input.Width,
        _ => output.Width,
    };
}
