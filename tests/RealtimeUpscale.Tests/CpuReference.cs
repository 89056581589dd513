using RealtimeUpscale.Network;

namespace RealtimeUpscale.Tests;

/// <summary>
/// Plain float64 implementations of every layer, written from the papers' and PyTorch's definitions and
/// sharing no code with the shaders. Where the GPU gathers, the reference scatters, so the two agree only
/// if both index correctly.
/// </summary>
public static class CpuReference
{
    public static double Activate(Activation a, double v, int channel) => a.Kind switch
    {
        ActivationKind.None => v,
        ActivationKind.Relu => Math.Max(v, 0),
        ActivationKind.PRelu => v >= 0 ? v : (a.Slopes is null ? a.A : a.Slopes[channel]) * v,
        ActivationKind.LeakyRelu => v >= 0 ? v : a.A * v,
        ActivationKind.Tanh => Math.Tanh(v),
        ActivationKind.Sigmoid => 1 / (1 + Math.Exp(-v)),
        ActivationKind.Clip => Math.Min(Math.Max(v, a.A), a.B),
        _ => throw new ArgumentOutOfRangeException(nameof(a)),
    };

    /// <summary>Pads every plane explicitly, as F.pad does.</summary>
    public static HostTensor Pad(HostTensor x, Padding p, PaddingMode mode)
    {
        var o = new HostTensor(x.C, x.H + p.Top + p.Bottom, x.W + p.Left + p.Right);
        for (int c = 0; c < x.C; c++)
        {
            for (int y = 0; y < o.H; y++)
            {
                for (int xx = 0; xx < o.W; xx++)
                {
                    int sy = Source(y - p.Top, x.H, mode);
                    int sx = Source(xx - p.Left, x.W, mode);
                    o[c, y, xx] = sy < 0 || sx < 0 ? 0 : x[c, sy, sx];
                }
            }
        }
        return o;

        static int Source(int i, int n, PaddingMode mode)
        {
            if (i >= 0 && i < n)
            {
                return i;
            }
            return mode switch
            {
                PaddingMode.Zeros => -1,
                PaddingMode.Replicate => Math.Clamp(i, 0, n - 1),
                _ => i < 0 ? -i : 2 * (n - 1) - i,
            };
        }
    }

    public static HostTensor Conv2d(HostTensor input, Conv2dSpec s)
    {
        // ReplicateBorder b: the edge repeats for b pixels, zeros beyond (a lowered, edge-padded transposed conv).
        int b = s.ReplicateBorder;
        var x = b > 0
            ? Pad(Pad(input, Padding.All(b), PaddingMode.Replicate),
                new Padding(s.Padding.Top - b, s.Padding.Left - b, s.Padding.Bottom - b, s.Padding.Right - b), PaddingMode.Zeros)
            : Pad(input, s.Padding, s.PaddingMode);
        int oh = (x.H - s.DilationY * (s.KernelH - 1) - 1) / s.StrideY + 1;
        int ow = (x.W - s.DilationX * (s.KernelW - 1) - 1) / s.StrideX + 1;
        int icg = s.InChannels / s.Groups, ocg = s.OutChannels / s.Groups;
        var o = new HostTensor(s.OutChannels, oh, ow);
        for (int oc = 0; oc < s.OutChannels; oc++)
        {
            int g = oc / ocg;
            for (int y = 0; y < oh; y++)
            {
                for (int xx = 0; xx < ow; xx++)
                {
                    double sum = s.Bias?[oc] ?? 0;
                    for (int i = 0; i < icg; i++)
                    {
                        for (int ky = 0; ky < s.KernelH; ky++)
                        {
                            for (int kx = 0; kx < s.KernelW; kx++)
                            {
                                double w = s.Weights[((oc * icg + i) * s.KernelH + ky) * s.KernelW + kx];
                                sum += w * x[g * icg + i, y * s.StrideY + ky * s.DilationY, xx * s.StrideX + kx * s.DilationX];
                            }
                        }
                    }
                    o[oc, y, xx] = Activate(s.Activation, sum, oc);
                }
            }
        }
        return o;
    }

