using System.Globalization;
using RealtimeUpscale.Runtime;

namespace RealtimeUpscale.Network.Onnx;

/// <summary>
/// Lowers an ONNX graph to typed layer specs, folding constant subgraphs and fusing what the GPU should do
/// in one pass: Pad into the Conv or ConvTranspose after it; BatchNormalization, constant Add/Sub/Mul/Div and
/// activations into the layer before them; Slice into the ConvTranspose before it (a larger crop); DepthToSpace
/// after a Conv (sub-pixel convolution); Resize or Upsample before a Conv (resize-convolution).
/// Anything it cannot run is a <see cref="ModelFormatException"/> naming the file, the node, the op and why.
/// </summary>
public static class OnnxImporter
{
    /// <summary>The operators the importer runs (plus any constant-only subgraph of the folding operators).</summary>
    public static IReadOnlyList<string> SupportedOps { get; } = new[]
    {
        "Conv", "ConvTranspose", "DepthToSpace", "Resize", "Upsample", "Pad", "Slice", "Relu", "PRelu", "LeakyRelu",
        "Tanh", "Sigmoid", "Clip", "Add", "Sub", "Mul", "Div", "Identity", "Dropout", "Constant", "Concat",
        "BatchNormalization", "Cast",
    };

    /// <summary>Lowers <paramref name="model"/>.</summary>
    public static ModelDefinition Import(OnnxModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        return new Importer(model).Run();
    }

    /// <summary>A Pad waiting for the convolution after it; lowered to a 1x1 depthwise identity when none takes it.</summary>
    private sealed record PadSpec(Padding Padding, PaddingMode Mode) : LayerSpec
    {
        public override void Validate() => Padding.Validate("Pad");

        public override TensorShape OutputShape(IReadOnlyList<TensorShape> inputs) => IdentityConv(inputs[0].Channels).OutputShape(inputs);

        public Conv2dSpec IdentityConv(int channels) => new()
        {
            InChannels = channels, OutChannels = channels, KernelH = 1, KernelW = 1, Groups = channels,
            Weights = Enumerable.Repeat(1f, channels).ToArray(), Padding = Padding, PaddingMode = Mode,
        };
    }

    private sealed class IrNode
    {
        public required string Name { get; init; }
        public required LayerSpec Spec { get; set; }
        public required List<string> Inputs { get; init; }
        public required string Output { get; set; }
    }

    private sealed class Importer
    {
        private const long Unbounded = 1L << 30;
        private readonly OnnxModel _model;
        private readonly string _source;
        private readonly long _opset;
        private readonly Dictionary<string, OnnxTensor> _consts = new();
        private readonly Dictionary<string, string> _alias = new();
        private readonly Dictionary<string, int> _channels = new();
        private readonly Dictionary<string, int> _uses = new();
        private readonly List<IrNode> _nodes = new();
        private readonly Dictionary<string, IrNode> _producer = new();
        private OnnxNode _node = new();
        private string _graphOutput = "";

        public Importer(OnnxModel model)
        {
            _model = model;
            _source = model.Source;
            _opset = model.Opset;
        }

