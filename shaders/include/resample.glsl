// Reads one channel plane of the source tensor at a coordinate of its upsampled version, with PyTorch's
// definitions of F.interpolate (which ONNX Resize shares for the modes used here).
//
// The including shader includes codes.glsl and defines RESAMPLE_SRC(s, i): element i of its source tensor s (a
// shader reading one source ignores s; conv2d.comp reads its input, 0, and its residual, 1). Each call passes
//   source       : s
//   mode         : UPSAMPLE_NEAREST, UPSAMPLE_BILINEAR or UPSAMPLE_BICUBIC (cubic convolution, A = -0.75)
//   alignCorners : 0 or 1 (ignored by nearest)
// as specialization constants (the driver inlines the functions and folds them), and, per axis, `scale`: source
// pixels per output pixel. For align_corners = 0 that is
// 1 / scale_factor (or in/out when a size was given); for align_corners = 1 it is (in - 1) / (out - 1).
// When the output is exactly an integer factor P of the input, the host also passes `period` = P (else 0):
// output d = q * P + r then maps to source q plus a fraction that depends on r alone, so a pixel's weights do
// not depend on where it lies in the image (tiles and whole images agree to the bit).
//
// Source coordinate of output index d:
//   nearest                : floor(d * scale), at most in - 1
//   bilinear, align 0      : max((d + 0.5) * scale - 0.5, 0)
//   bicubic,  align 0      : (d + 0.5) * scale - 0.5            (no clamp; taps are clamped instead)
//   bilinear/bicubic, align 1 : d * scale
// Bilinear blends taps i and min(i + 1, in - 1); bicubic blends i - 1 .. i + 2, each clamped to [0, in - 1].

const float CUBIC_A = -0.75;

float cubicNear(float t) { return ((CUBIC_A + 2.0) * t - (CUBIC_A + 3.0)) * t * t + 1.0; }             // |t| <= 1
float cubicFar(float t)  { return ((CUBIC_A * t - 5.0 * CUBIC_A) * t + 8.0 * CUBIC_A) * t - 4.0 * CUBIC_A; } // 1 < |t| < 2

// The four bicubic tap weights of fraction t, taps i - 1 .. i + 2.
float[4] cubicWeights(float t)
{
    return float[4](cubicFar(t + 1.0), cubicNear(t), cubicNear(1.0 - t), cubicFar(2.0 - t));
}

// Source index i and fraction t (in [0, 1)) of output index d.
void sourcePosition(int mode, int alignCorners, int d, float scale, int period, out int i, out float t)
{
    float s;
    int base = 0;
    if (alignCorners == 1)
    {
        s = float(d) * scale;
    }
    else if (period > 0)
    {
        base = d / period;
        s = (float(d - base * period) + 0.5) * scale - 0.5;
        if (mode == UPSAMPLE_BILINEAR && base == 0) s = max(s, 0.0);
    }
    else
    {
        s = (float(d) + 0.5) * scale - 0.5;
        if (mode == UPSAMPLE_BILINEAR) s = max(s, 0.0);
    }
    float f = floor(s);
    i = base + int(f);
    t = s - f;
}

float resampleAt(int source, int mode, int alignCorners, int planeBase, int srcH, int srcW, int y, int x,
                 float scaleY, float scaleX, int periodY, int periodX)
{
    if (mode == UPSAMPLE_NEAREST)
    {
        int sy = min(periodY > 0 ? y / periodY : int(floor(float(y) * scaleY)), srcH - 1);
        int sx = min(periodX > 0 ? x / periodX : int(floor(float(x) * scaleX)), srcW - 1);
        return RESAMPLE_SRC(source, planeBase + sy * srcW + sx);
    }
    int iy, ix;
    float ty, tx;
    sourcePosition(mode, alignCorners, y, scaleY, periodY, iy, ty);
    sourcePosition(mode, alignCorners, x, scaleX, periodX, ix, tx);
    if (mode == UPSAMPLE_BILINEAR)
    {
        int y1 = min(iy + 1, srcH - 1);
        int x1 = min(ix + 1, srcW - 1);
        float a = RESAMPLE_SRC(source, planeBase + iy * srcW + ix);
        float b = RESAMPLE_SRC(source, planeBase + iy * srcW + x1);
        float c = RESAMPLE_SRC(source, planeBase + y1 * srcW + ix);
        float d = RESAMPLE_SRC(source, planeBase + y1 * srcW + x1);
        return (1.0 - ty) * ((1.0 - tx) * a + tx * b) + ty * ((1.0 - tx) * c + tx * d);
    }
    float wy[4] = cubicWeights(ty);
    float wx[4] = cubicWeights(tx);
    float sum = 0.0;
    for (int j = 0; j < 4; j++)
    {
        int sy = clamp(iy - 1 + j, 0, srcH - 1);
        float row = 0.0;
        for (int i = 0; i < 4; i++)
        {
            int sx = clamp(ix - 1 + i, 0, srcW - 1);
            row += wx[i] * RESAMPLE_SRC(source, planeBase + sy * srcW + sx);
        }
        sum += wy[j] * row;
    }
    return sum;
}
