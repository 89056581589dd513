namespace RealtimeUpscale.Network.Importers.Onnx;

/// <summary>DepthToSpace, Resize and Upsample, Slice and Concat: the operators that move pixels or channels.</summary>
internal static class OnnxLayoutOps
{
    /// <summary>An ONNX Slice end at or beyond this is "to the end of the axis" (exporters write INT64_MAX or INT32_MAX).</summary>
    private const long Unbounded = 1L << 30;

    public static void DepthToSpace(OnnxOp op)
    {
        string x = op.Dynamic(0);
        int r = (int)(op.IntAttribute("blocksize") ?? throw op.Error("has no blocksize"));
        string mode = op.StringAttribute("mode", "DCR");
        var order = mode switch
        {
            "DCR" => DepthToSpaceOrder.Dcr,
            "CRD" => DepthToSpaceOrder.Crd,
            _ => throw op.Error($"uses mode '{mode}'; DCR and CRD are supported"),
        };
        var shuffle = op.Validated(new PixelShuffleSpec(r, order));
        int c = op.Channels(x);
        if (c % (r * r) != 0)
        {
            throw op.Error($"shuffles {c} channels by blocksize {r}");
        }
        op.Emit(shuffle, new[] { x }, c / (r * r));
    }

    public static void Resize(OnnxOp op)
    {
        string x = op.Dynamic(0);
        string mode = op.StringAttribute("mode", "nearest");
        string transform = op.StringAttribute("coordinate_transformation_mode", "half_pixel");
        string nearestMode = op.StringAttribute("nearest_mode", "round_prefer_floor");
        float cubicA = op.FloatAttribute("cubic_coeff_a", -0.75f);
        float[]? scales = null;
        long[]? sizes = null;
        if (op.OpType == "Upsample")
        {
            transform = "asymmetric";
            nearestMode = "floor";
            scales = op.Opset < 9
                ? op.Node.Attributes.GetValueOrDefault("scales")?.Floats.ToArray() ?? throw op.Error("has no scales attribute")
                : op.RequireConst(1, "scales").AsFloats();
        }
        else if (op.Opset < 11)
        {
            transform = "asymmetric";
            nearestMode = "floor";
            scales = op.RequireConst(1, "scales").AsFloats();
        }
        else
        {
            if (op.Const(2) is { ElementCount: > 0 } s)
            {
                scales = s.AsFloats();
            }
            if (op.Const(3) is { ElementCount: > 0 } z)
            {
                sizes = z.AsLongs();
            }
            if (scales is null && sizes is null)
            {
                throw op.Error("has neither constant scales nor constant sizes");
            }
            if (op.IntAttribute("exclude_outside") is not null and not 0)
            {
                throw op.Error("sets exclude_outside; only 0 is supported");
            }
            if (op.IntAttribute("antialias") is not null and not 0)
            {
                throw op.Error("sets antialias; only 0 is supported");
            }
        }
        if ((scales is not null && (scales.Length != 4 || scales[0] != 1 || scales[1] != 1)) ||
            (sizes is not null && sizes.Length != 4))
        {
            throw op.Error("resizes the batch or channel axis; only height and width may be resized");
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
                    throw op.Error($"uses nearest with {transform}/{nearestMode}; asymmetric/floor (PyTorch's nearest) is supported, " +
                                   "and half_pixel/round_prefer_floor at integer scales");
                }
                break;
            case "linear" or "bilinear":
                upMode = UpsampleMode.Bilinear;
                align = ResizeAlign(op, transform);
                break;
            case "cubic" or "bicubic":
                upMode = UpsampleMode.Bicubic;
                align = ResizeAlign(op, transform);
                if (Math.Abs(cubicA + 0.75f) > 1e-6f)
                {
                    throw op.Error($"uses cubic_coeff_a {cubicA}; only -0.75 (PyTorch's bicubic) is supported");
                }
                break;
            default:
                throw op.Error($"uses mode '{mode}'; nearest, linear and cubic are supported");
        }
        var spec = sizes is not null
            ? new UpsampleSpec { Mode = upMode, AlignCorners = align, OutputHeight = (int)sizes[2], OutputWidth = (int)sizes[3] }
            : new UpsampleSpec { Mode = upMode, AlignCorners = align, ScaleY = scales![2], ScaleX = scales[3] };
        op.Emit(spec, new[] { x }, op.Channels(x));
    }

    private static bool ResizeAlign(OnnxOp op, string transform) => transform switch
    {
        "align_corners" => true,
        "half_pixel" or "pytorch_half_pixel" => false,
        _ => throw op.Error($"uses coordinate_transformation_mode '{transform}' with interpolation; " +
                            "half_pixel, pytorch_half_pixel and align_corners are supported"),
    };

    public static void Slice(OnnxOp op)
    {
        string x = op.Dynamic(0);
        long[] starts, ends, axes, steps;
        if (op.Opset >= 10)
        {
            starts = op.RequireConst(1, "starts").AsLongs();
            ends = op.RequireConst(2, "ends").AsLongs();
            axes = op.Const(3)?.AsLongs() ?? Enumerable.Range(0, starts.Length).Select(i => (long)i).ToArray();
            steps = op.Const(4)?.AsLongs() ?? Enumerable.Repeat(1L, starts.Length).ToArray();
        }
        else
        {
            starts = ConstantFolder.Ints(op.Node, "starts");
            ends = ConstantFolder.Ints(op.Node, "ends");
            axes = op.HasAttribute("axes") ? ConstantFolder.Ints(op.Node, "axes") : Enumerable.Range(0, starts.Length).Select(i => (long)i).ToArray();
            steps = Enumerable.Repeat(1L, starts.Length).ToArray();
        }
        if (ends.Length != starts.Length || axes.Length != starts.Length || steps.Length != starts.Length)
        {
            throw op.Error($"has {starts.Length} starts, {ends.Length} ends, {axes.Length} axes and {steps.Length} steps; they must match");
        }
        int channels = op.Channels(x);
        int top = 0, left = 0, bottom = 0, right = 0, c0 = 0, cCount = channels;
        for (int i = 0; i < axes.Length; i++)
        {
            long axis = axes[i] < 0 ? axes[i] + 4 : axes[i];
            if (steps[i] != 1)
            {
                throw op.Error($"slices axis {axis} with step {steps[i]}; only step 1 is supported");
            }
            long s = starts[i], e = ends[i];
            if (axis == 0)
            {
                if (s > 0 || (e < Unbounded && e < 1 && e >= 0))
                {
                    throw op.Error("slices the batch axis");
                }
                continue;
            }
            if (axis == 1)
            {
                long b = s < 0 ? s + channels : Math.Min(s, channels);
                long en = e < 0 ? e + channels : Math.Min(e, channels);
                if (b < 0 || en <= b)
                {
                    throw op.Error($"keeps no channels of {channels}");
                }
                c0 = (int)b;
                cCount = (int)(en - b);
                continue;
            }
            if (s < 0)
            {
                throw op.Error($"starts axis {axis} at {s} from the end; height and width are dynamic, so only starts counted from the beginning are supported");
            }
            long margin = e < 0 ? -e : e >= Unbounded ? 0 : throw op.Error(
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
        op.Emit(new CropSpec(top, left, bottom, right, c0, cCount), new[] { x }, cCount);
    }

    /// <summary>
    /// Concatenation on the channel axis. More than two parts become a chain of two-input concatenations whose
    /// intermediate values are named after the output: "{output}#concat{i}" for the first i + 1 parts.
    /// </summary>
    public static void Concat(OnnxOp op)
    {
        long axis = op.IntAttribute("axis") ?? throw op.Error("has no axis");
        if (axis is not (1 or -3))
        {
            throw op.Error($"concatenates on axis {axis}; only the channel axis (1) is supported");
        }
        var parts = Enumerable.Range(0, op.Node.Inputs.Count).Select(i =>
            op.IsDynamic(i) ? op.Dynamic(i) : throw op.Error("concatenates a constant with the image; only computed tensors may be concatenated")).ToList();
        if (parts.Count == 1)
        {
            op.Alias(parts[0]);
            return;
        }
        string acc = parts[0];
        for (int i = 1; i < parts.Count; i++)
        {
            int channels = op.Channels(acc) + op.Channels(parts[i]);
            string output = i == parts.Count - 1 ? op.Node.Outputs[0] : $"{op.Node.Outputs[0]}#concat{i}";
            op.Emit(new ConcatSpec(), new[] { acc, parts[i] }, output, channels);
            acc = output;
        }
    }
}
