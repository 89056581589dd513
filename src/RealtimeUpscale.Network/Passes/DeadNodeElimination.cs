namespace RealtimeUpscale.Network.Passes;

/// <summary>Pass 11: drops every node whose output the graph's output does not depend on.</summary>
public sealed class DeadNodeElimination : IGraphPass
{
    /// <inheritdoc />
    public string Name => "dead nodes";

    /// <inheritdoc />
    public ModelDefinition Apply(ModelDefinition definition)
    {
        ArgumentNullException.ThrowIfNull(definition);
        var needed = new HashSet<string> { definition.Output };
        var live = new List<ModelNode>();
        for (int i = definition.Nodes.Count - 1; i >= 0; i--)
        {
            var node = definition.Nodes[i];
            if (needed.Contains(node.Output))
            {
                live.Add(node);
                needed.UnionWith(node.Inputs);
            }
        }
        live.Reverse();
        return GraphRewrite.With(definition, live);
    }
}
