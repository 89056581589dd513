namespace RealtimeUpscale.Network.Importers.Ncnn;

/// <summary>
/// The ncnn layers with weights or windows: Convolution and ConvolutionDepthWise (to <see cref="Conv2dSpec"/>),
/// Deconvolution and DeconvolutionDepthWise (to <see cref="ConvTranspose2dSpec"/>), InnerProduct (to
/// <see cref="FullyConnectedSpec"/>) and Pooling (to <see cref="Pool2dSpec"/>). Their activation (9=type,
/// 10=parameters) becomes the spec's own. Parameter ids as ncnn's src/layer/*.cpp read them.
/// </summary>
internal static class NcnnConvolutionLayers
{
    /// <summary>Output channels, kernel sizes and weight counts beyond these are refused before reading weights.</summary>
    private const int MaxChannels = 1 << 16;
    private const int MaxKernel = 64;

    public static void Convolution(NcnnGraphTranslator g, NcnnLayerLine l)
    {
        g.Expect(l, 1, 1);
        string x = g.Bottom(l, 0);
        var w = Window(g, l);
        int group = l.Type == "ConvolutionDepthWise" ? l.Int(7, 1, r => g.Error(l, r)) : 1;
        int weightCount = l.Int(6, 0, r => g.Error(l, r));
        int inChannels = InputChannels(g, l, weightCount, w.Out, w.KernelH * w.KernelW, group);
        g.RequireChannels(l, x, inChannels);
        if (l.Int(19, 0, r => g.Error(l, r)) != 0)
        {
            throw g.Error(l, "takes its weights as an input (19=dynamic_weight), which is not supported");
        }
        if (l.Float(18, 0f) != 0f)
        {
            throw g.Error(l, "pads with a non-zero value (18=pad_value), which is not supported");
        }
        var (weights, bias) = ReadWeights(g, l, weightCount, w.Out, w.BiasTerm);
        var padding = ConvPadding(g, l, w);
        var spec = new Conv2dSpec
        {
            InChannels = inChannels, OutChannels = w.Out, KernelH = w.KernelH, KernelW = w.KernelW, Weights = weights, Bias = bias,
            StrideY = w.StrideH, StrideX = w.StrideW, DilationY = w.DilationH, DilationX = w.DilationW, Padding = padding,
            Groups = group, Activation = FusedActivation(g, l),
        };
        g.Emit(l, spec, new[] { x }, l.Tops[0], w.Out);
    }

    public static void Deconvolution(NcnnGraphTranslator g, NcnnLayerLine l)
    {
        g.Expect(l, 1, 1);
        string x = g.Bottom(l, 0);
        var w = Window(g, l);
        int group = l.Type == "DeconvolutionDepthWise" ? l.Int(7, 1, r => g.Error(l, r)) : 1;
        int weightCount = l.Int(6, 0, r => g.Error(l, r));
        int inChannels = InputChannels(g, l, weightCount, w.Out, w.KernelH * w.KernelW, group);
        g.RequireChannels(l, x, inChannels);
        if (w.DilationH != 1 || w.DilationW != 1)
        {
            throw g.Error(l, $"is dilated ({w.DilationH}, {w.DilationW}); dilated transposed convolutions are not supported");
        }
        if (l.Int(20, 0, r => g.Error(l, r)) != 0 || l.Int(21, 0, r => g.Error(l, r)) != 0)
        {
            throw g.Error(l, "fixes its output size (20=output_w, 21=output_h), which is not supported");
        }
        int padLeft = l.Int(4, 0, r => g.Error(l, r));
        if (padLeft < 0)
        {
            throw g.Error(l, $"pads by {padLeft} (automatic SAME padding), which transposed convolutions do not support");
        }
        int padTop = l.Int(14, padLeft, r => g.Error(l, r));
        var crop = new Padding(padTop, padLeft, l.Int(16, padTop, r => g.Error(l, r)), l.Int(15, padLeft, r => g.Error(l, r)));
        int outPadRight = l.Int(18, 0, r => g.Error(l, r));
        int outPadBottom = l.Int(19, outPadRight, r => g.Error(l, r));
        var (ncnnWeights, bias) = ReadWeights(g, l, weightCount, w.Out, w.BiasTerm);
        // ncnn stores each group's weights output channel first, [group][out/g][in/g][kh][kw]; PyTorch's
        // ConvTranspose2d wants input channel first, [in][out/g][kh][kw] with in = group * (in/g) + i.
        int inG = inChannels / group, outG = w.Out / group, k = w.KernelH * w.KernelW;
        var weights = new float[ncnnWeights.Length];
        for (int gi = 0; gi < group; gi++)
        {
            for (int o = 0; o < outG; o++)
            {
                for (int i = 0; i < inG; i++)
                {
                    Array.Copy(ncnnWeights, ((gi * outG + o) * inG + i) * k, weights, ((gi * inG + i) * outG + o) * k, k);
                }
            }
        }
        var spec = new ConvTranspose2dSpec
        {
            InChannels = inChannels, OutChannels = w.Out, KernelH = w.KernelH, KernelW = w.KernelW, Weights = weights, Bias = bias,
            StrideY = w.StrideH, StrideX = w.StrideW, Padding = crop, OutputPaddingY = outPadBottom, OutputPaddingX = outPadRight,
            Groups = group, Activation = FusedActivation(g, l),
        };
        g.Emit(l, spec, new[] { x }, l.Tops[0], w.Out);
    }

