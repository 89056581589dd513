namespace RealtimeUpscale.Network.Passes;

/// <summary>
/// One rewrite of a model graph: a pure function from a definition to an equivalent one (the same output for
/// every input, up to float rounding). A pass never changes its argument.
/// </summary>
public interface IGraphPass
{
    /// <summary>The pass's name in listings.</summary>
    string Name { get; }

    /// <summary>The rewritten graph; <paramref name="definition"/> itself when nothing applies.</summary>
    ModelDefinition Apply(ModelDefinition definition);
}
