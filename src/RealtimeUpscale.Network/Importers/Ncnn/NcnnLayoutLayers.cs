namespace RealtimeUpscale.Network.Importers.Ncnn;

/// <summary>
/// The ncnn layers that move values: Crop (offsets, numpy-style starts/ends/axes, or to a reference blob's size),
/// Concat on channels, Interp (to <see cref="UpsampleSpec"/>), PixelShuffle and Padding.
/// </summary>
internal static class NcnnLayoutLayers
{
    /// <summary>An end at or beyond this means "to the end" (ncnn clamps ends to the size).</summary>
    private const int ToTheEnd = 1 << 20;

    public static void Crop(NcnnGraphTranslator g, NcnnLayerLine l)
    {
        int I(int id) => l.Int(id, 0, r => g.Error(l, r));
        if (l.Bottoms.Count == 2)
        {
            // The second blob is only a reference for the size: crop the first at the offsets to its shape.
            g.Expect(l, 2, 1);
            string a = g.Bottom(l, 0), reference = g.Bottom(l, 1);
            g.Emit(l, new CropToSpec(I(1), I(0), I(2)), new[] { a, reference }, l.Tops[0], g.Channels(l, reference));
            return;
        }
        g.Expect(l, 1, 1);
        string x = g.Bottom(l, 0);
        int channels = g.Channels(l, x);
        if (g.Rank(x) != 3)
        {
            throw g.Error(l, $"crops the vector '{x}'; only feature maps are cropped");
        }
        int top = 0, left = 0, bottom = 0, right = 0, c0 = 0, c1 = channels;
        var starts = l.Array(9);
        var ends = l.Array(10);
        if (starts.Length > 0 && ends.Length > 0)
        {
            var axes = l.Array(11);
            if (starts.Length != ends.Length || (axes.Length > 0 && axes.Length != starts.Length))
            {
                throw g.Error(l, $"has {starts.Length} starts, {ends.Length} ends and {axes.Length} axes; they must pair up");
            }
            for (int i = 0; i < starts.Length; i++)
            {
                int axis = axes.Length > 0 ? (int)axes[i] : i;
                axis = axis < 0 ? axis + 3 : axis;
                int start = (int)starts[i], end = (int)ends[i];
                switch (axis)
                {
                    case 0:
                        c0 = start == -233 ? 0 : start >= 0 ? start : channels + start;
                        c1 = end == -233 ? channels : Math.Min(channels, end > 0 ? end : channels + end);
                        break;
                    case 1:
                        (top, bottom) = Margins(g, l, start, end, "height");
                        break;
                    case 2:
                        (left, right) = Margins(g, l, start, end, "width");
                        break;
                    default:
                        throw g.Error(l, $"crops axis {(int)(axes.Length > 0 ? axes[i] : i)}; a feature map has axes 0 (channels), 1 (height) and 2 (width)");
                }
            }
        }
        else
        {
            // Offsets (0=w, 1=h, 2=c) and, from the far end, 6=w, 7=h, 8=c; fixed output sizes need the input's size.
            if (I(3) is not (0 or -233) || I(4) is not (0 or -233) || I(5) is not (0 or -233))
            {
                throw g.Error(l, "fixes its output size (3=outw, 4=outh, 5=outc), which depends on the input size and is not supported");
            }
            (left, top, c0, right, bottom) = (I(0), I(1), I(2), I(6), I(7));
            c1 = channels - I(8);
        }
        if (c0 < 0 || c1 <= c0 || c1 > channels)
        {
            throw g.Error(l, $"keeps channels {c0} to {c1} of '{x}' with {channels}");
        }
        var spec = new CropSpec(top, left, bottom, right, c0, c1 - c0 == channels ? null : c1 - c0);
        g.Emit(l, spec, new[] { x }, l.Tops[0], c1 - c0);
    }

    private static (int Before, int After) Margins(NcnnGraphTranslator g, NcnnLayerLine l, int start, int end, string axis)
    {
        start = start == -233 ? 0 : start;
        int after = end == -233 || end >= ToTheEnd || end == 0 ? 0 : end < 0 ? -end : -1;
        if (start < 0 || after < 0)
        {
            throw g.Error(l, $"crops the {axis} from {start} to {end}; a start counted from the end or an end counted from the start depends on the input size and is not supported");
        }
        return (start, after);
    }

