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
/// around valid convolutions, as in Real-CUGAN), the fused layer reads the window of the crop's input in place.
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
                if (!Removable(convValue) || p < 0 || !ResidualConvSpec.Takes(nodes[p].Spec))
                {
                    continue;
                }
                shapes ??= GraphRewrite.ProbeShapes(definition);
                if (shapes.Count == 0 || !shapes.All(s => s[convValue] == s[other]))
                {
                    continue;
                }
                int u = Removable(other) ? nodes.FindIndex(n => n.Output == other && n.Spec is UpsampleSpec or CropSpec) : -1;
                var conv = nodes[p];
                var spec = new ResidualConvSpec(conv.Spec, u >= 0 ? nodes[u].Spec as UpsampleSpec : null, u >= 0 ? nodes[u].Spec as CropSpec : null);
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
}
