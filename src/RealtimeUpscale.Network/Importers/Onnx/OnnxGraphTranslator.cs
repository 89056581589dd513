using System.Globalization;
using RealtimeUpscale.Network.Passes;
using RealtimeUpscale.Runtime;

namespace RealtimeUpscale.Network.Importers.Onnx;

/// <summary>
/// One translation of an ONNX graph: checks the graph's input and output, then visits the nodes in file order.
/// A node whose inputs are all constants is folded; any other becomes one node of the definition (the Concat of
/// more than two tensors a chain of two-input concatenations). Its state only grows: constants, value aliases
/// (Identity and its kin), the channel count of each computed value and the nodes written so far.
/// </summary>
internal sealed class OnnxGraphTranslator
{
    private readonly OnnxModel _model;
    private readonly Dictionary<string, OnnxTensor> _consts = new();
    private readonly Dictionary<string, string> _alias = new();
    private readonly Dictionary<string, int> _channels = new();
    private readonly List<ModelNode> _nodes = new();

    public OnnxGraphTranslator(OnnxModel model)
    {
        _model = model;
    }

    public string Source => _model.Source;

    public long Opset => _model.Opset;

    public ModelDefinition Translate()
    {
        if (Opset is < 7 or > 21)
        {
            throw new ModelFormatException($"{Source}: opset {Opset} is not supported (7 to 21 are; the project tests 9 to 18).");
        }
        var graph = _model.Graph;
        foreach (var (name, t) in graph.Initializers)
        {
            _consts[name] = t;
        }
        var inputs = graph.Inputs.Where(i => !_consts.ContainsKey(i.Name)).ToList();
        if (inputs.Count != 1)
        {
            throw new ModelFormatException($"{Source}: the graph has {inputs.Count} non-constant inputs; exactly one image input is supported.");
        }
        if (graph.Outputs.Count != 1)
        {
            throw new ModelFormatException($"{Source}: the graph has {graph.Outputs.Count} outputs; exactly one is supported.");
        }
        var input = inputs[0];
        if (input.Dims.Count != 4 || input.Dims[1] is not { } c || c <= 0 || input.Dims[0] is > 1)
        {
            throw new ModelFormatException($"{Source}: input '{input.Name}' must be [1 or N, C, H, W] with a fixed channel count, " +
                                           $"got [{string.Join(",", input.Dims.Select((d, i) => d?.ToString(CultureInfo.InvariantCulture) ?? input.DimNames[i] ?? "?"))}].");
        }
        if (input.ElementType is not (OnnxDataType.Float or OnnxDataType.Undefined))
        {
            throw new ModelFormatException($"{Source}: input '{input.Name}' is {input.ElementType}; float32 is required.");
        }
        _channels[input.Name] = (int)c;

        foreach (var node in graph.Nodes)
        {
            var op = new OnnxOp(this, node);
            if (node.Domain is not ("" or "ai.onnx"))
            {
                throw op.Error($"is in domain '{node.Domain}'; only standard ONNX operators are supported");
            }
            if (node.Attributes.Values.Any(a => a.IsGraph))
            {
                throw op.Error("has a graph attribute (control flow), which is not supported");
            }
            Translate(op);
        }

        string graphOutput = graph.Outputs[0].Name;
        string output = Resolve(graphOutput);
        if (_consts.ContainsKey(output))
        {
            throw new ModelFormatException($"{Source}: the output '{graphOutput}' does not depend on the input.");
        }
        if (output == input.Name)
        {
            throw new ModelFormatException($"{Source}: the graph does nothing (its output is its input).");
        }
        if (!_channels.ContainsKey(output))
        {
            throw new ModelFormatException($"{Source}: the output '{graphOutput}' is not computed by any node.");
        }
        var provisional = new ModelDefinition(Info(input.Name, (int)c, 1), input.Name, output, _nodes.ToArray());
        return new ModelDefinition(Info(input.Name, (int)c, MeasureScale(provisional, (int)c)), input.Name, output, provisional.Nodes);
    }

    /// <summary>The value <paramref name="name"/> stands for once Identity-like nodes are looked through.</summary>
    public string Resolve(string name)
    {
        while (_alias.TryGetValue(name, out var target))
        {
            name = target;
        }
        return name;
    }

    public OnnxTensor? Constant(string name) => _consts.GetValueOrDefault(Resolve(name));

    /// <summary>Channels of a computed value, or null when it is no computed value (a constant, or undefined).</summary>
    public int? Channels(string name) => _channels.TryGetValue(Resolve(name), out int c) ? c : null;

