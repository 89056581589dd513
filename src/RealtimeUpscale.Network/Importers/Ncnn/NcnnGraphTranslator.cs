using RealtimeUpscale.Network.Passes;

namespace RealtimeUpscale.Network.Importers.Ncnn;

/// <summary>
/// One translation of an ncnn .param + .bin pair into a plain <see cref="ModelDefinition"/>: the layers in file
/// order, each reading its weights from the .bin in that order (as ncnn does), each becoming one node (a few
/// become two or a chain) of a typed spec. State per blob: its channel count (0 only for an input whose count the
/// file does not give, until the first layer with weights fixes it) and ncnn's rank (3 for feature maps, 1 for
/// the vectors of global pooling and fully connected layers; it decides BinaryOp's broadcast). Split tops are
/// aliases of their bottom. Every error names the file, the line, the layer and its type.
/// </summary>
internal sealed class NcnnGraphTranslator
{
    private readonly Dictionary<string, string> _alias = new();
    private readonly Dictionary<string, (int Channels, int Rank)> _blobs = new();
    private readonly HashSet<string> _read = new();
    private readonly List<ModelNode> _nodes = new();
    private string? _input;

    public NcnnGraphTranslator(string paramPath, NcnnWeights weights)
    {
        ParamPath = paramPath;
        Weights = weights;
    }

    public string ParamPath { get; }

    public NcnnWeights Weights { get; }

    /// <summary>Whether the file holds a BinaryOp layer: the mark of pnnx-exported models (see <see cref="NcnnFraming"/>).</summary>
    public bool HasBinaryOp { get; private set; }

    public ModelDefinition Translate(IReadOnlyList<NcnnLayerLine> layers)
    {
        foreach (var layer in layers)
        {
            HasBinaryOp |= layer.Type == "BinaryOp";
            Translate(layer);
        }
        // Real-CUGAN x4's network ends in a pixel shuffle and predicts a residual (see NcnnFraming).
        bool residual = HasBinaryOp && layers[^1].Type == "PixelShuffle";
        if (_input is null)
        {
            throw new ModelFormatException($"{ParamPath}: the file has no Input layer.");
        }
        if (Weights.Remaining > 0)
        {
            throw new ModelFormatException($"{Weights.Path}: {Weights.Remaining} bytes are left after the weights of every layer " +
                                           "(the .bin does not belong to this .param?).");
        }
        var unread = _blobs.Keys.Where(b => !_read.Contains(b)).ToList();
        if (unread.Count != 1)
        {
            throw new ModelFormatException($"{ParamPath}: the graph needs exactly one output (a blob no layer reads); it has {unread.Count}" +
                                           (unread.Count > 0 ? $": {string.Join(", ", unread.Take(5))}" : "") + ".");
        }
        string output = unread[0];
        if (output == _input)
        {
            throw new ModelFormatException($"{ParamPath}: the graph does nothing (its output is its input).");
        }
        int channels = _blobs[_input].Channels;
        if (channels <= 0)
        {
            throw new ModelFormatException($"{ParamPath}: the input's channel count is not given (Input 2=c) and no layer with weights reads it.");
        }
        if (channels is not (1 or 3))
        {
            throw new ModelFormatException($"{ParamPath}: the input has {channels} channels; image models take 1 (luma) or 3 (RGB).");
        }
        var info = new ModelInfo(ParamPath, channels == 1 ? ColorSpace.Y : ColorSpace.Rgb, channels, 1, "0-1", new Dictionary<string, string>());
        var plain = new ModelDefinition(info, _input, output, _nodes.ToArray());
        var (scale, framing) = NcnnFraming.Derive(new DeadNodeElimination().Apply(plain), HasBinaryOp, residual);
        return new ModelDefinition(info with { Scale = scale, Framing = framing }, _input, output, plain.Nodes);
    }

    public ModelFormatException Error(NcnnLayerLine layer, string reason) =>
        new($"{ParamPath}:{layer.Line}: layer '{layer.Name}' ({layer.Type}) {reason}.");

    /// <summary>The value bottom <paramref name="index"/> of <paramref name="layer"/> stands for; it must have been made.</summary>
    public string Bottom(NcnnLayerLine layer, int index)
    {
        string name = layer.Bottoms[index];
        while (_alias.TryGetValue(name, out var target))
        {
            name = target;
        }
        if (!_blobs.ContainsKey(name))
        {
            throw Error(layer, $"reads blob '{layer.Bottoms[index]}', which no earlier layer makes (a blob used before it is made, or a cycle)");
        }
        _read.Add(name);
        return name;
    }

    public int Channels(NcnnLayerLine layer, string value)
    {
        int c = _blobs[value].Channels;
        return c > 0 ? c : throw Error(layer, $"reads '{value}', whose channel count is unknown (give it in the Input layer, 2=c)");
    }

    public int Rank(string value) => _blobs[value].Rank;