        public ModelDefinition Run()
        {
            if (_opset is < 7 or > 21)
            {
                throw new ModelFormatException($"{_source}: opset {_opset} is not supported (7 to 21 are; the project tests 9 to 18).");
            }
            var graph = _model.Graph;
            foreach (var (name, t) in graph.Initializers)
            {
                _consts[name] = t;
            }
            var inputs = graph.Inputs.Where(i => !_consts.ContainsKey(i.Name)).ToList();
            if (inputs.Count != 1)
            {
                throw new ModelFormatException($"{_source}: the graph has {inputs.Count} non-constant inputs; exactly one image input is supported.");
            }
            if (graph.Outputs.Count != 1)
            {
                throw new ModelFormatException($"{_source}: the graph has {graph.Outputs.Count} outputs; exactly one is supported.");
            }
            var input = inputs[0];
            if (input.Dims.Count != 4 || input.Dims[1] is not { } c || c <= 0 || input.Dims[0] is > 1)
            {
                throw new ModelFormatException($"{_source}: input '{input.Name}' must be [1 or N, C, H, W] with a fixed channel count, " +
                                               $"got [{string.Join(",", input.Dims.Select((d, i) => d?.ToString(CultureInfo.InvariantCulture) ?? input.DimNames[i] ?? "?"))}].");
            }
            if (input.ElementType is not (OnnxDataType.Float or OnnxDataType.Undefined))
            {
                throw new ModelFormatException($"{_source}: input '{input.Name}' is {input.ElementType}; float32 is required.");
            }
            _channels[input.Name] = (int)c;
            _graphOutput = graph.Outputs[0].Name;
            foreach (var n in graph.Nodes)
            {
                foreach (var i in n.Inputs.Where(i => i.Length > 0))
                {
                    _uses[i] = _uses.GetValueOrDefault(i) + 1;
                }
            }
            _uses[_graphOutput] = _uses.GetValueOrDefault(_graphOutput) + 1;

            foreach (var node in graph.Nodes)
            {
                _node = node;
                if (node.Domain is not ("" or "ai.onnx"))
                {
                    throw Error($"is in domain '{node.Domain}'; only standard ONNX operators are supported");
                }
                if (node.Attributes.Values.Any(a => a.IsGraph))
                {
                    throw Error("has a graph attribute (control flow), which is not supported");
                }
                Lower(node);
            }

            string output = Resolve(_graphOutput);
            if (_consts.ContainsKey(output))
            {
                throw new ModelFormatException($"{_source}: the output '{_graphOutput}' does not depend on the input.");
            }
            if (output == input.Name)
            {
                throw new ModelFormatException($"{_source}: the graph does nothing (its output is its input).");
            }
            var live = Prune(output);
            var definitionNodes = live.Select(n => new ModelNode(n.Name,
                n.Spec is PadSpec pad ? pad.IdentityConv(_channels[n.Inputs[0]]) : n.Spec, n.Inputs, n.Output)).ToList();
            foreach (var n in definitionNodes)
            {
                try
                {
                    n.Spec.Validate();
                }
                catch (ArgumentException e)
                {
                    throw new ModelFormatException($"{_source}: layer '{n.Name}': {e.Message}", e);
                }
            }
            var provisional = new ModelDefinition(Info(input.Name, (int)c, 1), input.Name, output, definitionNodes);
            return new ModelDefinition(Info(input.Name, (int)c, MeasureScale(provisional, (int)c)), input.Name, output, definitionNodes);
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
                var other => throw new ModelFormatException($"{_source}: metadata colorspace '{other}' is not 'y' or 'rgb'."),
            };
            // An RGB model may take other inputs (a generator's latent planes); a luma model takes one plane.
            if (colorSpace == ColorSpace.Y && channels != 1)
            {
                throw new ModelFormatException($"{_source}: metadata says colorspace {colorSpace} but input '{inputName}' has {channels} channels.");
            }
            double scale = measuredScale;
            if (meta.TryGetValue("scale", out var s))
            {
                if (!double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out scale) || scale <= 0)
                {
                    throw new ModelFormatException($"{_source}: metadata scale '{s}' is not a positive number.");
                }
            }
            return new ModelInfo(_source, colorSpace, channels, scale, meta.GetValueOrDefault("input_range") ?? "0-1", meta);
        }

        private static double MeasureScale(ModelDefinition definition, int channels)
        {
            try
            {
                return definition.OutputShape(new TensorShape(channels, 60, 60)).Width / 60.0;
            }
            catch (ArgumentException)
            {
                return 1;
            }
        }

        private List<IrNode> Prune(string output)
        {
            var needed = new HashSet<string> { output };
            var live = new List<IrNode>();
            for (int i = _nodes.Count - 1; i >= 0; i--)
            {
                if (needed.Contains(_nodes[i].Output))
                {
                    live.Add(_nodes[i]);
                    needed.UnionWith(_nodes[i].Inputs);
                }
            }
            live.Reverse();
            return live;
        }

        private ModelFormatException Error(string reason) =>
            new($"{_source}: node '{_node.Label}' (op {_node.OpType}) {reason}.");

        private string Resolve(string name)
        {
            while (_alias.TryGetValue(name, out var target))
            {
                name = target;
            }
            return name;
        }

        private OnnxTensor? Const(int index)
        {
            if (index >= _node.Inputs.Count || _node.Inputs[index].Length == 0)
            {
                return null;
            }
            return _consts.GetValueOrDefault(Resolve(_node.Inputs[index]));
        }

        private OnnxTensor RequireConst(int index, string what) =>
            Const(index) ?? throw Error($"needs a constant {what} (input {index}); computed {what}s are not supported");

        private string Dynamic(int index)
        {
            if (index >= _node.Inputs.Count || _node.Inputs[index].Length == 0)
            {
                throw Error($"is missing input {index}");
            }
            string name = Resolve(_node.Inputs[index]);
            if (!_channels.ContainsKey(name))
            {
                throw Error($"reads '{name}', which is neither the image input, a constant nor a computed tensor");
            }
            return name;
        }

        private bool IsDynamic(int index) =>
            index < _node.Inputs.Count && _node.Inputs[index].Length > 0 && _channels.ContainsKey(Resolve(_node.Inputs[index]));

        /// <summary>The node producing <paramref name="value"/>, when only one node reads it (so it may be fused into).</summary>
        private IrNode? SoleProducer(string value) =>
            _producer.TryGetValue(value, out var p) && _uses.GetValueOrDefault(value) == 1 && value != _graphOutput ? p : null;

        private void Emit(LayerSpec spec, IEnumerable<string> inputs, int channels)
        {
            string output = _node.Outputs[0];
            var ir = new IrNode { Name = _node.Label, Spec = spec, Inputs = inputs.ToList(), Output = output };
            _nodes.Add(ir);
            _producer[output] = ir;
            _channels[output] = channels;
        }

        /// <summary>Makes <paramref name="producer"/> write this node's output instead of its own.</summary>
        private void Absorb(IrNode producer, LayerSpec spec)
        {
            string old = producer.Output;
            _producer.Remove(old);
            int channels = _channels[old];
            producer.Spec = spec;
            producer.Output = _node.Outputs[0];
            _producer[producer.Output] = producer;
            _channels[producer.Output] = channels;
        }

        private void Alias(string to)
        {
            string from = _node.Outputs[0];
            _alias[from] = to;
            _uses[to] = _uses.GetValueOrDefault(to) + _uses.GetValueOrDefault(from) - 1;
            if (from == _graphOutput)
            {
                _graphOutput = to;
            }
        }

        private void Lower(OnnxNode node)
        {
            if (node.Outputs.Count == 0)
            {
                throw Error("has no output");
            }
            bool anyDynamic = node.Inputs.Where(i => i.Length > 0).Any(i => _channels.ContainsKey(Resolve(i)));
            if (!anyDynamic && ConstantFolder.Ops.Contains(node.OpType))
            {
                var inputs = node.Inputs.Select(i => i.Length == 0 ? null : _consts.GetValueOrDefault(Resolve(i))).ToList();
                for (int i = 0; i < inputs.Count; i++)
                {
                    if (inputs[i] is null && node.Inputs[i].Length > 0)
                    {
                        throw Error($"reads '{node.Inputs[i]}', which is not defined before it");
                    }
                }
                _consts[node.Outputs[0]] = ConstantFolder.Evaluate(node, inputs, _opset, r => Error(r));
                return;
            }
            switch (node.OpType)
            {
                case "Identity":
                case "Dropout":
                    Alias(Dynamic(0));
                    break;
                case "Cast":
                    long to = ConstantFolder.Attr(node, "to") ?? 0;
                    if (to != (long)OnnxDataType.Float)
                    {
                        throw Error($"casts the image to type {(OnnxDataType)to}; only float32 tensors run on the GPU");
                    }
                    Alias(Dynamic(0));
                    break;
                case "Conv": LowerConv(); break;
                case "ConvTranspose": LowerConvTranspose(); break;
                case "Pad": LowerPad(); break;
                case "Relu":
                case "PRelu":
                case "LeakyRelu":
                case "Tanh":
                case "Sigmoid":
                case "Clip":
                    LowerActivation();
                    break;
                case "BatchNormalization": LowerBatchNorm(); break;
                case "Add":
                case "Sub":
                case "Mul":
                case "Div":
                    LowerArithmetic();
                    break;
                case "DepthToSpace": LowerDepthToSpace(); break;
                case "Resize":
                case "Upsample":
                    LowerResize();
                    break;
                case "Slice": LowerSlice(); break;
                case "Concat": LowerConcat(); break;
                default:
                    throw Error($"is not supported. Supported operators: {string.Join(", ", SupportedOps)}");
            }
        }

        private int[] IntsAttr(string name, int count, int fallback)
        {
            var v = ConstantFolder.Ints(_node, name);
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

        private void CheckAutoPad(int kh, int kw, int sy, int sx, ref int[] pads)
        {
            string autoPad = _node.Attributes.TryGetValue("auto_pad", out var a) ? a.String ?? "NOTSET" : "NOTSET";
            switch (autoPad)
            {
                case "NOTSET":
                    return;
                case "VALID":
                    pads = new int[4];
                    return;
                case "SAME_UPPER" or "SAME_LOWER" when sy == 1 && sx == 1:
                    int th = kh - 1, tw = kw - 1;
                    pads = autoPad == "SAME_UPPER"
                        ? new[] { th / 2, tw / 2, th - th / 2, tw - tw / 2 }
                        : new[] { th - th / 2, tw - tw / 2, th / 2, tw / 2 };
                    return;
                default:
                    throw Error($"uses auto_pad {autoPad} with stride ({sy}, {sx}); give explicit pads");
            }
        }

        private void LowerConv()
        {
            string x = Dynamic(0);
            var w = RequireConst(1, "weight");
            var b = Const(2);
            if (w.Dims.Length != 4)
            {
                throw Error($"has weight {w}; only 2D convolutions are supported");
            }
            int group = (int)(ConstantFolder.Attr(_node, "group") ?? 1);
            int oc = (int)w.Dims[0], kh = (int)w.Dims[2], kw = (int)w.Dims[3];
            int ic = _channels[x];
            if (w.Dims[1] * group != ic)
            {
                throw Error($"has weight {w} with group {group}, which does not fit {ic} input channels");
            }
            var strides = IntsAttr("strides", 2, 1);
            var dil = IntsAttr("dilations", 2, 1);
            var pads = IntsAttr("pads", 4, 0);
            CheckAutoPad((kh - 1) * dil[0] + 1, (kw - 1) * dil[1] + 1, strides[0], strides[1], ref pads);
            if (b is not null && b.ElementCount != oc)
            {
                throw Error($"has bias {b} for {oc} output channels");
            }
            var spec = new Conv2dSpec
            {
                InChannels = ic, OutChannels = oc, KernelH = kh, KernelW = kw, Weights = w.AsFloats(), Bias = b?.AsFloats(),
                StrideY = strides[0], StrideX = strides[1], DilationY = dil[0], DilationX = dil[1],
                Padding = new Padding(pads[0], pads[1], pads[2], pads[3]), Groups = group,
            };
            if (SoleProducer(x) is { Spec: PadSpec pad } padNode)
            {
                bool noOwnPad = spec.Padding == default;
                if (noOwnPad || pad.Mode == PaddingMode.Zeros)
                {
                    var p = spec.Padding;
                    spec = spec with
                    {
                        Padding = new Padding(p.Top + pad.Padding.Top, p.Left + pad.Padding.Left, p.Bottom + pad.Padding.Bottom, p.Right + pad.Padding.Right),
                        PaddingMode = pad.Mode,
                    };
                    _nodes.Remove(padNode);
                    _producer.Remove(x);
                    x = padNode.Inputs[0];
                }
            }
            Validate(spec);
            if (SoleProducer(x) is { Spec: UpsampleSpec up } upNode)
            {
                _nodes.Remove(upNode);
                _producer.Remove(x);
                Emit(new ResizeConvSpec(up, spec), new[] { upNode.Inputs[0] }, oc);
                return;
            }
            Emit(spec, new[] { x }, oc);
        }

        private void Validate(LayerSpec spec)
        {
            try
            {
                spec.Validate();
            }
            catch (ArgumentException e)
            {
                throw Error(e.Message);
            }
        }

        private void LowerConvTranspose()
        {
            string x = Dynamic(0);
            var w = RequireConst(1, "weight");
            var b = Const(2);
            if (w.Dims.Length != 4)
            {
                throw Error($"has weight {w}; only 2D transposed convolutions are supported");
            }
            int group = (int)(ConstantFolder.Attr(_node, "group") ?? 1);
            int ic = _channels[x];
            if (w.Dims[0] != ic)
            {
                throw Error($"has weight {w}, which does not fit {ic} input channels");
            }
            int oc = (int)w.Dims[1] * group, kh = (int)w.Dims[2], kw = (int)w.Dims[3];
            if (_node.Attributes.ContainsKey("output_shape"))
            {
                throw Error("sets output_shape; give pads and output_padding instead");
            }
            var dil = IntsAttr("dilations", 2, 1);
            if (dil[0] != 1 || dil[1] != 1)
            {
                throw Error($"has dilations ({dil[0]}, {dil[1]}); only 1 is supported for transposed convolution");
            }
            var strides = IntsAttr("strides", 2, 1);
            var pads = IntsAttr("pads", 4, 0);
            var outPad = IntsAttr("output_padding", 2, 0);
            string autoPad = _node.Attributes.TryGetValue("auto_pad", out var a) ? a.String ?? "NOTSET" : "NOTSET";
            if (autoPad is not ("NOTSET" or "VALID"))
            {
                throw Error($"uses auto_pad {autoPad}; give explicit pads");
            }
            if (b is not null && b.ElementCount != oc)
            {
                throw Error($"has bias {b} for {oc} output channels");
            }
            var spec = new ConvTranspose2dSpec
            {
                InChannels = ic, OutChannels = oc, KernelH = kh, KernelW = kw, Weights = w.AsFloats(), Bias = b?.AsFloats(),
                StrideY = strides[0], StrideX = strides[1], Padding = new Padding(pads[0], pads[1], pads[2], pads[3]),
                OutputPaddingY = outPad[0], OutputPaddingX = outPad[1], Groups = group,
            };
            if (SoleProducer(x) is { Spec: PadSpec pad } padNode)
            {
                spec = spec with { InputPadding = pad.Padding, InputPaddingMode = pad.Mode };
                _nodes.Remove(padNode);
                _producer.Remove(x);
                x = padNode.Inputs[0];
            }
            Validate(spec);
            Emit(spec, new[] { x }, oc);
        }

        private void LowerPad()
        {
            string x = Dynamic(0);
            long[] pads;
            float value = 0;
            string mode = _node.Attributes.TryGetValue("mode", out var m) ? m.String ?? "constant" : "constant";
            if (_opset < 11)
            {
                pads = ConstantFolder.Ints(_node, "pads");
                value = _node.Attributes.TryGetValue("value", out var v) ? v.Float ?? 0 : 0;
            }
            else
            {
                pads = RequireConst(1, "pads").AsLongs();
                if (Const(2) is { } cv)
                {
                    value = cv.AsFloats()[0];
                }
                if (_node.Inputs.Count > 3 && _node.Inputs[3].Length > 0)
                {
                    throw Error("pads selected axes (the axes input); pad all four axes instead");
                }
            }
            if (pads.Length != 8 || pads[0] != 0 || pads[1] != 0 || pads[4] != 0 || pads[5] != 0)
            {
                throw Error($"pads [{string.Join(",", pads)}]; only height and width may be padded");
            }
            if (pads.Any(p => p < 0))
            {
                throw Error($"has negative pads [{string.Join(",", pads)}]; use Slice to crop");
            }
            var padMode = mode switch
            {
                "constant" when value == 0 => PaddingMode.Zeros,
                "constant" => throw Error($"pads with the constant {value}; only 0 is supported"),
                "edge" => PaddingMode.Replicate,
                "reflect" => PaddingMode.Reflect,
                _ => throw Error($"uses mode '{mode}'; constant, edge and reflect are supported"),
            };
            Emit(new PadSpec(new Padding((int)pads[2], (int)pads[3], (int)pads[6], (int)pads[7]), padMode), new[] { x }, _channels[x]);
        }

        private Activation ActivationOf(int channels)
        {
            switch (_node.OpType)
            {
                case "Relu": return Activation.Relu;
                case "Tanh": return Activation.Tanh;
                case "Sigmoid": return Activation.Sigmoid;
                case "LeakyRelu":
                    return Activation.LeakyRelu(_node.Attributes.TryGetValue("alpha", out var a) ? a.Float ?? 0.01f : 0.01f);
                case "PRelu":
                {
                    var slope = RequireConst(1, "slope");
                    return slope.ElementCount == 1 ? Activation.PRelu(slope.AsFloats()[0]) : Activation.PRelu(PerChannel(slope, channels));
                }
                default:
                {
                    float min = float.MinValue, max = float.MaxValue;
                    if (_opset < 11)
                    {
                        if (_node.Attributes.TryGetValue("min", out var lo))
                        {
                            min = lo.Float ?? min;
                        }
                        if (_node.Attributes.TryGetValue("max", out var hi))
                        {
                            max = hi.Float ?? max;
                        }
                    }
                    else
                    {
                        if (_node.Inputs.Count > 1 && _node.Inputs[1].Length > 0)
                        {
                            min = RequireConst(1, "min").AsFloats()[0];
                        }
                        if (_node.Inputs.Count > 2 && _node.Inputs[2].Length > 0)
                        {
                            max = RequireConst(2, "max").AsFloats()[0];
                        }
                    }
                    return Activation.Clip(min, max);
                }
            }
        }

        private void LowerActivation()
        {
            string x = Dynamic(0);
            int channels = _channels[x];
            var act = ActivationOf(channels);
            if (SoleProducer(x) is { } p && WithActivation(p.Spec, act) is { } fused)
            {
                Absorb(p, fused);
                return;
            }
            Emit(new ScaleBiasSpec(Enumerable.Repeat(1f, channels).ToArray(), new float[channels], act), new[] { x }, channels);
        }

        /// <summary>The spec with <paramref name="act"/> applied to its outputs, or null when it cannot take it.</summary>
        private static LayerSpec? WithActivation(LayerSpec spec, Activation act)
        {
            switch (spec)
            {
                case Conv2dSpec c when c.Activation.Kind == ActivationKind.None: return c with { Activation = act };
                case ResizeConvSpec r when r.Conv.Activation.Kind == ActivationKind.None: return r with { Conv = r.Conv with { Activation = act } };
                case SubPixelConvSpec s when s.Conv.Activation.Kind == ActivationKind.None:
                    var a = act.Slopes is null ? act : Activation.PRelu(ToConvChannels(act.Slopes, s));
                    return s with { Conv = s.Conv with { Activation = a } };
                case ConvTranspose2dSpec t when t.Activation.Kind == ActivationKind.None: return t with { Activation = act };
                case BinarySpec bin when bin.Activation.Kind == ActivationKind.None: return bin with { Activation = act };
                case ScaleBiasSpec sb when sb.Activation.Kind == ActivationKind.None: return sb with { Activation = act };
                default: return null;
            }
        }

        /// <summary>Per-channel values of a sub-pixel convolution's output, mapped back to its convolution channels.</summary>
        private static float[] ToConvChannels(float[] perOutput, SubPixelConvSpec s)
        {
            int r2 = s.Shuffle.Scale * s.Shuffle.Scale;
            int c = s.Conv.OutChannels / r2;
            return Enumerable.Range(0, s.Conv.OutChannels)
                .Select(oc => perOutput[s.Shuffle.Order == DepthToSpaceOrder.Crd ? oc / r2 : oc % c]).ToArray();
        }

        /// <summary>The spec followed by y = x * scale[c] + bias[c], or null when it cannot take it.</summary>
        private static LayerSpec? WithAffine(LayerSpec spec, float[] scale, float[] bias)
        {
            switch (spec)
            {
                case Conv2dSpec c when c.Activation.Kind == ActivationKind.None:
                    return AffineConv(c, scale, bias);
                case ResizeConvSpec r when r.Conv.Activation.Kind == ActivationKind.None:
                    return r with { Conv = AffineConv(r.Conv, scale, bias) };
                case SubPixelConvSpec s when s.Conv.Activation.Kind == ActivationKind.None:
                    return s with { Conv = AffineConv(s.Conv, ToConvChannels(scale, s), ToConvChannels(bias, s)) };
                case ConvTranspose2dSpec t when t.Activation.Kind == ActivationKind.None:
                {
                    var w = (float[])t.Weights.Clone();
                    int ocg = t.OutChannels / t.Groups, k = t.KernelH * t.KernelW, icg = t.InChannels / t.Groups;
                    for (int ic = 0; ic < t.InChannels; ic++)
                    {
                        for (int j = 0; j < ocg; j++)
                        {
                            float s = scale[ic / icg * ocg + j];
                            for (int i = 0; i < k; i++)
                            {
                                w[(ic * ocg + j) * k + i] *= s;
                            }
                        }
                    }
                    var b = Enumerable.Range(0, t.OutChannels).Select(o => (t.Bias?[o] ?? 0) * scale[o] + bias[o]).ToArray();
                    return t with { Weights = w, Bias = b };
                }
                case ScaleBiasSpec sb when sb.Activation.Kind == ActivationKind.None:
                    return new ScaleBiasSpec(sb.Scale.Select((s, i) => s * scale[i]).ToArray(),
                        sb.Bias.Select((b, i) => b * scale[i] + bias[i]).ToArray());
                default:
                    return null;
            }
        }

        private static Conv2dSpec AffineConv(Conv2dSpec c, float[] scale, float[] bias)
        {
            var w = (float[])c.Weights.Clone();
            int per = w.Length / c.OutChannels;
            for (int oc = 0; oc < c.OutChannels; oc++)
            {
                for (int i = 0; i < per; i++)
                {
                    w[oc * per + i] *= scale[oc];
                }
            }
            var b = Enumerable.Range(0, c.OutChannels).Select(o => (c.Bias?[o] ?? 0) * scale[o] + bias[o]).ToArray();
            return c with { Weights = w, Bias = b };
        }

        private void EmitAffine(string x, float[] scale, float[] bias)
        {
            if (SoleProducer(x) is { } p && WithAffine(p.Spec, scale, bias) is { } fused)
            {
                Absorb(p, fused);
                return;
            }
            Emit(new ScaleBiasSpec(scale, bias), new[] { x }, scale.Length);
        }

        private void LowerBatchNorm()
        {
            string x = Dynamic(0);
            int c = _channels[x];
            var gamma = RequireConst(1, "scale").AsFloats();
            var beta = RequireConst(2, "bias").AsFloats();
            var mean = RequireConst(3, "mean").AsFloats();
            var variance = RequireConst(4, "variance").AsFloats();
            if (new[] { gamma, beta, mean, variance }.Any(a => a.Length != c))
            {
                throw Error($"has parameters that do not match {c} channels");
            }
            if (_node.Outputs.Count(o => o.Length > 0) > 1)
            {
                throw Error("is in training mode (more than one output); export the model in eval mode");
            }
            float eps = _node.Attributes.TryGetValue("epsilon", out var e) ? e.Float ?? 1e-5f : 1e-5f;
            var scale = new float[c];
            var bias = new float[c];
            for (int i = 0; i < c; i++)
            {
                double a = gamma[i] / Math.Sqrt(variance[i] + (double)eps);
                scale[i] = (float)a;
                bias[i] = (float)(beta[i] - mean[i] * a);
            }
            EmitAffine(x, scale, bias);
        }

        /// <summary>A constant broadcast against [1, C, H, W] as one value per channel.</summary>
        private float[] PerChannel(OnnxTensor t, int channels)
        {
            var dims = t.Dims.SkipWhile(d => d == 1).ToArray();
            var values = t.AsFloats();
            if (values.Length == 1)
            {
                return Enumerable.Repeat(values[0], channels).ToArray();
            }
            // [C], [C,1,1] and [1,C,1,1] broadcast per channel; [C] alone would broadcast over width, so it needs the trailing ones.
            bool perChannel = dims.Length == 3 && dims[0] == channels && dims[1] == 1 && dims[2] == 1;
            if (!perChannel)
            {
                throw Error($"combines the image with constant {t}; only scalars and per-channel [C,1,1] constants broadcast on the GPU");
            }
            return values;
        }

        private void LowerArithmetic()
        {
            bool d0 = IsDynamic(0), d1 = IsDynamic(1);
            string op = _node.OpType;
            if (d0 && d1)
            {
                string a = Dynamic(0), b = Dynamic(1);
                if (_channels[a] != _channels[b])
                {
                    throw Error($"combines tensors of {_channels[a]} and {_channels[b]} channels; broadcasting between computed tensors is not supported");
                }
                Emit(new BinarySpec(Enum.Parse<BinaryOperator>(op)), new[] { a, b }, _channels[a]);
                return;
            }
            string x = Dynamic(d0 ? 0 : 1);
            int c = _channels[x];
            var k = PerChannel(RequireConst(d0 ? 1 : 0, "operand"), c);
            var ones = Enumerable.Repeat(1f, c).ToArray();
            var zeros = new float[c];
            var (scale, bias) = (op, d0) switch
            {
                ("Add", _) => (ones, k),
                ("Sub", true) => (ones, k.Select(v => -v).ToArray()),
                ("Sub", false) => (Enumerable.Repeat(-1f, c).ToArray(), k),
                ("Mul", _) => (k, zeros),
                ("Div", true) when k.All(v => v != 0) => (k.Select(v => 1 / v).ToArray(), zeros),
                ("Div", true) => throw Error("divides by zero"),
                _ => throw Error("divides a constant by the image; only the image divided by a constant is supported"),
            };
            EmitAffine(x, scale, bias);
        }

        private void LowerDepthToSpace()
        {
            string x = Dynamic(0);
            int r = (int)(ConstantFolder.Attr(_node, "blocksize") ?? throw Error("has no blocksize"));
            string mode = _node.Attributes.TryGetValue("mode", out var m) ? m.String ?? "DCR" : "DCR";
            var order = mode switch
            {
                "DCR" => DepthToSpaceOrder.Dcr,
                "CRD" => DepthToSpaceOrder.Crd,
                _ => throw Error($"uses mode '{mode}'; DCR and CRD are supported"),
            };
            var shuffle = new PixelShuffleSpec(r, order);
            Validate(shuffle);
            int c = _channels[x];
            if (c % (r * r) != 0)
            {
                throw Error($"shuffles {c} channels by blocksize {r}");
            }
            if (SoleProducer(x) is { Spec: Conv2dSpec conv } p)
            {
                Absorb(p, new SubPixelConvSpec(conv, shuffle));
                _channels[p.Output] = c / (r * r);
                return;
            }
            Emit(shuffle, new[] { x }, c / (r * r));
        }

        private void LowerResize()
        {
            string x = Dynamic(0);
            string mode = (_node.Attributes.TryGetValue("mode", out var m) ? m.String : null) ?? "nearest";
            string transform = (_node.Attributes.TryGetValue("coordinate_transformation_mode", out var t) ? t.String : null) ?? "half_pixel";
            string nearestMode = (_node.Attributes.TryGetValue("nearest_mode", out var nm) ? nm.String : null) ?? "round_prefer_floor";
            float cubicA = _node.Attributes.TryGetValue("cubic_coeff_a", out var ca) ? ca.Float ?? -0.75f : -0.75f;
            float[]? scales = null;
            long[]? sizes = null;
            if (_node.OpType == "Upsample")
            {
                transform = "asymmetric";
                nearestMode = "floor";
                scales = _opset < 9
                    ? _node.Attributes.GetValueOrDefault("scales")?.Floats.ToArray() ?? throw Error("has no scales attribute")
                    : RequireConst(1, "scales").AsFloats();
            }
            else if (_opset < 11)
            {
                transform = "asymmetric";
                nearestMode = "floor";
                scales = RequireConst(1, "scales").AsFloats();
            }
            else
            {
                if (Const(2) is { ElementCount: > 0 } s)
                {
                    scales = s.AsFloats();
                }
                if (Const(3) is { ElementCount: > 0 } z)
                {
                    sizes = z.AsLongs();
                }
                if (scales is null && sizes is null)
                {
                    throw Error("has neither constant scales nor constant sizes");
                }
                if (_node.Attributes.TryGetValue("exclude_outside", out var ex) && ex.Int is not null and not 0)
                {
                    throw Error("sets exclude_outside; only 0 is supported");
                }
                if (_node.Attributes.ContainsKey("antialias") && _node.Attributes["antialias"].Int is not null and not 0)
                {
                    throw Error("sets antialias; only 0 is supported");
                }
            }
            if ((scales is not null && (scales.Length != 4 || scales[0] != 1 || scales[1] != 1)) ||
                (sizes is not null && sizes.Length != 4))
            {
                throw Error("resizes the batch or channel axis; only height and width may be resized");
            }
            UpsampleMode upMode;
            bool align;
            switch (mode)
            {
                case "nearest":
                    upMode = UpsampleMode.Nearest;
                    align = false;
                    bool integral = scales is not null && scales.Skip(2).All(v => v == MathF.Floor(v));
                    bool pytorchNearest = transform == "asymmetric" && nearestMode == "floor";
                    // With integer factors, half-pixel centres rounded half down pick the same pixels as floor(d / s).
                    bool equivalent = integral && transform is "half_pixel" or "pytorch_half_pixel" && nearestMode == "round_prefer_floor";
                    if (!pytorchNearest && !equivalent)
                    {
                        throw Error($"uses nearest with {transform}/{nearestMode}; asymmetric/floor (PyTorch's nearest) is supported, " +
                                    "and half_pixel/round_prefer_floor at integer scales");
                    }
                    break;
                case "linear" or "bilinear":
                    upMode = UpsampleMode.Bilinear;
                    align = ResizeAlign(transform);
                    break;
                case "cubic" or "bicubic":
                    upMode = UpsampleMode.Bicubic;
                    align = ResizeAlign(transform);
                    if (Math.Abs(cubicA + 0.75f) > 1e-6f)
                    {
                        throw Error($"uses cubic_coeff_a {cubicA}; only -0.75 (PyTorch's bicubic) is supported");
                    }
                    break;
                default:
                    throw Error($"uses mode '{mode}'; nearest, linear and cubic are supported");
            }
            var spec = sizes is not null
                ? new UpsampleSpec { Mode = upMode, AlignCorners = align, OutputHeight = (int)sizes[2], OutputWidth = (int)sizes[3] }
                : new UpsampleSpec { Mode = upMode, AlignCorners = align, ScaleY = scales![2], ScaleX = scales[3] };
            Validate(spec);
            Emit(spec, new[] { x }, _channels[x]);
        }

        private bool ResizeAlign(string transform) => transform switch
        {
            "align_corners" => true,
            "half_pixel" or "pytorch_half_pixel" => false,
            _ => throw Error($"uses coordinate_transformation_mode '{transform}' with interpolation; " +
                             "half_pixel, pytorch_half_pixel and align_corners are supported"),
        };

        private void LowerSlice()
        {
            string x = Dynamic(0);
            long[] starts, ends, axes, steps;
            if (_opset >= 10)
            {
                starts = RequireConst(1, "starts").AsLongs();
                ends = RequireConst(2, "ends").AsLongs();
                axes = Const(3)?.AsLongs() ?? Enumerable.Range(0, starts.Length).Select(i => (long)i).ToArray();
                steps = Const(4)?.AsLongs() ?? Enumerable.Repeat(1L, starts.Length).ToArray();
            }
            else
            {
                starts = ConstantFolder.Ints(_node, "starts");
                ends = ConstantFolder.Ints(_node, "ends");
                axes = _node.Attributes.ContainsKey("axes") ? ConstantFolder.Ints(_node, "axes") : Enumerable.Range(0, starts.Length).Select(i => (long)i).ToArray();
                steps = Enumerable.Repeat(1L, starts.Length).ToArray();
            }
            int channels = _channels[x];
            int top = 0, left = 0, bottom = 0, right = 0, c0 = 0, cCount = channels;
            for (int i = 0; i < axes.Length; i++)
            {
                long axis = axes[i] < 0 ? axes[i] + 4 : axes[i];
                if (steps[i] != 1)
                {
                    throw Error($"slices axis {axis} with step {steps[i]}; only step 1 is supported");
                }
                long s = starts[i], e = ends[i];
                if (axis == 0)
                {
                    if (s > 0 || (e < Unbounded && e < 1 && e >= 0))
                    {
                        throw Error("slices the batch axis");
                    }
                    continue;
                }
                if (axis == 1)
                {
                    long b = s < 0 ? s + channels : Math.Min(s, channels);
                    long en = e < 0 ? e + channels : Math.Min(e, channels);
                    if (b < 0 || en <= b)
                    {
                        throw Error($"keeps no channels of {channels}");
                    }
                    c0 = (int)b;
                    cCount = (int)(en - b);
                    continue;
                }
                if (s < 0)
                {
                    throw Error($"starts axis {axis} at {s} from the end; height and width are dynamic, so only starts counted from the beginning are supported");
                }
                long margin = e < 0 ? -e : e >= Unbounded ? 0 : throw Error(
                    $"ends axis {axis} at the fixed index {e}; height and width are dynamic, so ends must count from the end (negative) or be unbounded");
                if (axis == 2)
                {
                    top = (int)s;
                    bottom = (int)margin;
                }
                else
                {
                    left = (int)s;
                    right = (int)margin;
                }
            }
            if (c0 == 0 && cCount == channels && SoleProducer(x) is { Spec: ConvTranspose2dSpec t } p)
            {
                var pad = t.Padding;
                Absorb(p, t with { Padding = new Padding(pad.Top + top, pad.Left + left, pad.Bottom + bottom, pad.Right + right) });
                return;
            }
            Emit(new CropSpec(top, left, bottom, right, c0, cCount), new[] { x }, cCount);
        }

        private void LowerConcat()
        {
            long axis = ConstantFolder.Attr(_node, "axis") ?? throw Error("has no axis");
            if (axis is not (1 or -3))
            {
                throw Error($"concatenates on axis {axis}; only the channel axis (1) is supported");
            }
            var parts = Enumerable.Range(0, _node.Inputs.Count).Select(i =>
                IsDynamic(i) ? Dynamic(i) : throw Error("concatenates a constant with the image; only computed tensors may be concatenated")).ToList();
            if (parts.Count == 1)
            {
                Alias(parts[0]);
                return;
            }
            string acc = parts[0];
            for (int i = 1; i < parts.Count; i++)
            {
                int channels = _channels[acc] + _channels[parts[i]];
                if (i == parts.Count - 1)
                {
                    Emit(new ConcatSpec(), new[] { acc, parts[i] }, channels);
                }
                else
                {
                    string partial = $"{_node.Outputs[0]}#concat{i}";
                    var ir = new IrNode { Name = _node.Label, Spec = new ConcatSpec(), Inputs = new List<string> { acc, parts[i] }, Output = partial };
                    _nodes.Add(ir);
                    _producer[partial] = ir;
                    _channels[partial] = channels;
                    _uses[partial] = 1;
                    acc = partial;
                }
            }
        }
    }
}
