namespace RealtimeUpscale.Network.Passes;

/// <summary>
/// Pass 7: rewrites a strided transposed convolution as a sub-pixel convolution: a convolution at low resolution
/// to C * s * s channels, then a pixel shuffle. Both compute the same sums (each output phase of a
/// transposed convolution is a small convolution of the input with every s-th tap), but the convolution
/// shader reuses each loaded input across output channels and pixels, where the gathering transposed
/// convolution reads each input once per tap and phase. It runs after the passes that fuse into a transposed
/// convolution (pad, slice, affine, activation), so it lowers the fused layer. A transposed convolution it
/// cannot lower exactly (groups, unequal strides, reflect input padding, unequal edge padding, an output that is
/// no multiple of the stride, a phase kernel over 9x9) stays and runs on the gathering shader.
/// </summary>
/// <remarks>
/// Index maths, per axis, for kernel k, stride s and output crop p (the padding removed before the first
/// output): output o reads input i through tap t exactly when i * s + t = o + p. Write o = a * s + b
/// (phase b) and p = P * s + pm. Then o + p = (a + P + c) * s + r with r = (b + pm) mod s and carry
/// c = (b + pm) div s, and the taps are t = j * s + r for j = P + c - e over input offsets e (input a + e).
/// As a correlation with kernel position u = e + padBefore, phase b's kernel holds w[(P + c - e) * s + r]
/// where that tap exists and zero elsewhere. padBefore = -min(e) and the kernel spans every phase's offsets;
/// padAfter makes the convolution produce exactly out / s positions. A fused input padding (ONNX Pad before
/// ConvTranspose) adds to both; with edge padding the convolution reads edge values within that border and
/// zeros beyond it (the transposed convolution's own implicit zeros), the shader's PAD_MODE 3.
/// </remarks>
public sealed class StridedDeconvToSubPixel : IGraphPass
{
    /// <inheritdoc />
    public string Name => "strided transposed convolution to sub-pixel";

    /// <inheritdoc />
    public ModelDefinition Apply(ModelDefinition definition) =>
        GraphRewrite.Replace(definition, s => s is ConvTranspose2dSpec t && TryLower(t) is { } lowered ? lowered : s);

    private readonly record struct AxisPlan(int Kernel, int PadBefore, int PadAfter, int P, int[] Carry, int[] Phase);

    /// <summary>The equivalent sub-pixel convolution, or null when this transposed convolution has no cheaper exact form here.</summary>
    internal static SubPixelConvSpec? TryLower(ConvTranspose2dSpec t)
    {
        int s = t.StrideY;
        if (t.Groups != 1 || s < 2 || t.StrideX != s || t.InputPaddingMode == PaddingMode.Reflect)
        {
            return null;
        }
        var ip = t.InputPadding;
        bool edge = t.InputPaddingMode == PaddingMode.Replicate && ip != default;
        if (edge && !(ip.Top == ip.Left && ip.Top == ip.Bottom && ip.Top == ip.Right))
        {
            return null;
        }
        if (Plan(t.KernelH, s, t.Padding.Top, t.KernelH - s - t.Padding.Top - t.Padding.Bottom + t.OutputPaddingY) is not { } y ||
            Plan(t.KernelW, s, t.Padding.Left, t.KernelW - s - t.Padding.Left - t.Padding.Right + t.OutputPaddingX) is not { } x)
        {
            return null;
        }
        int inC = t.InChannels, outC = t.OutChannels, s2 = s * s;
        var weights = new float[outC * s2 * inC * y.Kernel * x.Kernel];
        for (int c = 0; c < outC; c++)
        {
            for (int by = 0; by < s; by++)
            {
                for (int bx = 0; bx < s; bx++)
                {
                    int oc = c * s2 + by * s + bx;
                    for (int ic = 0; ic < inC; ic++)
                    {
                        for (int uy = 0; uy < y.Kernel; uy++)
                        {
                            int ty = Tap(y, by, uy, s, t.KernelH);
                            if (ty < 0)
                            {
                                continue;
                            }
                            for (int ux = 0; ux < x.Kernel; ux++)
                            {
                                int tx = Tap(x, bx, ux, s, t.KernelW);
                                if (tx >= 0)
                                {
                                    weights[((oc * inC + ic) * y.Kernel + uy) * x.Kernel + ux] =
                                        t.Weights[((ic * outC + c) * t.KernelH + ty) * t.KernelW + tx];
                                }
                            }
                        }
                    }
                }
            }
        }
        var act = t.Activation;
        if (act.Slopes is { } slopes)
        {
            act = Activation.PRelu(slopes.SelectMany(v => Enumerable.Repeat(v, s2)).ToArray());
        }
        var conv = new Conv2dSpec
        {
            InChannels = inC, OutChannels = outC * s2, KernelH = y.Kernel, KernelW = x.Kernel, Weights = weights,
            Bias = t.Bias?.SelectMany(v => Enumerable.Repeat(v, s2)).ToArray(),
            Padding = new Padding(ip.Top + y.PadBefore, ip.Left + x.PadBefore, ip.Bottom + y.PadAfter, ip.Right + x.PadAfter),
            PaddingMode = edge ? PaddingMode.Replicate : PaddingMode.Zeros,
            ReplicateBorder = edge ? ip.Top : 0,
            Activation = act,
        };
        return new SubPixelConvSpec(conv, new PixelShuffleSpec(s, DepthToSpaceOrder.Crd));
    }

    /// <summary>The transposed-convolution tap that phase <paramref name="b"/> reads at kernel position <paramref name="u"/>, or -1.</summary>
    private static int Tap(AxisPlan a, int b, int u, int s, int k)
    {
        int j = a.P + a.Carry[b] - (u - a.PadBefore);
        int tap = j * s + a.Phase[b];
        return j >= 0 && tap < k ? tap : -1;
    }

    /// <summary>
    /// One axis: kernel k, stride s, output crop p, and extra = out - in * s (must divide by s). Null when the
    /// convolution would need a negative padding or a kernel over 9.
    /// </summary>
    private static AxisPlan? Plan(int k, int s, int p, int extra)
    {
        if (extra % s != 0)
        {
            return null;
        }
        int bigP = p / s, pm = p % s;
        var carry = new int[s];
        var phase = new int[s];
        int eMin = int.MaxValue, eMax = int.MinValue;
        for (int b = 0; b < s; b++)
        {
            carry[b] = (b + pm) / s;
            phase[b] = (b + pm) % s;
            int taps = phase[b] < k ? (k - phase[b] + s - 1) / s : 0;
            if (taps == 0)
            {
                continue;
            }
            eMin = Math.Min(eMin, bigP + carry[b] - (taps - 1));
            eMax = Math.Max(eMax, bigP + carry[b]);
        }
        if (eMin == int.MaxValue)
        {
            return null;
        }
        int kernel = eMax - eMin + 1, before = -eMin;
        // The convolution must give out / s = in + extra / s positions: in + before + after - kernel + 1.
        int after = extra / s - before + kernel - 1;
        return before < 0 || after < 0 || kernel > 9 ? null : new AxisPlan(kernel, before, after, bigP, carry, phase);
    }
}