    public static void InnerProduct(NcnnGraphTranslator g, NcnnLayerLine l)
    {
        g.Expect(l, 1, 1);
        string x = g.Bottom(l, 0);
        int outputs = l.Int(0, 0, r => g.Error(l, r));
        int weightCount = l.Int(2, 0, r => g.Error(l, r));
        if (outputs is <= 0 or > MaxChannels || weightCount <= 0 || weightCount % outputs != 0)
        {
            throw g.Error(l, $"has {outputs} outputs (0=num_output) and {weightCount} weights (2=weight_data_size); " +
                             $"the weights must be a positive multiple of the outputs, at most {MaxChannels} outputs");
        }
        int inFeatures = weightCount / outputs;
        if (g.Rank(x) == 1)
        {
            g.RequireChannels(l, x, inFeatures);
        }
        var (weights, bias) = ReadWeights(g, l, weightCount, outputs, l.Int(1, 0, r => g.Error(l, r)) != 0);
        var spec = new FullyConnectedSpec
        {
            InFeatures = inFeatures, OutFeatures = outputs, Weights = weights, Bias = bias, Activation = FusedActivation(g, l),
        };
        g.Emit(l, spec, new[] { x }, l.Tops[0], outputs, rank: 1);
    }

    public static void Pooling(NcnnGraphTranslator g, NcnnLayerLine l)
    {
        g.Expect(l, 1, 1);
        string x = g.Bottom(l, 0);
        int channels = g.Channels(l, x);
        var mode = l.Int(0, 0, r => g.Error(l, r)) switch
        {
            0 => PoolMode.Max,
            1 => PoolMode.Average,
            var t => throw g.Error(l, $"has pooling type {t} (0=pooling_type); 0 (max) and 1 (average) are supported"),
        };
        if (l.Int(7, 0, r => g.Error(l, r)) != 0)
        {
            throw g.Error(l, "is adaptive (7=adaptive_pooling), which is not supported");
        }
        if (l.Int(4, 0, r => g.Error(l, r)) != 0)
        {
            // Global pooling makes a vector (rank 1) of one value per channel.
            g.Emit(l, new Pool2dSpec { Mode = mode, Global = true }, new[] { x }, l.Tops[0], channels, rank: 1);
            return;
        }
        int kw = l.Int(1, 0, r => g.Error(l, r)), kh = l.Int(11, kw, r => g.Error(l, r));
        int sw = l.Int(2, 1, r => g.Error(l, r)), sh = l.Int(12, sw, r => g.Error(l, r));
        int pl = l.Int(3, 0, r => g.Error(l, r)), pr = l.Int(14, pl, r => g.Error(l, r));
        int pt = l.Int(13, pl, r => g.Error(l, r)), pb = l.Int(15, pt, r => g.Error(l, r));
        int padMode = l.Int(5, 0, r => g.Error(l, r));
        if (padMode is not (0 or 1))
        {
            // Modes 2 and 3 (SAME_UPPER, SAME_LOWER) put a size-dependent share of the padding before the input,
            // which moves every window with the image's size: a tile would sample other positions than the image.
            throw g.Error(l, $"uses pad mode {padMode} (5=pad_mode: 2 SAME_UPPER, 3 SAME_LOWER); 0 (full) and 1 (valid) with explicit pads are supported");
        }
        var spec = new Pool2dSpec
        {
            Mode = mode, KernelH = kh, KernelW = kw, StrideY = sh, StrideX = sw, Padding = new Padding(pt, pl, pb, pr),
            CountIncludePad = l.Int(6, 0, r => g.Error(l, r)) != 0,
            // Mode 0 ("full padding", the default) pads the bottom and right further so that the last window ends
            // on the last pixel; at stride 1 every window already does.
            FullPadding = padMode == 0,
        };
        g.Emit(l, spec, new[] { x }, l.Tops[0], channels);
    }