    /// <summary>Scatters every input pixel times the kernel into the full output, then crops the padding.</summary>
    public static HostTensor ConvTranspose2d(HostTensor input, ConvTranspose2dSpec s)
    {
        var x = Pad(input, s.InputPadding, s.InputPaddingMode);
        int fullH = (x.H - 1) * s.StrideY + s.KernelH + s.OutputPaddingY;
        int fullW = (x.W - 1) * s.StrideX + s.KernelW + s.OutputPaddingX;
        int icg = s.InChannels / s.Groups, ocg = s.OutChannels / s.Groups;
        var full = new HostTensor(s.OutChannels, fullH, fullW);
        for (int ic = 0; ic < s.InChannels; ic++)
        {
            int g = ic / icg;
            for (int j = 0; j < ocg; j++)
            {
                int oc = g * ocg + j;
                for (int y = 0; y < x.H; y++)
                {
                    for (int xx = 0; xx < x.W; xx++)
                    {
                        double v = x[ic, y, xx];
                        for (int ky = 0; ky < s.KernelH; ky++)
                        {
                            for (int kx = 0; kx < s.KernelW; kx++)
                            {
                                full[oc, y * s.StrideY + ky, xx * s.StrideX + kx] +=
                                    v * s.Weights[((ic * ocg + j) * s.KernelH + ky) * s.KernelW + kx];
                            }
                        }
                    }
                }
            }
        }
        int oh = fullH - s.Padding.Top - s.Padding.Bottom, ow = fullW - s.Padding.Left - s.Padding.Right;
        var o = new HostTensor(s.OutChannels, oh, ow);
        for (int oc = 0; oc < s.OutChannels; oc++)
        {
            for (int y = 0; y < oh; y++)
            {
                for (int xx = 0; xx < ow; xx++)
                {
                    o[oc, y, xx] = Activate(s.Activation, full[oc, y + s.Padding.Top, xx + s.Padding.Left] + (s.Bias?[oc] ?? 0), oc);
                }
            }
        }
        return o;
    }

    /// <summary>Depth to space through the 6-D reshape and transpose ONNX uses to define it.</summary>
    public static HostTensor PixelShuffle(HostTensor x, PixelShuffleSpec s)
    {
        int r = s.Scale, c = x.C / (r * r);
        var o = new HostTensor(c, x.H * r, x.W * r);
        for (int ic = 0; ic < x.C; ic++)
        {
            // CRD views the channel axis as [c][i][j], DCR as [i][j][c].
            int cc, i, j;
            if (s.Order == DepthToSpaceOrder.Crd)
            {
                (cc, i, j) = (ic / (r * r), ic / r % r, ic % r);
            }
            else
            {
                (i, j, cc) = (ic / (r * c), ic / c % r, ic % c);
            }
            for (int y = 0; y < x.H; y++)
            {
                for (int xx = 0; xx < x.W; xx++)
                {
                    o[cc, y * r + i, xx * r + j] = x[ic, y, xx];
                }
            }
        }
        return o;
    }

    /// <summary>F.interpolate, separably: rows, then columns.</summary>
    public static HostTensor Upsample(HostTensor x, UpsampleSpec s)
    {
        int oh = s.OutputHeight ?? (int)Math.Floor(x.H * s.ScaleY);
        int ow = s.OutputWidth ?? (int)Math.Floor(x.W * s.ScaleX);
        var rows = AxisWeights(x.H, oh, s.OutputHeight is null && !s.RecomputeScaleFactor ? 1 / s.ScaleY : x.H / (double)oh, s);
        var cols = AxisWeights(x.W, ow, s.OutputWidth is null && !s.RecomputeScaleFactor ? 1 / s.ScaleX : x.W / (double)ow, s);
        var o = new HostTensor(x.C, oh, ow);
        for (int c = 0; c < x.C; c++)
        {
            for (int y = 0; y < oh; y++)
            {
                for (int xx = 0; xx < ow; xx++)
                {
                    double sum = 0;
                    foreach (var (sy, wy) in rows[y])
                    {
                        foreach (var (sx, wx) in cols[xx])
                        {
                            sum += wy * wx * x[c, sy, sx];
                        }
                    }
                    o[c, y, xx] = sum;
                }
            }
        }
        return o;
    }

