using RealtimeUpscale.Runtime;

namespace RealtimeUpscale.Network.Passes;

/// <summary>
/// The two shapes of fusion the passes share, and node-by-node replacement. A value may be fused away only
/// when exactly one node reads it (counting a node that reads it twice twice) and it is not the graph's output.
/// </summary>
internal static class GraphRewrite
{
    /// <summary>
    /// Fuses each single-input node into the node that produces its input: the producer takes the fused spec and
    /// writes the consumer's output, in the producer's place, and keeps its name; the consumer goes. Chains fuse
    /// in one call (a second consumer meets the already fused producer).
    /// </summary>
    public static ModelDefinition FuseIntoProducer(ModelDefinition definition, Func<LayerSpec, LayerSpec, LayerSpec?> fuse)
    {
        var nodes = definition.Nodes.ToList();
        var uses = Uses(definition);
        for (int i = 0; i < nodes.Count; i++)
        {
            if (Producer(definition, nodes, uses, nodes[i]) is not { } p || fuse(nodes[p].Spec, nodes[i].Spec) is not { } fused)
            {
                continue;
            }
            nodes[p] = nodes[p] with { Spec = fused, Output = nodes[i].Output };
            nodes.RemoveAt(i);
            i--;
        }
        return With(definition, nodes);
    }

    /// <summary>
    /// Fuses the producer of each single-input node's input into it: the node takes the fused spec and reads
    /// what the producer read, in its own place, and keeps its name; the producer goes.
    /// </summary>
    public static ModelDefinition FuseProducerInto(ModelDefinition definition, Func<LayerSpec, LayerSpec, LayerSpec?> fuse)
    {
        var nodes = definition.Nodes.ToList();
        var uses = Uses(definition);
        for (int i = 0; i < nodes.Count; i++)
        {
            if (Producer(definition, nodes, uses, nodes[i]) is not { } p || fuse(nodes[p].Spec, nodes[i].Spec) is not { } fused)
            {
                continue;
            }
            nodes[i] = nodes[i] with { Spec = fused, Inputs = nodes[p].Inputs };
            nodes.RemoveAt(p);
            i--;
        }
        return With(definition, nodes);
    }

    /// <summary>Replaces each node's spec by <paramref name="replace"/>'s result (the same spec to keep it).</summary>
    public static ModelDefinition Replace(ModelDefinition definition, Func<LayerSpec, LayerSpec> replace)
    {
        var nodes = definition.Nodes.Select(n => replace(n.Spec) is var s && !ReferenceEquals(s, n.Spec) ? n with { Spec = s } : n).ToList();
        return With(definition, nodes);
    }

    /// <summary>A definition with the same facts, input and output, and these nodes.</summary>
    public static ModelDefinition With(ModelDefinition definition, IReadOnlyList<ModelNode> nodes) =>
        nodes.Count == definition.Nodes.Count && nodes.Select((n, i) => ReferenceEquals(n, definition.Nodes[i])).All(same => same)
            ? definition
            : new ModelDefinition(definition.Info, definition.Input, definition.Output, nodes);

    /// <summary>How many times each value is read; the graph's output counts as read once more.</summary>
    private static Dictionary<string, int> Uses(ModelDefinition definition)
    {
        var uses = new Dictionary<string, int> { [definition.Output] = 1 };
        foreach (var v in definition.Nodes.SelectMany(n => n.Inputs))
        {
            uses[v] = uses.GetValueOrDefault(v) + 1;
        }
        return uses;
    }

    /// <summary>The index of the node producing <paramref name="node"/>'s only input, when that value may be fused away.</summary>
    private static int? Producer(ModelDefinition definition, List<ModelNode> nodes, Dictionary<string, int> uses, ModelNode node)
    {
        if (node.Inputs.Count != 1)
        {
            return null;
        }
        string value = node.Inputs[0];
        if (value == definition.Output || value == definition.Input || uses.GetValueOrDefault(value) != 1)
        {
            return null;
        }
        int p = nodes.FindIndex(n => n.Output == value);
        return p >= 0 ? p : null;
    }

    /// <summary>
    /// The shapes of every value at three input sizes (odd and even, multiples of a framing's alignment, around its
    /// margin), leaving out the sizes the model does not take.
    /// </summary>
    /// <param name="definition">The graph.</param>
    /// <param name="sizes">Other sizes, in multiples of the alignment beyond the margin, instead of the three.</param>
    public static IReadOnlyList<IReadOnlyDictionary<string, TensorShape>> ProbeShapes(ModelDefinition definition, IEnumerable<(int H, int W)>? sizes = null)
    {
        int align = definition.Info.Framing?.Alignment ?? 1;
        int margin = 2 * (definition.Info.Framing?.Margin ?? 0);
        var result = new List<IReadOnlyDictionary<string, TensorShape>>();
        foreach (var (h, w) in sizes ?? new[] { (13, 17), (24, 10), (31, 46) })
        {
            try
            {
                result.Add(definition.InferShapes(new TensorShape(definition.Info.InputChannels, margin + h * align, margin + w * align)));
            }
            catch (ArgumentException)
            {
                // A size this model does not take says nothing about the operands' shapes.
            }
        }
        return result;
    }
}
