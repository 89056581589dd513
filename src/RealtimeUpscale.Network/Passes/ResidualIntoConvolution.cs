using RealtimeUpscale.Runtime;

namespace RealtimeUpscale.Network.Passes;

/// <summary>
/// Pass 9: an addition of two tensors, one of which only a convolution (plain, resize- or sub-pixel) writes, fuses
/// with that convolution into a <see cref="ResidualConvSpec"/>, which adds the other operand as it stores each output
/// (after its activation and pixel shuffle, as the graph computed them), so neither the convolution's output nor the
/// sum is written and read back by a pass of its own: the residual blocks of SESR-style networks, and their
/// global residual, the bicubic-upsampled input added to the upscaled output. When the other operand is an upsample
/// read only by the addition, the fused layer samples the upsample's input at each output pixel instead, and the
/// upsampled tensor is never stored either; when it is a crop read only by the addition (a U-Net's skip connection
/// around valid convolutions, as in Real-CUGAN), the fused layer reads the window of the crop's input in place. A
/// crop to the size of a reference (<see cref="CropToSpec"/>, waifu2x's cunet) takes part when its margins are the
/// same at every size; when its reference is the convolution's output, which it reads for the shape only, that
/// output goes too.
/// </summary>
/// <remarks>
/// Only an addition without an activation of its own fuses (an activation after the sum would have to follow the
/// addition in the epilogue; one before it, on the convolution, already does). The operands must have one shape:
/// the fused kernel reads the residual at the output's own index, so a broadcast addition stays a node. Shapes are
/// not part of the graph, so the pass infers them at a few input sizes and fuses only where the two operands agree
/// at every size that fits the model. The fused node takes the convolution's name and the addition's place, after
/// every value it reads.
/// </remarks>
public sealed class ResidualIntoConvolution : IGraphPass
{
    /// <inheritdoc />
    public string Name => "residual addition into convolution";

    /// <inheritdoc />
    public ModelDefinition Apply(ModelDefinition definition)
    {
        ArgumentNullException.ThrowIfNull(definition);
        var nodes = definition.Nodes.ToList();
        var uses = new Dictionary<string, int> { [definition.Output] = 1 };
        foreach (var v in nodes.SelectMany(n => n.Inputs))
        {
            uses[v] = uses.GetValueOrDefault(v) + 1;
        }
        bool Removable(string value) => value != definition.Input && value != definition.Output && uses.GetValueOrDefault(value) == 1;
        IReadOnlyList<IReadOnlyDictionary<string, TensorShape>>? shapes = null;

        for (int i = 0; i < nodes.Count; i++)
        {
            var add = nodes[i];
            if (add.Spec is not BinarySpec { Operator: BinaryOperator.Add, Activation.Kind: ActivationKind.None } || add.Inputs.Count != 2)
            {
                continue;
            }
            for (int k = 0; k < 2; k++)
            {
                string convValue = add.Inputs[k], other = add.Inputs[1 - k];
                int p = nodes.FindIndex(n => n.Output == convValue);
                // A crop to the convolution's own output (ncnn's Crop with a reference blob) reads that output for
                // its shape only: the output may still go, with the crop.
                int u = Removable(other) ? nodes.FindIndex(n => n.Output == other && n.Spec is UpsampleSpec or CropSpec or CropToSpec) : -1;
                bool shapeOnly = u >= 0 && nodes[u].Spec is CropToSpec && nodes[u].Inputs[1] == convValue && nodes[u].Inputs[0] != convValue &&
                    uses.GetValueOrDefault(convValue) == 2 && convValue != definition.Output;
                if (!(Removable(convValue) || shapeOnly) || p < 0 || !ResidualConvSpec.Takes(nodes[p].Spec))
                {
                    continue;
                }
                shapes ??= GraphRewrite.ProbeShapes(definition);
                if (shapes.Count == 0 || !shapes.All(s => s[convValue] == s[other]))
                {
                    continue;
                }
                var crop = u >= 0 ? nodes[u].Spec switch
                {
                    CropSpec c => c,
                    CropToSpec t => FixedWindow(t, nodes[u].Inputs[0], other, shapes, definition),
                    _ => null,
                } : null;
                if (u >= 0 && nodes[u].Spec is CropToSpec && crop is null)
                {
                    if (shapeOnly)
                    {
                        continue;
                    }
                    u = -1; // a window that moves with the size: the crop stays a node, added as it is
                }
                var conv = nodes[p];
                var spec = new ResidualConvSpec(conv.Spec, u >= 0 ? nodes[u].Spec as UpsampleSpec : null, crop);
                string residual = u >= 0 ? nodes[u].Inputs[0] : other;
                nodes[i] = new ModelNode(conv.Name, spec, new[] { conv.Inputs[0], residual }, add.Output);
                foreach (int gone in new[] { p, u }.Where(g => g >= 0).OrderDescending())
                {
                    nodes.RemoveAt(gone);
                    i--;
                }
                break;
            }
        }
        return GraphRewrite.With(definition, nodes);
    }

    /// <summary>
    /// The crop a <see cref="CropToSpec"/> of <paramref name="source"/> makes (its output <paramref name="output"/>) as
    /// fixed margins, when they are the same at every probed size (a U-Net of valid convolutions crops its skip
    /// connections by a constant amount); null when the window moves with the size. Besides the pass's three sizes it
    /// probes sixteen more, one of every remainder modulo 16 on each axis, so that a margin that depends on how
    /// four levels of stride 2 round the size is seen to move.
    /// </summary>
    private static CropSpec? FixedWindow(CropToSpec crop, string source, string output, IReadOnlyList<IReadOnlyDictionary<string, TensorShape>> probed,
        ModelDefinition definition)
    {
        var shapes = probed.Concat(GraphRewrite.ProbeShapes(definition, Enumerable.Range(0, 16).Select(r => (48 + r, 48 + (r + 5) % 16))));
        var windows = shapes.Select(s => (Bottom: s[source].Height - crop.Top - s[output].Height, Right: s[source].Width - crop.Left - s[output].Width,
            Count: s[output].Channels, AllChannels: crop.ChannelStart == 0 && s[output].Channels == s[source].Channels)).Distinct().ToList();
        if (windows.Count != 1)
        {
            return null;
        }
        var w = windows[0];
        return new CropSpec(crop.Top, crop.Left, w.Bottom, w.Right, crop.ChannelStart, w.AllChannels ? null : w.Count);
    }
}