    public void AddConstant(string name, OnnxTensor value) => _consts[name] = value;

    public void AddAlias(string name, string target) => _alias[name] = target;

    public void AddNode(ModelNode node, int channels)
    {
        _nodes.Add(node);
        _channels[node.Output] = channels;
    }

    private void Translate(OnnxOp op)
    {
        var node = op.Node;
        if (node.Outputs.Count == 0)
        {
            throw op.Error("has no output");
        }
        bool anyDynamic = node.Inputs.Where(i => i.Length > 0).Any(i => Channels(i) is not null);
        if (!anyDynamic && ConstantFolder.Ops.Contains(node.OpType))
        {
            var inputs = node.Inputs.Select(i => i.Length == 0 ? null : Constant(i)).ToList();
            for (int i = 0; i < inputs.Count; i++)
            {
                if (inputs[i] is null && node.Inputs[i].Length > 0)
                {
                    throw op.Error($"reads '{node.Inputs[i]}', which is not defined before it");
                }
            }
            _consts[node.Outputs[0]] = ConstantFolder.Evaluate(node, inputs, Opset, op.Error);
            return;
        }
        switch (node.OpType)
        {
            case "Identity":
            case "Dropout":
                op.Alias(op.Dynamic(0));
                break;
            case "Cast":
                long to = ConstantFolder.Attr(node, "to") ?? 0;
                if (to != (long)OnnxDataType.Float)
                {
                    throw op.Error($"casts the image to type {(OnnxDataType)to}; only float32 tensors run on the GPU");
                }
                op.Alias(op.Dynamic(0));
                break;
            case "Conv": OnnxConvolutionOps.Conv(op); break;
            case "ConvTranspose": OnnxConvolutionOps.ConvTranspose(op); break;
            case "Pad": OnnxConvolutionOps.Pad(op); break;
            case "Relu":
            case "PRelu":
            case "LeakyRelu":
            case "Tanh":
            case "Sigmoid":
            case "Clip":
                OnnxElementwiseOps.ActivationOp(op);
                break;
            case "BatchNormalization": OnnxElementwiseOps.BatchNormalization(op); break;
            case "Add":
            case "Sub":
            case "Mul":
            case "Div":
                OnnxElementwiseOps.Arithmetic(op);
                break;
            case "DepthToSpace": OnnxLayoutOps.DepthToSpace(op); break;
            case "Resize":
            case "Upsample":
                OnnxLayoutOps.Resize(op);
                break;
            case "Slice": OnnxLayoutOps.Slice(op); break;
            case "Concat": OnnxLayoutOps.Concat(op); break;
            default:
                throw op.Error($"is not supported. Supported operators: {string.Join(", ", OnnxImporter.SupportedOps)}");
        }
    }

    private ModelInfo Info(string inputName, int channels, double measuredScale)
    {
        var meta = _model.Metadata;
        string? cs = meta.GetValueOrDefault("colorspace") ?? meta.GetValueOrDefault("color_space");
        var colorSpace = cs?.Trim().ToLowerInvariant() switch
        {
            "y" or "luma" or "ycbcr" => ColorSpace.Y,
            "rgb" => ColorSpace.Rgb,
            null => channels == 1 ? ColorSpace.Y : ColorSpace.Rgb,
            var other => throw new ModelFormatException($"{Source}: metadata colorspace '{other}' is not 'y' or 'rgb'."),
        };
        // An RGB model may take other inputs (a generator's latent planes); a luma model takes one plane.
        if (colorSpace == ColorSpace.Y && channels != 1)
        {
            throw new ModelFormatException($"{Source}: metadata says colorspace {colorSpace} but input '{inputName}' has {channels} channels.");
        }
        double scale = measuredScale;
        if (meta.TryGetValue("scale", out var s))
        {
            if (!double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out scale) || scale <= 0)
            {
                throw new ModelFormatException($"{Source}: metadata scale '{s}' is not a positive number.");
            }
        }
        return new ModelInfo(Source, colorSpace, channels, scale, meta.GetValueOrDefault("input_range") ?? "0-1", meta);
    }

    /// <summary>The output width over the input width at 60x60, counting only the nodes the output needs.</summary>
    private static double MeasureScale(ModelDefinition definition, int channels)
    {
        try
        {
            return new DeadNodeElimination().Apply(definition).OutputShape(new TensorShape(channels, 60, 60)).Width / 60.0;
        }
        catch (ArgumentException)
        {
            return 1;
        }
    }
}
