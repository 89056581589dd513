#version 450
#extension GL_GOOGLE_include_directive : require
// Transposed 2D convolution (deconvolution), PyTorch's conv_transpose2d / ONNX ConvTranspose, computed by
// gathering: each output pixel sums its own contributions, so no two invocations write the same element
// and no atomics are needed.
//
// Output (oy, ox) receives input (iy, ix) through kernel tap (ky, kx) when oy + padTop = iy * SY + ky,
// i.e. ky runs over the taps congruent to (oy + padTop) mod SY, and iy = (oy + padTop - ky) / SY.
// When the kernel is not a multiple of the stride, neighbouring outputs get different tap counts: that
// uneven overlap is the checkerboard pattern of Odena et al. (2016).
// A pad of the input (an ONNX Pad before the ConvTranspose, as in the FSRCNN release) is fused: iy and ix
// index the padded input, inPadH x inPadW, and are mapped to the stored one by IN_PAD_MODE.
//
//   binding 0: input  inC x inH x inW
//   binding 1: output outC x outH x outW, outH = (inPadH - 1) * SY - padTop - padBottom + KH + outputPadding
//   bindings 2 and 3: parameters (include/params.glsl): weights [inC][ocStride][KH][KW] (PyTorch's layout
//              with the per-group output channels padded with zeros to ocStride, a multiple of OC_BLOCK),
//              then bias [outC], then, for ACT == 3, one PReLU slope per output channel [outC]
// Invocations are laid out phase-major: z = ocBlock * SY * SX + ry * SX + rx, and invocation (x, y, z) computes
// output pixel (x * SX + rx, y * SY + ry) of output channels ocBlock * OC_BLOCK .. + OC_BLOCK - 1 (never across
// groups). Every invocation of a workgroup then uses the same kernel taps, so the weight reads are uniform
// and the tap loops do not diverge.
layout(local_size_x = 8, local_size_y = 8, local_size_z = 1) in;

layout(constant_id = 0) const int KH = 3;
layout(constant_id = 1) const int KW = 3;
layout(constant_id = 2) const int SY = 1;
layout(constant_id = 3) const int SX = 1;
layout(constant_id = 4) const int OC_BLOCK = 1;
layout(constant_id = 5) const int ACT = 0;
layout(constant_id = 6) const float ACT_A = 0.0;
layout(constant_id = 7) const float ACT_B = 0.0;
layout(constant_id = 8) const int IN_PAD_MODE = 0;   // 0 zeros, 1 replicate (edge), 2 reflect
layout(constant_id = 9) const int PARAMS_IN_UBO = 0;

layout(std430, binding = 0) readonly buffer Input { float inData[]; };
layout(std430, binding = 1) writeonly buffer Output { float outData[]; };

layout(push_constant) uniform Push
{
    int inC, inH, inW;
    int outC, outH, outW;
    int padTop, padLeft;
    int groups;
    int inPadTop, inPadLeft, inPadH, inPadW;
    int ocStride;
} pc;

#include "include/activation.glsl"
#include "include/params.glsl"

// Maps a coordinate of the padded input to the stored one; -1 for a zero pad.
int padIndex(int i, int n)
{
    if (i >= 0 && i < n) return i;
    if (IN_PAD_MODE == 0) return -1;
    if (IN_PAD_MODE == 1) return clamp(i, 0, n - 1);
    i = i < 0 ? -i : i;
    return i >= n ? 2 * (n - 1) - i : i;
}

void main()
{
    int z = int(gl_GlobalInvocationID.z);
    int ocBlock = z / (SY * SX);
    int phase = z - ocBlock * SY * SX;
    int ox = int(gl_GlobalInvocationID.x) * SX + phase % SX;
    int oy = int(gl_GlobalInvocationID.y) * SY + phase / SX;
    int oc0 = ocBlock * OC_BLOCK;
    if (ox >= pc.outW || oy >= pc.outH || oc0 >= pc.outC) return;

    int icPerGroup = pc.inC / pc.groups;
    int ocPerGroup = pc.outC / pc.groups;
    int g = oc0 / ocPerGroup;
    int ocg0 = oc0 - g * ocPerGroup;

    float acc[OC_BLOCK];
    for (int b = 0; b < OC_BLOCK; b++) acc[b] = 0.0;

    int ty = oy + pc.padTop;
    int tx = ox + pc.padLeft;
    for (int ky = ty % SY; ky < KH; ky += SY)
    {
        int py = (ty - ky) / SY;
        if (ty < ky || py >= pc.inPadH) continue;
        int iy = padIndex(py - pc.inPadTop, pc.inH);
        if (iy < 0) continue;
        for (int kx = tx % SX; kx < KW; kx += SX)
        {
            int px = (tx - kx) / SX;
            if (tx < kx || px >= pc.inPadW) continue;
            int ix = padIndex(px - pc.inPadLeft, pc.inW);
            if (ix < 0) continue;
            for (int icg = 0; icg < icPerGroup; icg++)
            {
                int ic = g * icPerGroup + icg;
                float v = inData[(ic * pc.inH + iy) * pc.inW + ix];
                int w = ((ic * pc.ocStride + ocg0) * KH + ky) * KW + kx;
                for (int b = 0; b < OC_BLOCK; b++)
                {
                    acc[b] += v * param(w + b * KH * KW);
                }
            }
        }
    }

    int biasBase = pc.inC * pc.ocStride * KH * KW;
    for (int b = 0; b < OC_BLOCK; b++)
    {
        int oc = oc0 + b;
        if (oc >= pc.outC) break;
        float slope = ACT == 3 ? param(biasBase + pc.outC + oc) : 0.0;
        outData[(oc * pc.outH + oy) * pc.outW + ox] = activate(acc[b] + param(biasBase + oc), slope);
    }
}
