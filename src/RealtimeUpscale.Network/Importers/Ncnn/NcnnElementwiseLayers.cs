namespace RealtimeUpscale.Network.Importers.Ncnn;

/// <summary>
/// The ncnn layers that compute per element: Scale and BatchNorm (per-channel affine maps, or the
/// squeeze-excitation scale of a tensor by a vector), BinaryOp (with a scalar, or of two blobs with ncnn's
/// broadcasts), Eltwise, and the activations ReLU (leaky with a slope), PReLU, Sigmoid, TanH and Clip.
/// </summary>
internal static class NcnnElementwiseLayers
{
    public static void Scale(NcnnGraphTranslator g, NcnnLayerLine l)
    {
        int size = l.Int(0, 0, r => g.Error(l, r));
        bool biasTerm = l.Int(1, 0, r => g.Error(l, r)) != 0;
        string what = $"layer '{l.Name}' (Scale, line {l.Line})";
        if (size == -233)
        {
            // The scale is the second blob: one value per channel (squeeze-excitation).
            g.Expect(l, 2, 1);
            if (biasTerm)
            {
                throw g.Error(l, "takes its scale as a blob (0=-233) and has a bias (1=1), which is not supported");
            }
            string x = g.Bottom(l, 0), s = g.Bottom(l, 1);
            int c = g.Channels(l, x);
            if (g.Rank(s) != 1 || g.Channels(l, s) != c)
            {
                throw g.Error(l, $"scales '{x}' ({c} channels) by '{s}', which is not a vector of {c} values");
            }
            g.Emit(l, new BinarySpec(BinaryOperator.Mul), new[] { x, s }, l.Tops[0], c);
            return;
        }
        g.Expect(l, 1, 1);
        string input = g.Bottom(l, 0);
        int channels = g.Channels(l, input);
        if (size != channels)
        {
            throw g.Error(l, $"has {size} scales (0=scale_data_size) for '{input}' with {channels} channels");
        }
        var scale = g.Weights.ReadRaw(size, $"{what} scales");
        var bias = biasTerm ? g.Weights.ReadRaw(size, $"{what} bias") : new float[size];
        g.Emit(l, new ScaleBiasSpec(scale, bias), new[] { input }, l.Tops[0], channels, g.Rank(input));
    }

    public static void BatchNorm(NcnnGraphTranslator g, NcnnLayerLine l)
    {
        g.Expect(l, 1, 1);
        string x = g.Bottom(l, 0);
        int channels = g.Channels(l, x);
        int size = l.Int(0, 0, r => g.Error(l, r));
        if (size != channels)
        {
            throw g.Error(l, $"has {size} channels (0=channels) for '{x}' with {channels}");
        }
        float eps = l.Float(1, 0f);
        string what = $"layer '{l.Name}' (BatchNorm, line {l.Line})";
        var slope = g.Weights.ReadRaw(size, $"{what} slopes");
        var mean = g.Weights.ReadRaw(size, $"{what} means");
        var variance = g.Weights.ReadRaw(size, $"{what} variances");
        var bias = g.Weights.ReadRaw(size, $"{what} biases");
        var a = new float[size];
        var b = new float[size];
        for (int c = 0; c < size; c++)
        {
            if (variance[c] + eps <= 0)
            {
                throw g.Error(l, $"has variance {variance[c]} + eps {eps} <= 0 in channel {c}");
            }
            double sd = Math.Sqrt(variance[c] + (double)eps);
            a[c] = (float)(slope[c] / sd);
            b[c] = (float)(bias[c] - slope[c] * mean[c] / sd);
        }
        g.Emit(l, new ScaleBiasSpec(a, b), new[] { x }, l.Tops[0], channels, g.Rank(x));
    }