    /// <summary>The activation of 9=activation_type with its 10=activation_params.</summary>
    public static Activation FusedActivation(NcnnGraphTranslator g, NcnnLayerLine l)
    {
        var p = l.Array(10);
        float P(int i, string name) => i < p.Length ? (float)p[i] : throw g.Error(l, $"has activation {l.Int(9, 0, r => g.Error(l, r))} without its {name} (10=activation_params)");
        return l.Int(9, 0, r => g.Error(l, r)) switch
        {
            0 => RealtimeUpscale.Network.Activation.None,
            1 => RealtimeUpscale.Network.Activation.Relu,
            2 => RealtimeUpscale.Network.Activation.LeakyRelu(P(0, "slope")),
            3 => RealtimeUpscale.Network.Activation.Clip(P(0, "minimum"), P(1, "maximum")),
            4 => RealtimeUpscale.Network.Activation.Sigmoid,
            var t => throw g.Error(l, $"has activation type {t} (9=activation_type; 5 mish and 6 hardswish are not supported)"),
        };
    }

    private readonly record struct WindowParams(int Out, int KernelW, int KernelH, int DilationW, int DilationH, int StrideW, int StrideH, bool BiasTerm);

    private static WindowParams Window(NcnnGraphTranslator g, NcnnLayerLine l)
    {
        int I(int id, int fallback) => l.Int(id, fallback, r => g.Error(l, r));
        int kw = I(1, 0), dw = I(2, 1), sw = I(3, 1);
        var w = new WindowParams(I(0, 0), kw, I(11, kw), dw, I(12, dw), sw, I(13, sw), I(5, 0) != 0);
        if (w.Out is <= 0 or > MaxChannels)
        {
            throw g.Error(l, $"has {w.Out} outputs (0=num_output); 1 to {MaxChannels} are supported");
        }
        if (w.KernelW is <= 0 or > MaxKernel || w.KernelH is <= 0 or > MaxKernel || w.DilationW <= 0 || w.DilationH <= 0 ||
            w.StrideW <= 0 || w.StrideH <= 0 || w.DilationW > MaxKernel || w.DilationH > MaxKernel || w.StrideW > MaxKernel || w.StrideH > MaxKernel)
        {
            throw g.Error(l, $"has kernel {w.KernelW}x{w.KernelH}, dilation {w.DilationW}x{w.DilationH}, stride {w.StrideW}x{w.StrideH}; each must be 1 to {MaxKernel}");
        }
        return w;
    }

