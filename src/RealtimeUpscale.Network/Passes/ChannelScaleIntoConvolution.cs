using RealtimeUpscale.Runtime;

namespace RealtimeUpscale.Network.Passes;

/// <summary>
/// Pass 10: a per-channel scale, <c>Mul(x, s)</c> with s of shape C x 1 x 1 (the last step of a squeeze-excitation
/// block), fuses into the convolutions that read its product, when only convolutions read it: as their input, or as
/// the residual source of a fused residual (<see cref="ResidualConvSpec"/>). Each such convolution becomes a
/// <see cref="ChannelScaledConvSpec"/> that reads x and multiplies each value it reads by its channel's factor, so
/// the product, as large as x, is neither written nor read back (Real-CUGAN's four blocks, whose products feed a
/// strided convolution, a sub-pixel convolution and a skip connection).
/// </summary>
/// <remarks>
/// Runs after the residual pass, so that a product a skip connection crops meets the fused residual that reads it.
/// Only a multiplication without an activation fuses, and only where, at every probed input size, s has one factor
/// per channel of x and the product has x's shape. A convolution that reads the product twice, or already scales
/// that operand, keeps the multiplication.
/// </remarks>
public sealed class ChannelScaleIntoConvolution : IGraphPass
{
    /// <inheritdoc />
    public string Name => "channel scale into convolution";

    /// <inheritdoc />
    public ModelDefinition Apply(ModelDefinition definition)
    {
        ArgumentNullException.ThrowIfNull(definition);
        var nodes = definition.Nodes.ToList();
        IReadOnlyList<IReadOnlyDictionary<string, TensorShape>>? shapes = null;
        for (int i = 0; i < nodes.Count; i++)
        {
            var mul = nodes[i];
            if (mul.Spec is not BinarySpec { Operator: BinaryOperator.Mul, Activation.Kind: ActivationKind.None } ||
                mul.Inputs.Count != 2 || mul.Output == definition.Output)
            {
                continue;
            }
            var readers = Enumerable.Range(0, nodes.Count).Where(r => nodes[r].Inputs.Contains(mul.Output)).ToList();
            if (readers.Count == 0 || !readers.All(r => Slot(nodes[r], mul.Output) is not null))
            {
                continue;
            }
            shapes ??= GraphRewrite.ProbeShapes(definition);
            for (int k = 0; k < 2; k++)
            {
                string x = mul.Inputs[k], s = mul.Inputs[1 - k];
                if (shapes.Count == 0 || !shapes.All(v => v[s] == new TensorShape(v[x].Channels, 1, 1) && v[mul.Output] == v[x]))
                {
                    continue;
                }
                foreach (int r in readers)
                {
                    nodes[r] = Scaled(nodes[r], mul.Output, x, s);
                }
                nodes.RemoveAt(i);
                i--;
                break;
            }
        }
        return GraphRewrite.With(definition, nodes);
    }

    /// <summary>
    /// Where <paramref name="node"/> can take a scale of <paramref name="value"/>: 0 as its convolution's input, 1
    /// as its residual source; null where it cannot (not a convolution, reads the value twice or elsewhere, or
    /// already scales that operand).
    /// </summary>
    private static int? Slot(ModelNode node, string value)
    {
        var scaled = node.Spec as ChannelScaledConvSpec;
        var conv = ChannelScaledConvSpec.Unscaled(node.Spec);
        if (!ChannelScaledConvSpec.Takes(conv) || node.Inputs.Count(v => v == value) != 1)
        {
            return null;
        }
        int at = node.Inputs.ToList().IndexOf(value);
        return at switch
        {
            0 when scaled is not { ScalesInput: true } => 0,
            1 when conv is ResidualConvSpec && scaled is not { ScalesResidual: true } => 1,
            _ => null,
        };
    }

    /// <summary><paramref name="node"/> reading <paramref name="x"/> scaled by <paramref name="s"/> where it read <paramref name="product"/>.</summary>
    private static ModelNode Scaled(ModelNode node, string product, string x, string s)
    {
        var old = node.Spec as ChannelScaledConvSpec;
        var conv = ChannelScaledConvSpec.Unscaled(node.Spec);
        int slot = Slot(node, product)!.Value;
        var own = node.Inputs.Take(conv.InputCount).Select(v => v == product ? x : v).ToList();
        string? inputScale = old is { ScalesInput: true } ? node.Inputs[old.InputScaleIndex] : slot == 0 ? s : null;
        string? residualScale = old is { ScalesResidual: true } ? node.Inputs[old.ResidualScaleIndex] : slot == 1 ? s : null;
        var spec = new ChannelScaledConvSpec(conv, inputScale is not null, residualScale is not null);
        var inputs = own.Concat(new[] { inputScale, residualScale }.OfType<string>()).ToList();
        return node with { Spec = spec, Inputs = inputs };
    }
}
