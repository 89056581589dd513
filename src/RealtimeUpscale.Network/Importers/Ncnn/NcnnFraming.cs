using RealtimeUpscale.Runtime;

namespace RealtimeUpscale.Network.Importers.Ncnn;

/// <summary>
/// The padding around an ncnn network of valid convolutions, derived from its graph where the graph says it,
/// and from a small table of known families where it does not.
/// </summary>
/// <remarks>
/// <para>From the graph, by shape inference at every square size from 96 to 159: the sizes the network takes
/// are those of one residue modulo the <b>alignment</b> (those where the windows of every strided layer end on
/// the last pixel, so no pixel is dropped and the crops of the skip connections align); over them the output is S x n - K, S the <b>scale</b>; a symmetric margin of p = K / (2 S)
/// pixels on each side makes the output exactly S x the unpadded size. Measured this way: waifu2x upconv_7
/// p = 7, alignment 1; waifu2x cunet x2 p = 18, alignment 2 (x1: p = 28, alignment 4); Real-CUGAN x2 p = 18,
/// x3 p = 14, alignment 4, x4 p = 19, alignment 2: the values the tools themselves use.</para>
/// <para>What the padding reads is not in the graph. The table, keyed by the file's structure: files with
/// BinaryOp layers (pnnx exports: Real-CUGAN) are padded by reflection, as realcugan-ncnn-vulkan's
/// preprocessing does; the others (caffe conversions: waifu2x upconv_7 and cunet) repeat the edge pixel, as
/// waifu2x-ncnn-vulkan's does. Files of the first kind whose last layer is a PixelShuffle (Real-CUGAN x4) predict
/// only a residual: their tool adds the image, upsampled by nearest neighbour, to the output
/// (<see cref="InputFraming.AddsNearestUpsampledInput"/>).</para>
/// </remarks>
public static class NcnnFraming
{
    private const int FirstProbe = 96;
    private const int Probes = 64;

    /// <summary>
    /// The scale and, when the network does not map n pixels to S x n by itself, its framing; (1, null) when no
    /// probed size fits the network. <paramref name="mirrored"/> picks reflection over edge repetition; <paramref name="residual"/> marks a network
    /// whose output is added to the nearest upsampled image.
    /// </summary>
    public static (double Scale, InputFraming? Framing) Derive(ModelDefinition definition, bool mirrored, bool residual = false)
    {
        ArgumentNullException.ThrowIfNull(definition);
        int channels = definition.Info.InputChannels;
        var good = new List<(int In, int Out)>();
        for (int n = FirstProbe; n < FirstProbe + Probes; n++)
        {
            try
            {
                var shapes = definition.InferShapes(new TensorShape(channels, n, n));
                var o = shapes[definition.Output];
                if (o.Height == o.Width && definition.Nodes.All(node => Exact(node, shapes)))
                {
                    good.Add((n, o.Width));
                }
            }
            catch (ArgumentException)
            {
                // This size does not fit the network's strides or crops.
            }
        }
        if (good.Count == 0)
        {
            return (1, null);
        }
        if (good.Count == 1)
        {
            return (good[0].Out / (double)good[0].In, null);
        }
        int alignment = good.Skip(1).Select((g, i) => g.In - good[i].In).Aggregate(Gcd);
        var (n0, o0) = good[0];
        var (n1, o1) = good[1];
        if ((o1 - o0) % (n1 - n0) != 0 || o1 <= o0)
        {
            return ((o1 - o0) / (double)(n1 - n0), null);
        }
        int scale = (o1 - o0) / (n1 - n0);
        int shrink = scale * n0 - o0;
        if (good.Any(g => scale * g.In - g.Out != shrink))
        {
            return (scale, null);
        }
        if (shrink == 0 && alignment == 1)
        {
            return (scale, null);
        }
        if (shrink < 0 || shrink % (2 * scale) != 0)
        {
            return (scale, null);
        }
        int margin = shrink / (2 * scale);
        if (((n0 - 2 * margin) % alignment + alignment) % alignment != 0)
        {
            return (scale, null);
        }
        return (scale, new InputFraming(margin, mirrored ? PaddingMode.Reflect : PaddingMode.Replicate, alignment)
        {
            AddsNearestUpsampledInput = residual,
        });
    }

    /// <summary>Whether a strided layer's windows end on the last row and column of its (padded) input, dropping none.</summary>
    private static bool Exact(ModelNode node, IReadOnlyDictionary<string, TensorShape> shapes)
    {
        var input = shapes[node.Inputs[0]];
        return node.Spec switch
        {
            Conv2dSpec c => Fits(input.Height + c.Padding.Top + c.Padding.Bottom, c.DilationY * (c.KernelH - 1) + 1, c.StrideY) &&
                            Fits(input.Width + c.Padding.Left + c.Padding.Right, c.DilationX * (c.KernelW - 1) + 1, c.StrideX),
            Pool2dSpec { Global: false } p => Fits(input.Height + p.Padding.Top + p.Padding.Bottom, p.KernelH, p.StrideY) &&
                                               Fits(input.Width + p.Padding.Left + p.Padding.Right, p.KernelW, p.StrideX),
            _ => true,
        };

        static bool Fits(int size, int extent, int stride) => (size - extent) % stride == 0;
    }

    private static int Gcd(int a, int b) => b == 0 ? a : Gcd(b, a % b);
}