    /// <summary>
    /// Input channels from the weight count: weights = out * (in / group) * kernel area (each of the group's
    /// out / group outputs reads its in / group inputs), so in = weights / (out * area) * group.
    /// </summary>
    private static int InputChannels(NcnnGraphTranslator g, NcnnLayerLine l, int weightCount, int outputs, int area, int group)
    {
        if (group <= 0 || outputs % group != 0)
        {
            throw g.Error(l, $"has {group} groups (7=group) for {outputs} outputs");
        }
        long perGroupInput = (long)outputs * area;
        if (weightCount <= 0 || weightCount % perGroupInput != 0)
        {
            throw g.Error(l, $"has {weightCount} weights (6=weight_data_size), not a positive multiple of {outputs} outputs x {area} kernel taps");
        }
        long inChannels = weightCount / perGroupInput * group;
        if (inChannels > MaxChannels)
        {
            throw g.Error(l, $"would read {inChannels} input channels; at most {MaxChannels} are supported");
        }
        return (int)inChannels;
    }

    private static Padding ConvPadding(NcnnGraphTranslator g, NcnnLayerLine l, WindowParams w)
    {
        int I(int id, int fallback) => l.Int(id, fallback, r => g.Error(l, r));
        int left = I(4, 0);
        if (left is -233 or -234)
        {
            // SAME padding: the total is fixed only at stride 1, where it is the dilated kernel's extent minus one.
            if (w.StrideW != 1 || w.StrideH != 1)
            {
                throw g.Error(l, "uses SAME padding (4=-233 or -234) with a stride, which depends on the input size and is not supported");
            }
            int th = w.DilationH * (w.KernelH - 1), tw = w.DilationW * (w.KernelW - 1);
            return left == -233
                ? new Padding(th / 2, tw / 2, th - th / 2, tw - tw / 2)  // SAME_UPPER: the odd pixel at the end
                : new Padding(th - th / 2, tw - tw / 2, th / 2, tw / 2); // SAME_LOWER: the odd pixel at the start
        }
        int top = I(14, left);
        var padding = new Padding(top, left, I(16, top), I(15, left));
        if (padding.Top < 0 || padding.Left < 0 || padding.Bottom < 0 || padding.Right < 0 ||
            Math.Max(Math.Max(padding.Top, padding.Bottom), Math.Max(padding.Left, padding.Right)) > MaxKernel * MaxKernel)
        {
            throw g.Error(l, $"has padding {padding}; each side must be 0 to {MaxKernel * MaxKernel}");
        }
        return padding;
    }

    /// <summary>
    /// The weights (tagged) and bias (raw, when <paramref name="biasTerm"/>), then, for int8 weights, the
    /// per-output dequantisation scales (8=int8_scale_term): weight = stored value / scale of its output.
    /// </summary>
    private static (float[] Weights, float[]? Bias) ReadWeights(NcnnGraphTranslator g, NcnnLayerLine l, int count, int outputs, bool biasTerm)
    {
        string what = $"layer '{l.Name}' ({l.Type}, line {l.Line})";
        var weights = g.Weights.ReadTagged(count, $"{what} weights", out bool int8);
        float[]? bias = biasTerm ? g.Weights.ReadRaw(outputs, $"{what} bias") : null;
        int scaleTerm = l.Int(8, 0, r => g.Error(l, r));
        if (scaleTerm != 0)
        {
            var scales = g.Weights.ReadRaw(outputs, $"{what} int8 weight scales");
            g.Weights.ReadRaw(1, $"{what} int8 input scale"); // the activations' quantisation; inference here is float
            if (scaleTerm > 100)
            {
                g.Weights.ReadRaw(1, $"{what} int8 output scale");
            }
            if (int8)
            {
                int perOutput = count / outputs;
                for (int i = 0; i < count; i++)
                {
                    float s = scales[i / perOutput];
                    weights[i] = s == 0 ? 0 : weights[i] / s;
                }
                int8 = false;
            }
        }
        if (int8)
        {
            throw g.Error(l, "has int8 weights without their scales (8=int8_scale_term)");
        }
        return (weights, bias);
    }
}