    private static List<(int, double)>[] AxisWeights(int n, int outN, double inverseScale, UpsampleSpec s)
    {
        var taps = new List<(int, double)>[outN];
        for (int d = 0; d < outN; d++)
        {
            var list = new List<(int, double)>();
            if (s.Mode == UpsampleMode.Nearest)
            {
                // PyTorch computes this index in float32.
                list.Add((Math.Min((int)MathF.Floor(d * (float)inverseScale), n - 1), 1));
            }
            else
            {
                double src = s.AlignCorners
                    ? (outN > 1 ? d * (n - 1) / (double)(outN - 1) : 0)
                    : (d + 0.5) * inverseScale - 0.5;
                if (s.Mode == UpsampleMode.Bilinear)
                {
                    src = Math.Max(src, 0);
                    int i0 = (int)Math.Floor(src);
                    double t = src - i0;
                    list.Add((Math.Min(i0, n - 1), 1 - t));
                    list.Add((Math.Min(i0 + 1, n - 1), t));
                }
                else
                {
                    int i0 = (int)Math.Floor(src);
                    double t = src - i0;
                    for (int k = -1; k <= 2; k++)
                    {
                        list.Add((Math.Clamp(i0 + k, 0, n - 1), Cubic(t - k)));
                    }
                }
            }
            taps[d] = list;
        }
        return taps;
    }

    /// <summary>Keys' cubic convolution kernel with A = -0.75 (PyTorch's bicubic).</summary>
    public static double Cubic(double x)
    {
        const double a = -0.75;
        x = Math.Abs(x);
        if (x <= 1)
        {
            return ((a + 2) * x - (a + 3)) * x * x + 1;
        }
        if (x < 2)
        {
            return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a;
        }
        return 0;
    }

    /// <summary>Zhang's BlurPool: pad, binomial filter from Pascal's triangle, subsample.</summary>
    public static HostTensor BlurPool(HostTensor x, BlurPoolSpec s)
    {
        int k = s.FilterSize;
        var row = new double[k];
        for (int i = 0; i < k; i++)
        {
            row[i] = Choose(k - 1, i);
        }
        double norm = row.Sum() * row.Sum();
        var p = new Padding((k - 1) / 2, (k - 1) / 2, (int)Math.Ceiling((k - 1) / 2.0), (int)Math.Ceiling((k - 1) / 2.0));
        var padded = Pad(x, p, s.PaddingMode);
        int oh = (padded.H - k) / s.Stride + 1, ow = (padded.W - k) / s.Stride + 1;
        var o = new HostTensor(x.C, oh, ow);
        for (int c = 0; c < x.C; c++)
        {
            for (int y = 0; y < oh; y++)
            {
                for (int xx = 0; xx < ow; xx++)
                {
                    double sum = 0;
                    for (int ky = 0; ky < k; ky++)
                    {
                        for (int kx = 0; kx < k; kx++)
                        {
                            sum += row[ky] * row[kx] * padded[c, y * s.Stride + ky, xx * s.Stride + kx];
                        }
                    }
                    o[c, y, xx] = sum / norm;
                }
            }
        }
        return o;

        static double Choose(int n, int r)
        {
            double v = 1;
            for (int i = 1; i <= r; i++)
            {
                v = v * (n - r + i) / i;
            }
            return v;
        }
    }

    /// <summary>Elementwise, a size-1 channel axis or a 1 x 1 plane of either side repeated to the other's.</summary>
    public static HostTensor Binary(BinaryOperator op, HostTensor a, HostTensor b, Activation act)
    {
        var o = new HostTensor(Math.Max(a.C, b.C), Math.Max(a.H, b.H), Math.Max(a.W, b.W));
        for (int c = 0; c < o.C; c++)
        {
            for (int y = 0; y < o.H; y++)
            {
                for (int x = 0; x < o.W; x++)
                {
                    double u = a[a.C == 1 ? 0 : c, a.H == 1 ? 0 : y, a.W == 1 ? 0 : x];
                    double v = b[b.C == 1 ? 0 : c, b.H == 1 ? 0 : y, b.W == 1 ? 0 : x];
                    double r = op switch
                    {
                        BinaryOperator.Add => u + v,
                        BinaryOperator.Sub => u - v,
                        BinaryOperator.Mul => u * v,
                        BinaryOperator.Div => u / v,
                        BinaryOperator.Max => Math.Max(u, v),
                        BinaryOperator.Min => Math.Min(u, v),
                        _ => Math.Pow(u, v),
                    };
                    o[c, y, x] = Activate(act, r, c);
                }
            }
        }
        return o;
    }

