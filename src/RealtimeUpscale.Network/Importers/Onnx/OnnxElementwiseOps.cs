namespace RealtimeUpscale.Network.Importers.Onnx;

/// <summary>
/// Activations (to <see cref="ActivationSpec"/>), BatchNormalization and arithmetic with a constant (to a
/// per-channel <see cref="ScaleBiasSpec"/>), and arithmetic of two computed tensors (to <see cref="BinarySpec"/>).
/// </summary>
internal static class OnnxElementwiseOps
{
    public static void ActivationOp(OnnxOp op)
    {
        string x = op.Dynamic(0);
        int channels = op.Channels(x);
        op.Emit(new ActivationSpec(channels, ActivationOf(op, channels)), new[] { x }, channels);
    }

    private static Activation ActivationOf(OnnxOp op, int channels)
    {
        switch (op.OpType)
        {
            case "Relu": return Activation.Relu;
            case "Tanh": return Activation.Tanh;
            case "Sigmoid": return Activation.Sigmoid;
            case "LeakyRelu": return Activation.LeakyRelu(op.FloatAttribute("alpha", 0.01f));
            case "PRelu":
            {
                var slope = op.RequireConst(1, "slope");
                return slope.ElementCount == 1
                    ? Activation.PRelu(slope.AsFloats()[0])
                    : Activation.PRelu(PerChannel(op, slope, channels));
            }
            default:
            {
                float min = float.MinValue, max = float.MaxValue;
                if (op.Opset < 11)
                {
                    min = op.FloatAttribute("min", min);
                    max = op.FloatAttribute("max", max);
                }
                else
                {
                    if (op.Node.Inputs.Count > 1 && op.Node.Inputs[1].Length > 0)
                    {
                        min = op.Scalar(op.RequireConst(1, "min"), "min");
                    }
                    if (op.Node.Inputs.Count > 2 && op.Node.Inputs[2].Length > 0)
                    {
                        max = op.Scalar(op.RequireConst(2, "max"), "max");
                    }
                }
                return Activation.Clip(min, max);
            }
        }
    }

    public static void BatchNormalization(OnnxOp op)
    {
        string x = op.Dynamic(0);
        int c = op.Channels(x);
        var gamma = op.RequireConst(1, "scale").AsFloats();
        var beta = op.RequireConst(2, "bias").AsFloats();
        var mean = op.RequireConst(3, "mean").AsFloats();
        var variance = op.RequireConst(4, "variance").AsFloats();
        if (new[] { gamma, beta, mean, variance }.Any(a => a.Length != c))
        {
            throw op.Error($"has parameters that do not match {c} channels");
        }
        if (op.Node.Outputs.Count(o => o.Length > 0) > 1)
        {
            throw op.Error("is in training mode (more than one output); export the model in eval mode");
        }
        float eps = op.FloatAttribute("epsilon", 1e-5f);
        var scale = new float[c];
        var bias = new float[c];
        for (int i = 0; i < c; i++)
        {
            double a = gamma[i] / Math.Sqrt(variance[i] + (double)eps);
            scale[i] = (float)a;
            bias[i] = (float)(beta[i] - mean[i] * a);
        }
        op.Emit(new ScaleBiasSpec(scale, bias), new[] { x }, c);
    }

    /// <summary>A constant broadcast against [1, C, H, W] as one value per channel.</summary>
    private static float[] PerChannel(OnnxOp op, OnnxTensor t, int channels)
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
            throw op.Error($"combines the image with constant {t}; only scalars and per-channel [C,1,1] constants broadcast on the GPU");
        }
        return values;
    }

    public static void Arithmetic(OnnxOp op)
    {
        bool d0 = op.IsDynamic(0), d1 = op.IsDynamic(1);
        string name = op.OpType;
        if (d0 && d1)
        {
            string a = op.Dynamic(0), b = op.Dynamic(1);
            if (op.Channels(a) != op.Channels(b))
            {
                throw op.Error($"combines tensors of {op.Channels(a)} and {op.Channels(b)} channels; broadcasting between computed tensors is not supported");
            }
            op.Emit(new BinarySpec(Enum.Parse<BinaryOperator>(name)), new[] { a, b }, op.Channels(a));
            return;
        }
        string x = op.Dynamic(d0 ? 0 : 1);
        int c = op.Channels(x);
        var k = PerChannel(op, op.RequireConst(d0 ? 1 : 0, "operand"), c);
        var ones = Enumerable.Repeat(1f, c).ToArray();
        var zeros = new float[c];
        var (scale, bias) = (name, d0) switch
        {
            ("Add", _) => (ones, k),
            ("Sub", true) => (ones, k.Select(v => -v).ToArray()),
            ("Sub", false) => (Enumerable.Repeat(-1f, c).ToArray(), k),
            ("Mul", _) => (k, zeros),
            ("Div", true) when k.All(v => v != 0) => (k.Select(v => 1 / v).ToArray(), zeros),
            ("Div", true) => throw op.Error("divides by zero"),
            _ => throw op.Error("divides a constant by the image; only the image divided by a constant is supported"),
        };
        op.Emit(new ScaleBiasSpec(scale, bias), new[] { x }, c);
    }
}