    /// <summary>Fixes the channel count of <paramref name="value"/> to what <paramref name="layer"/>'s weights say, or checks it.</summary>
    public void RequireChannels(NcnnLayerLine layer, string value, int channels)
    {
        var (known, rank) = _blobs[value];
        if (known == 0)
        {
            _blobs[value] = (channels, rank);
        }
        else if (known != channels)
        {
            throw Error(layer, $"has weights for {channels} input channels but reads '{value}' with {known}");
        }
    }

    public void Expect(NcnnLayerLine layer, int bottoms, int tops)
    {
        if (layer.Bottoms.Count != bottoms || layer.Tops.Count != tops)
        {
            throw Error(layer, $"has {layer.Bottoms.Count} inputs and {layer.Tops.Count} outputs; it takes {bottoms} and {tops}");
        }
    }

    /// <summary>Declares a new blob (a layer's top); each may be made once.</summary>
    public void Define(NcnnLayerLine layer, string name, int channels, int rank)
    {
        if (_blobs.ContainsKey(name) || _alias.ContainsKey(name))
        {
            throw Error(layer, $"makes blob '{name}', which an earlier layer already made");
        }
        _blobs[name] = (channels, rank);
    }

    public void DefineInput(NcnnLayerLine layer, int channels)
    {
        if (_input is not null)
        {
            throw Error(layer, $"is a second input; the graph has one ('{_input}')");
        }
        Define(layer, layer.Tops[0], channels, 3);
        _input = layer.Tops[0];
    }

    public void Alias(NcnnLayerLine layer, string top, string value)
    {
        if (_blobs.ContainsKey(top) || _alias.ContainsKey(top))
        {
            throw Error(layer, $"makes blob '{top}', which an earlier layer already made");
        }
        _alias[top] = value;
    }

    /// <summary>Adds a node writing <paramref name="output"/> (a new blob); the spec is validated here.</summary>
    public void Emit(NcnnLayerLine layer, LayerSpec spec, IReadOnlyList<string> inputs, string output, int channels, int rank = 3, string? nodeName = null)
    {
        try
        {
            spec.Validate();
        }
        catch (ArgumentException e)
        {
            throw Error(layer, $"is not valid: {e.Message}");
        }
        Define(layer, output, channels, rank);
        // The inputs are read: layers that become a chain (Concat, Eltwise of three or more) feed their
        // intermediate values, which no Bottom() names, to the next node of the chain.
        _read.UnionWith(inputs);
        _nodes.Add(new ModelNode(nodeName ?? layer.Name, spec, inputs, output));
    }

    private void Translate(NcnnLayerLine layer)
    {
        switch (layer.Type)
        {
            case "Input":
                Expect(layer, 0, 1);
                DefineInput(layer, layer.Int(2, 0, r => Error(layer, r)));
                break;
            case "Split":
                if (layer.Bottoms.Count != 1 || layer.Tops.Count < 1)
                {
                    throw Error(layer, $"has {layer.Bottoms.Count} inputs and {layer.Tops.Count} outputs; it takes 1 and 1 or more");
                }
                string source = Bottom(layer, 0);
                foreach (var top in layer.Tops)
                {
                    Alias(layer, top, source);
                }
                break;
            case "Noop":
            case "Dropout":
                Expect(layer, 1, 1);
                if (layer.Type == "Dropout" && layer.Float(0, 1f) != 1f)
                {
                    throw Error(layer, "scales its input (0=scale other than 1), which is not supported");
                }
                Alias(layer, layer.Tops[0], Bottom(layer, 0));
                break;
            case "Convolution":
            case "ConvolutionDepthWise":
                NcnnConvolutionLayers.Convolution(this, layer);
                break;
            case "Deconvolution":
            case "DeconvolutionDepthWise":
                NcnnConvolutionLayers.Deconvolution(this, layer);
                break;
            case "InnerProduct": NcnnConvolutionLayers.InnerProduct(this, layer); break;
            case "Pooling": NcnnConvolutionLayers.Pooling(this, layer); break;
            case "Scale": NcnnElementwiseLayers.Scale(this, layer); break;
            case "BatchNorm": NcnnElementwiseLayers.BatchNorm(this, layer); break;
            case "BinaryOp": NcnnElementwiseLayers.BinaryOp(this, layer); break;
            case "Eltwise": NcnnElementwiseLayers.Eltwise(this, layer); break;
            case "ReLU":
            case "PReLU":
            case "Sigmoid":
            case "TanH":
            case "Clip":
                NcnnElementwiseLayers.ActivationLayer(this, layer);
                break;
            case "Crop": NcnnLayoutLayers.Crop(this, layer); break;
            case "Concat": NcnnLayoutLayers.Concat(this, layer); break;
            case "Interp": NcnnLayoutLayers.Interp(this, layer); break;
            case "PixelShuffle": NcnnLayoutLayers.PixelShuffle(this, layer); break;
            case "Padding": NcnnLayoutLayers.Padding(this, layer); break;
            default:
                throw Error(layer, $"is not supported. Supported layers: {string.Join(", ", NcnnImporter.SupportedLayers)}");
        }
    }
}