    public static void BinaryOp(NcnnGraphTranslator g, NcnnLayerLine l)
    {
        int op = l.Int(0, 0, r => g.Error(l, r));
        if (l.Int(1, 0, r => g.Error(l, r)) != 0)
        {
            // With a scalar b (2=b): an affine map with the same scale and bias for every channel.
            g.Expect(l, 1, 1);
            string x = g.Bottom(l, 0);
            int c = g.Channels(l, x);
            float b = l.Float(2, 0f);
            (float Scale, float Bias) map = op switch
            {
                0 => (1f, b),
                1 => (1f, -b),
                2 => (b, 0f),
                3 when b != 0 => (1f / b, 0f),
                7 => (-1f, b),
                _ => throw g.Error(l, $"has operation {op} with a scalar (0=op_type); add, sub, mul, div (by non-zero) and rsub are supported"),
            };
            g.Emit(l, new ScaleBiasSpec(Enumerable.Repeat(map.Scale, c).ToArray(), Enumerable.Repeat(map.Bias, c).ToArray()),
                   new[] { x }, l.Tops[0], c, g.Rank(x));
            return;
        }
        g.Expect(l, 2, 1);
        string a = g.Bottom(l, 0), bb = g.Bottom(l, 1);
        var (oper, swap) = op switch
        {
            0 => (BinaryOperator.Add, false),
            1 => (BinaryOperator.Sub, false),
            2 => (BinaryOperator.Mul, false),
            3 => (BinaryOperator.Div, false),
            4 => (BinaryOperator.Max, false),
            5 => (BinaryOperator.Min, false),
            6 => (BinaryOperator.Pow, false),
            7 => (BinaryOperator.Sub, true),
            8 => (BinaryOperator.Div, true),
            9 => (BinaryOperator.Pow, true),
            _ => throw g.Error(l, $"has operation {op} (0=op_type); add, sub, mul, div, max, min, pow, rsub, rdiv and rpow are supported"),
        };
        int ca = g.Channels(l, a), cb = g.Channels(l, bb);
        // ncnn broadcasts a vector (rank 1) against a feature map (rank 3) per channel when its length is the
        // channel count, else along the width; a vector of C values is a C x 1 x 1 tensor here, so only the
        // per-channel case is this one. Two maps broadcast per axis, which the spec checks on shapes.
        if (g.Rank(a) != g.Rank(bb) && (g.Rank(a) == 1 ? ca != cb : cb != ca))
        {
            throw g.Error(l, $"broadcasts a vector of {(g.Rank(a) == 1 ? ca : cb)} values along the width of a map of {(g.Rank(a) == 1 ? cb : ca)} channels, which is not supported");
        }
        var inputs = swap ? new[] { bb, a } : new[] { a, bb };
        g.Emit(l, new BinarySpec(oper), inputs, l.Tops[0], Math.Max(ca, cb), Math.Max(g.Rank(a), g.Rank(bb)));
    }

    public static void Eltwise(NcnnGraphTranslator g, NcnnLayerLine l)
    {
        if (l.Bottoms.Count < 2 || l.Tops.Count != 1)
        {
            throw g.Error(l, $"has {l.Bottoms.Count} inputs and {l.Tops.Count} outputs; it takes 2 or more and 1");
        }
        var inputs = Enumerable.Range(0, l.Bottoms.Count).Select(i => g.Bottom(l, i)).ToArray();
        int op = l.Int(0, 0, r => g.Error(l, r));
        var coeffs = l.Array(1);
        var oper = op switch
        {
            0 => BinaryOperator.Mul,
            1 => BinaryOperator.Add,
            _ => throw g.Error(l, $"has operation {op} (0=op_type); 0 (product) and 1 (sum) are supported"),
        };
        var subtract = new bool[inputs.Length];
        if (coeffs.Length > 0)
        {
            if (op != 1 || coeffs.Length != inputs.Length || coeffs[0] != 1 || coeffs.Skip(1).Any(c => c is not (1 or -1)))
            {
                throw g.Error(l, "has coefficients (1=coeffs) other than a sum with 1 on the first input and 1 or -1 on the others");
            }
            for (int i = 1; i < inputs.Length; i++)
            {
                subtract[i] = coeffs[i] == -1;
            }
        }
        int channels = g.Channels(l, inputs[0]);
        string acc = inputs[0];
        for (int i = 1; i < inputs.Length; i++)
        {
            bool last = i == inputs.Length - 1;
            string output = last ? l.Tops[0] : $"{l.Tops[0]}/{i}";
            g.Emit(l, new BinarySpec(subtract[i] ? BinaryOperator.Sub : oper), new[] { acc, inputs[i] }, output, channels,
                   nodeName: last ? l.Name : $"{l.Name}/{i}");
            acc = output;
        }
    }

    public static void ActivationLayer(NcnnGraphTranslator g, NcnnLayerLine l)
    {
        g.Expect(l, 1, 1);
        string x = g.Bottom(l, 0);
        int channels = g.Channels(l, x);
        Activation act;
        switch (l.Type)
        {
            case "ReLU":
                float slope = l.Float(0, 0f);
                act = slope == 0 ? Activation.Relu : Activation.LeakyRelu(slope);
                break;
            case "PReLU":
                int n = l.Int(0, 0, r => g.Error(l, r));
                if (n != 1 && n != channels)
                {
                    throw g.Error(l, $"has {n} slopes (0=num_slope) for '{x}' with {channels} channels");
                }
                var slopes = g.Weights.ReadRaw(n, $"layer '{l.Name}' (PReLU, line {l.Line}) slopes");
                act = n == 1 ? Activation.PRelu(slopes[0]) : Activation.PRelu(slopes);
                break;
            case "Sigmoid":
                act = Activation.Sigmoid;
                break;
            case "TanH":
                act = Activation.Tanh;
                break;
            default:
                act = Activation.Clip(l.Float(0, float.MinValue), l.Float(1, float.MaxValue));
                break;
        }
        g.Emit(l, new ActivationSpec(channels, act), new[] { x }, l.Tops[0], channels, g.Rank(x));
    }
}
