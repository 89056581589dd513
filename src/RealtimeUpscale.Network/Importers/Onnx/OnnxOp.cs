namespace RealtimeUpscale.Network.Importers.Onnx;

/// <summary>
/// One ONNX node being translated: reads its inputs (constants or computed values), its attributes, and
/// writes its result into the translation. Every error it makes names the file, the node and the op.
/// </summary>
internal sealed class OnnxOp
{
    private readonly OnnxGraphTranslator _graph;

    public OnnxOp(OnnxGraphTranslator graph, OnnxNode node)
    {
        _graph = graph;
        Node = node;
    }

    public OnnxNode Node { get; }

    public long Opset => _graph.Opset;

    public string OpType => Node.OpType;

    public ModelFormatException Error(string reason) =>
        new($"{_graph.Source}: node '{Node.Label}' (op {Node.OpType}) {reason}.");

    /// <summary>The single value of a one-element constant (a pad value, a clip bound), refused otherwise.</summary>
    public float Scalar(OnnxTensor t, string what) =>
        t.ElementCount == 1 ? t.AsFloats()[0] : throw Error($"has a {what} of {t.ElementCount} elements; it must hold one");

    /// <summary>The constant at input <paramref name="index"/>, or null when the input is omitted or computed.</summary>
    public OnnxTensor? Const(int index)
    {
        if (index >= Node.Inputs.Count || Node.Inputs[index].Length == 0)
        {
            return null;
        }
        return _graph.Constant(Node.Inputs[index]);
    }

    public OnnxTensor RequireConst(int index, string what) =>
        Const(index) ?? throw Error($"needs a constant {what} (input {index}); computed {what}s are not supported");

    /// <summary>The computed value at input <paramref name="index"/>.</summary>
    public string Dynamic(int index)
    {
        if (index >= Node.Inputs.Count || Node.Inputs[index].Length == 0)
        {
            throw Error($"is missing input {index}");
        }
        string name = _graph.Resolve(Node.Inputs[index]);
        if (_graph.Channels(name) is null)
        {
            throw Error($"reads '{name}', which is neither the image input, a constant nor a computed tensor");
        }
        return name;
    }

    public bool IsDynamic(int index) =>
        index < Node.Inputs.Count && Node.Inputs[index].Length > 0 && _graph.Channels(Node.Inputs[index]) is not null;

    /// <summary>Channels of a computed value returned by <see cref="Dynamic"/>.</summary>
    public int Channels(string value) => _graph.Channels(value) ?? throw Error($"reads '{value}', which is not computed");

    public bool HasAttribute(string name) => Node.Attributes.ContainsKey(name);

    public string StringAttribute(string name, string fallback) =>
        (Node.Attributes.TryGetValue(name, out var a) ? a.String : null) ?? fallback;

    public float FloatAttribute(string name, float fallback) =>
        Node.Attributes.TryGetValue(name, out var a) ? a.Float ?? fallback : fallback;

    public long? IntAttribute(string name) => ConstantFolder.Attr(Node, name);

    /// <summary>A per-axis integer attribute of a 2D operator, or <paramref name="fallback"/> on every axis when absent.</summary>
    public int[] IntsAttribute(string name, int count, int fallback)
    {
        var v = ConstantFolder.Ints(Node, name);
        if (v.Length == 0)
        {
            return Enumerable.Repeat(fallback, count).ToArray();
        }
        if (v.Length != count)
        {
            throw Error($"attribute {name} has {v.Length} values, {count} expected for a 2D operator");
        }
        return v.Select(x => checked((int)x)).ToArray();
    }

    /// <summary>Checks a spec, naming this node when it is inconsistent.</summary>
    public T Validated<T>(T spec) where T : LayerSpec
    {
        try
        {
            spec.Validate();
        }
        catch (ArgumentException e)
        {
            throw Error(e.Message);
        }
        return spec;
    }

    /// <summary>Writes the node: <paramref name="spec"/> reads <paramref name="inputs"/> and writes this node's first output.</summary>
    public void Emit(LayerSpec spec, IReadOnlyList<string> inputs, int channels) => Emit(spec, inputs, Node.Outputs[0], channels);

    /// <summary>Writes one node of this operator's translation to the value <paramref name="output"/>.</summary>
    public void Emit(LayerSpec spec, IReadOnlyList<string> inputs, string output, int channels) =>
        _graph.AddNode(new ModelNode(Node.Label, Validated(spec), inputs, output), channels);

    /// <summary>Makes this node's output another name of <paramref name="value"/> (Identity, Dropout, Cast).</summary>
    public void Alias(string value) => _graph.AddAlias(Node.Outputs[0], value);
}