    public static void Concat(NcnnGraphTranslator g, NcnnLayerLine l)
    {
        if (l.Bottoms.Count < 1 || l.Tops.Count != 1)
        {
            throw g.Error(l, $"has {l.Bottoms.Count} inputs and {l.Tops.Count} outputs; it takes 1 or more and 1");
        }
        var inputs = Enumerable.Range(0, l.Bottoms.Count).Select(i => g.Bottom(l, i)).ToArray();
        int axis = l.Int(0, 0, r => g.Error(l, r));
        if (inputs.Any(v => g.Rank(v) != 3) || axis is not (0 or -3))
        {
            throw g.Error(l, $"concatenates along axis {axis}; only the channels (0) of feature maps are supported");
        }
        if (inputs.Length == 1)
        {
            g.Alias(l, l.Tops[0], inputs[0]);
            return;
        }
        string acc = inputs[0];
        int channels = g.Channels(l, acc);
        for (int i = 1; i < inputs.Length; i++)
        {
            bool last = i == inputs.Length - 1;
            channels += g.Channels(l, inputs[i]);
            string output = last ? l.Tops[0] : $"{l.Tops[0]}/{i}";
            g.Emit(l, new ConcatSpec(), new[] { acc, inputs[i] }, output, channels, nodeName: last ? l.Name : $"{l.Name}/{i}");
            acc = output;
        }
    }

    public static void Interp(NcnnGraphTranslator g, NcnnLayerLine l)
    {
        g.Expect(l, 1, 1);
        string x = g.Bottom(l, 0);
        var mode = l.Int(0, 0, r => g.Error(l, r)) switch
        {
            1 => UpsampleMode.Nearest,
            2 => UpsampleMode.Bilinear,
            3 => UpsampleMode.Bicubic,
            var t => throw g.Error(l, $"has resize type {t} (0=resize_type); 1 nearest, 2 bilinear and 3 bicubic are supported"),
        };
        if (l.Int(5, 0, r => g.Error(l, r)) != 0)
        {
            throw g.Error(l, "takes its size from a second blob (5=dynamic_target_size), which is not supported");
        }
        bool align = l.Int(6, 0, r => g.Error(l, r)) != 0;
        int outH = l.Int(3, 0, r => g.Error(l, r)), outW = l.Int(4, 0, r => g.Error(l, r));
        // ncnn makes the output (int)(size * scale); nearest maps coordinates with 1 / scale, bilinear and bicubic
        // with input / output size (interp.cpp's linear_coeffs and cubic_coeffs), which differs at fractional scales.
        var spec = new UpsampleSpec
        {
            Mode = mode, ScaleY = l.Float(1, 1f), ScaleX = l.Float(2, 1f), AlignCorners = align && mode != UpsampleMode.Nearest,
            OutputHeight = outH > 0 ? outH : null, OutputWidth = outW > 0 ? outW : null, RecomputeScaleFactor = mode != UpsampleMode.Nearest,
        };
        g.Emit(l, spec, new[] { x }, l.Tops[0], g.Channels(l, x));
    }

    public static void PixelShuffle(NcnnGraphTranslator g, NcnnLayerLine l)
    {
        g.Expect(l, 1, 1);
        string x = g.Bottom(l, 0);
        int r = l.Int(0, 1, e => g.Error(l, e));
        var order = l.Int(1, 0, e => g.Error(l, e)) switch
        {
            0 => DepthToSpaceOrder.Crd,
            1 => DepthToSpaceOrder.Dcr,
            var m => throw g.Error(l, $"has mode {m} (1=mode); 0 (PyTorch) and 1 (TensorFlow) are supported"),
        };
        int channels = g.Channels(l, x);
        if (r is < 1 or > 8 || channels % (r * r) != 0)
        {
            throw g.Error(l, $"shuffles {channels} channels by {r}; the factor must be 1 to 8 and its square divide the channels");
        }
        g.Emit(l, new PixelShuffleSpec(r, order), new[] { x }, l.Tops[0], channels / (r * r));
    }

    public static void Padding(NcnnGraphTranslator g, NcnnLayerLine l)
    {
        g.Expect(l, 1, 1);
        string x = g.Bottom(l, 0);
        int I(int id) => l.Int(id, 0, r => g.Error(l, r));
        var mode = I(4) switch
        {
            0 => PaddingMode.Zeros,
            1 => PaddingMode.Replicate,
            2 => PaddingMode.Reflect,
            var t => throw g.Error(l, $"has padding type {t} (4=type); 0 constant, 1 replicate and 2 reflect are supported"),
        };
        if (mode == PaddingMode.Zeros && l.Float(5, 0f) != 0f)
        {
            throw g.Error(l, "pads with a non-zero constant (5=value), which is not supported");
        }
        if (I(6) != 0 || I(7) != 0 || I(8) != 0)
        {
            throw g.Error(l, "pads channels (6=per_channel_pad_data_size, 7=front, 8=behind), which is not supported");
        }
        int channels = g.Channels(l, x);
        g.Emit(l, new PadSpec(channels, new Padding(I(0), I(2), I(1), I(3)), mode), new[] { x }, l.Tops[0], channels);
    }
}
