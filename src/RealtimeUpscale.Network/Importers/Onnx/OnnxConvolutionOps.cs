namespace RealtimeUpscale.Network.Importers.Onnx;

/// <summary>Conv, ConvTranspose and Pad, each to its own node.</summary>
internal static class OnnxConvolutionOps
{
    public static void Conv(OnnxOp op)
    {
        string x = op.Dynamic(0);
        var w = op.RequireConst(1, "weight");
        var b = op.Const(2);
        if (w.Dims.Length != 4)
        {
            throw op.Error($"has weight {w}; only 2D convolutions are supported");
        }
        int group = (int)(op.IntAttribute("group") ?? 1);
        int oc = (int)w.Dims[0], kh = (int)w.Dims[2], kw = (int)w.Dims[3];
        int ic = op.Channels(x);
        if (w.Dims[1] * group != ic)
        {
            throw op.Error($"has weight {w} with group {group}, which does not fit {ic} input channels");
        }
        var strides = op.IntsAttribute("strides", 2, 1);
        var dil = op.IntsAttribute("dilations", 2, 1);
        var pads = AutoPad(op, (kh - 1) * dil[0] + 1, (kw - 1) * dil[1] + 1, strides[0], strides[1], op.IntsAttribute("pads", 4, 0));
        if (b is not null && b.ElementCount != oc)
        {
            throw op.Error($"has bias {b} for {oc} output channels");
        }
        op.Emit(new Conv2dSpec
        {
            InChannels = ic, OutChannels = oc, KernelH = kh, KernelW = kw, Weights = w.AsFloats(), Bias = b?.AsFloats(),
            StrideY = strides[0], StrideX = strides[1], DilationY = dil[0], DilationX = dil[1],
            Padding = new Padding(pads[0], pads[1], pads[2], pads[3]), Groups = group,
        }, new[] { x }, oc);
    }

    /// <summary>The explicit pads of a convolution with auto_pad (kernel sizes here include dilation).</summary>
    private static int[] AutoPad(OnnxOp op, int kh, int kw, int sy, int sx, int[] pads)
    {
        string autoPad = op.StringAttribute("auto_pad", "NOTSET");
        switch (autoPad)
        {
            case "NOTSET":
                return pads;
            case "VALID":
                return new int[4];
            case "SAME_UPPER" or "SAME_LOWER" when sy == 1 && sx == 1:
                int th = kh - 1, tw = kw - 1;
                return autoPad == "SAME_UPPER"
                    ? new[] { th / 2, tw / 2, th - th / 2, tw - tw / 2 }
                    : new[] { th - th / 2, tw - tw / 2, th / 2, tw / 2 };
            default:
                throw op.Error($"uses auto_pad {autoPad} with stride ({sy}, {sx}); give explicit pads");
        }
    }

    public static void ConvTranspose(OnnxOp op)
    {
        string x = op.Dynamic(0);
        var w = op.RequireConst(1, "weight");
        var b = op.Const(2);
        if (w.Dims.Length != 4)
        {
            throw op.Error($"has weight {w}; only 2D transposed convolutions are supported");
        }
        int group = (int)(op.IntAttribute("group") ?? 1);
        int ic = op.Channels(x);
        if (w.Dims[0] != ic)
        {
            throw op.Error($"has weight {w}, which does not fit {ic} input channels");
        }
        int oc = (int)w.Dims[1] * group, kh = (int)w.Dims[2], kw = (int)w.Dims[3];
        if (op.HasAttribute("output_shape"))
        {
            throw op.Error("sets output_shape; give pads and output_padding instead");
        }
        var dil = op.IntsAttribute("dilations", 2, 1);
        if (dil[0] != 1 || dil[1] != 1)
        {
            throw op.Error($"has dilations ({dil[0]}, {dil[1]}); only 1 is supported for transposed convolution");
        }
        var strides = op.IntsAttribute("strides", 2, 1);
        var pads = op.IntsAttribute("pads", 4, 0);
        var outPad = op.IntsAttribute("output_padding", 2, 0);
        string autoPad = op.StringAttribute("auto_pad", "NOTSET");
        if (autoPad is not ("NOTSET" or "VALID"))
        {
            throw op.Error($"uses auto_pad {autoPad}; give explicit pads");
        }
        if (b is not null && b.ElementCount != oc)
        {
            throw op.Error($"has bias {b} for {oc} output channels");
        }
        op.Emit(new ConvTranspose2dSpec
        {
            InChannels = ic, OutChannels = oc, KernelH = kh, KernelW = kw, Weights = w.AsFloats(), Bias = b?.AsFloats(),
            StrideY = strides[0], StrideX = strides[1], Padding = new Padding(pads[0], pads[1], pads[2], pads[3]),
            OutputPaddingY = outPad[0], OutputPaddingX = outPad[1], Groups = group,
        }, new[] { x }, oc);
    }

    public static void Pad(OnnxOp op)
    {
        string x = op.Dynamic(0);
        long[] pads;
        float value = 0;
        string mode = op.StringAttribute("mode", "constant");
        if (op.Opset < 11)
        {
            pads = ConstantFolder.Ints(op.Node, "pads");
            value = op.FloatAttribute("value", 0);
        }
        else
        {
            pads = op.RequireConst(1, "pads").AsLongs();
            if (op.Const(2) is { } cv)
            {
                value = op.Scalar(cv, "constant value");
            }
            if (op.Node.Inputs.Count > 3 && op.Node.Inputs[3].Length > 0)
            {
                throw op.Error("pads selected axes (the axes input); pad all four axes instead");
            }
        }
        if (pads.Length != 8 || pads[0] != 0 || pads[1] != 0 || pads[4] != 0 || pads[5] != 0)
        {
            throw op.Error($"pads [{string.Join(",", pads)}]; only height and width may be padded");
        }
        if (pads.Any(p => p < 0))
        {
            throw op.Error($"has negative pads [{string.Join(",", pads)}]; use Slice to crop");
        }
        var padMode = mode switch
        {
            "constant" when value == 0 => PaddingMode.Zeros,
            "constant" => throw op.Error($"pads with the constant {value}; only 0 is supported"),
            "edge" => PaddingMode.Replicate,
            "reflect" => PaddingMode.Reflect,
            _ => throw op.Error($"uses mode '{mode}'; constant, edge and reflect are supported"),
        };
        int channels = op.Channels(x);
        op.Emit(new PadSpec(channels, new Padding((int)pads[2], (int)pads[3], (int)pads[6], (int)pads[7]), padMode), new[] { x }, channels);
    }
}