    /// <summary>Max or mean per window (or per plane, or a region of it), padding read as nothing (or as zeros, counted).</summary>
    public static HostTensor Pool2d(HostTensor x, Pool2dSpec s)
    {
        if (s.Global)
        {
            var g = new HostTensor(x.C, 1, 1);
            var r = s.Region ?? new PlaneRegion(0, 0, x.H, x.W);
            for (int c = 0; c < x.C; c++)
            {
                var plane = Enumerable.Range(0, r.Height * r.Width).Select(i => x[c, r.Top + i / r.Width, r.Left + i % r.Width]).ToArray();
                g.Data[c] = s.Mode == PoolMode.Max ? plane.Max() : plane.Sum() / plane.Length;
            }
            return g;
        }
        var shape = s.OutputShape(x.Shape);
        var o = new HostTensor(shape.Channels, shape.Height, shape.Width);
        for (int c = 0; c < o.C; c++)
        {
            for (int oy = 0; oy < o.H; oy++)
            {
                for (int ox = 0; ox < o.W; ox++)
                {
                    double max = double.NegativeInfinity, sum = 0;
                    int count = 0;
                    for (int ky = 0; ky < s.KernelH; ky++)
                    {
                        for (int kx = 0; kx < s.KernelW; kx++)
                        {
                            int iy = oy * s.StrideY + ky - s.Padding.Top, ix = ox * s.StrideX + kx - s.Padding.Left;
                            if (iy < 0 || ix < 0 || iy >= x.H || ix >= x.W)
                            {
                                continue;
                            }
                            max = Math.Max(max, x[c, iy, ix]);
                            sum += x[c, iy, ix];
                            count++;
                        }
                    }
                    o[c, oy, ox] = s.Mode == PoolMode.Max ? max : sum / (s.CountIncludePad ? s.KernelH * s.KernelW : count);
                }
            }
        }
        return o;
    }

    /// <summary>Weights times the input flattened in (c, y, x) order, plus bias, then the activation.</summary>
    public static HostTensor FullyConnected(HostTensor x, FullyConnectedSpec s)
    {
        var o = new HostTensor(s.OutFeatures, 1, 1);
        for (int j = 0; j < s.OutFeatures; j++)
        {
            double sum = s.Bias?[j] ?? 0;
            for (int i = 0; i < s.InFeatures; i++)
            {
                sum += (double)s.Weights[j * s.InFeatures + i] * x.Data[i];
            }
            o.Data[j] = Activate(s.Activation, sum, j);
        }
        return o;
    }

    /// <summary>The window of <paramref name="a"/> at the offsets with the shape of <paramref name="reference"/>.</summary>
    public static HostTensor CropTo(HostTensor a, HostTensor reference, CropToSpec s)
    {
        var o = new HostTensor(reference.C, reference.H, reference.W);
        for (int c = 0; c < o.C; c++)
        {
            for (int y = 0; y < o.H; y++)
            {
                for (int x = 0; x < o.W; x++)
                {
                    o[c, y, x] = a[s.ChannelStart + c, s.Top + y, s.Left + x];
                }
            }
        }
        return o;
    }

    public static HostTensor ScaleBias(HostTensor a, ScaleBiasSpec s)
    {
        var o = new HostTensor(a.C, a.H, a.W);
        for (int i = 0; i < o.Data.Length; i++)
        {
            int c = i / (a.H * a.W);
            o.Data[i] = Activate(s.Activation, a.Data[i] * s.Scale[c] + s.Bias[c], c);
        }
        return o;
    }

    public static HostTensor Crop(HostTensor x, CropSpec s)
    {
        int c = s.ChannelCount ?? x.C - s.ChannelStart;
        var o = new HostTensor(c, x.H - s.Top - s.Bottom, x.W - s.Left - s.Right);
        for (int cc = 0; cc < o.C; cc++)
        {
            for (int y = 0; y < o.H; y++)
            {
                for (int xx = 0; xx < o.W; xx++)
                {
                    o[cc, y, xx] = x[s.ChannelStart + cc, s.Top + y, s.Left + xx];
                }
            }
        }
        return o;
    }

    /// <summary>An activation on its own, per channel.</summary>
    public static HostTensor Activation(HostTensor a, ActivationSpec s)
    {
        var o = new HostTensor(a.C, a.H, a.W);
        for (int i = 0; i < o.Data.Length; i++)
        {
            o.Data[i] = Activate(s.Activation, a.Data[i], i / (a.H * a.W));
        }
        return o;
    }

    /// <summary>The planes of <paramref name="a"/>, then those of <paramref name="b"/>.</summary>
    public static HostTensor Concat(HostTensor a, HostTensor b)
    {
        var o = new HostTensor(a.C + b.C, a.H, a.W);
        a.Data.CopyTo(o.Data, 0);
        b.Data.CopyTo(o.Data, a.Data.Length);
        return o;
    }

    /// <summary>One layer of any spec, from its definition (a fused spec as its parts in sequence).</summary>
    public static HostTensor Layer(LayerSpec spec, IReadOnlyList<HostTensor> x) => spec switch
    {
        Conv2dSpec c => Conv2d(x[0], c),
        ConvTranspose2dSpec t => ConvTranspose2d(x[0], t),
        PixelShuffleSpec p => PixelShuffle(x[0], p),
        UpsampleSpec u => Upsample(x[0], u),
        ResizeConvSpec r => Conv2d(Upsample(x[0], r.Upsample), r.Conv),
        SubPixelConvSpec s => PixelShuffle(Conv2d(x[0], s.Conv), s.Shuffle),
        ConvPointwiseSpec cp => Conv2d(Conv2d(x[0], cp.Conv), cp.Pointwise),
        PointwiseConvSpec pc => Layer(pc.Conv, new[] { Conv2d(x[0], pc.Pointwise) }),
        ResidualConvSpec rc => Binary(BinaryOperator.Add, Layer(rc.Conv, new[] { x[0] }),
            rc.Upsample is not null ? Upsample(x[1], rc.Upsample) : rc.Crop is not null ? Crop(x[1], rc.Crop) : x[1],
            RealtimeUpscale.Network.Activation.None),
        // The scales as the unfused graph applies them: the products first, then the convolution.
        ChannelScaledConvSpec cs => Layer(cs.Conv, x.Take(cs.Conv.InputCount).Select((v, k) =>
            (k == 0 && cs.ScalesInput) || (k == 1 && cs.ScalesResidual)
                ? Binary(BinaryOperator.Mul, v, x[k == 0 ? cs.InputScaleIndex : cs.ResidualScaleIndex], RealtimeUpscale.Network.Activation.None)
                : v).ToArray()),
        BlurPoolSpec b => BlurPool(x[0], b),
        BinarySpec b => Binary(b.Operator, x[0], x[1], b.Activation),
        ScaleBiasSpec sb => ScaleBias(x[0], sb),
        CropSpec c => Crop(x[0], c),
        ConcatSpec => Concat(x[0], x[1]),
        PadSpec p => Pad(x[0], p.Padding, p.Mode),
        ActivationSpec a => Activation(x[0], a),
        Pool2dSpec p => Pool2d(x[0], p),
        FullyConnectedSpec f => FullyConnected(x[0], f),
        CropToSpec c => CropTo(x[0], x[1], c),
        _ => throw new ArgumentOutOfRangeException(nameof(spec), $"no reference for {spec.GetType().Name}"),
    };

    /// <summary>A whole graph, node by node in its order.</summary>
    public static HostTensor Run(ModelDefinition definition, HostTensor input)
    {
        var values = new Dictionary<string, HostTensor> { [definition.Input] = input };
        foreach (var node in definition.Nodes)
        {
            values[node.Output] = Layer(node.Spec, node.Inputs.Select(v => values[v]).ToArray());
        }
        return values[definition.Output];
    }

    /// <summary>MATLAB rgb2ycbcr on [0, 1] values, as ../shared/EVAL.md states it, returned / 255.</summary>
    public static (double Y, double Cb, double Cr) RgbToYcbcr(double r, double g, double b) => (
        (16 + 65.481 * r + 128.553 * g + 24.966 * b) / 255,
        (128 - 37.797 * r - 74.203 * g + 112.0 * b) / 255,
        (128 + 112.0 * r - 93.786 * g - 18.214 * b) / 255);
}
