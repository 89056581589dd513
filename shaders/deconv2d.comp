#version 450
#extension GL_GOOGLE_include_directive : require
#extension GL_EXT_control_flow_attributes : require
#include "include/storage.glsl"
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
//              then bias [outC], then, for ACT_PRELU_CHANNEL, one PReLU slope per output channel [outC]
//   binding 4: the input again, as R32F (or R16F) texels (read when TEXELS = 1)
// Invocations are laid out phase-major: z = ocBlock * SY * SX + ry * SX + rx, and invocation (x, y, z) computes
// the PX output pixels ((x * PX + j) * SX + rx, y * SY + ry), j < PX, of output channels
// ocBlock * OC_BLOCK .. + OC_BLOCK - 1 (never across groups). Every invocation of a workgroup then uses the same
// kernel taps, so the weight reads are uniform and the tap loops do not diverge.

#include "include/codes.glsl"

// The workgroup size is set by the host (the kernel's descriptor) through constants 0 to 2.
layout(local_size_x_id = 0, local_size_y_id = 1, local_size_z_id = 2) in;

layout(constant_id = 3) const int KH = 3;
layout(constant_id = 4) const int KW = 3;
layout(constant_id = 5) const int SY = 1;
layout(constant_id = 6) const int SX = 1;
layout(constant_id = 7) const int OC_BLOCK = 1;
layout(constant_id = 8) const int ACT = ACT_NONE;
layout(constant_id = 9) const float ACT_A = 0.0;
layout(constant_id = 10) const float ACT_B = 0.0;
layout(constant_id = 11) const int IN_PAD_MODE = PAD_ZEROS; // PAD_ZEROS, PAD_REPLICATE or PAD_REFLECT
layout(constant_id = 12) const int PARAMS_IN_UBO = 0;
layout(constant_id = 13) const int PX = 4;          // output pixels per invocation along x
layout(constant_id = 14) const int TEXELS = 0;      // 1: read the input through binding 4 (CPU devices; see conv2d.comp)

// Taps along x one output phase uses at most, and the input columns one invocation reads per row.
const int NTX = (KW + SX - 1) / SX;
const int WIDTH = PX + NTX - 1;

layout(std430, binding = 0) readonly buffer Input { TENSOR_T inData[]; };
layout(std430, binding = 1) writeonly buffer Output { TENSOR_T outData[]; };

layout(push_constant) uniform Push
{
    int inC, inH, inW;
    int outC, outH, outW;
    int padTop, padLeft;
    int groups;
    int inPadTop, inPadLeft, inPadH, inPadW;
    int ocStride;
} pc;

layout(binding = 4) uniform samplerBuffer inTexels;

#include "include/activation.glsl"
#include "include/params.glsl"

// Maps a coordinate of the padded input to the stored one; -1 for a zero pad.
int padIndex(int i, int n)
{
    if (i >= 0 && i < n) return i;
    if (IN_PAD_MODE == PAD_ZEROS) return -1;
    if (IN_PAD_MODE == PAD_REPLICATE) return clamp(i, 0, n - 1);
    i = i < 0 ? -i : i;
    return i >= n ? 2 * (n - 1) - i : i;
}

void main()
{
    int z = int(gl_GlobalInvocationID.z);
    int ocBlock = z / (SY * SX);
    int phase = z - ocBlock * SY * SX;
    int rx = phase % SX;
    int qx0 = int(gl_GlobalInvocationID.x) * PX;
    int oy = int(gl_GlobalInvocationID.y) * SY + phase / SX;
    int ox0 = qx0 * SX + rx;
    int oc0 = ocBlock * OC_BLOCK;
    if (ox0 >= pc.outW || oy >= pc.outH || oc0 >= pc.outC) return;

    int icPerGroup = pc.inC / pc.groups;
    int ocPerGroup = pc.outC / pc.groups;
    int g = oc0 / ocPerGroup;
    int ocg0 = oc0 - g * ocPerGroup;

    MATH_T acc[OC_BLOCK * PX];
    [[unroll]] for (int i = 0; i < OC_BLOCK * PX; i++) acc[i] = MATH_T(0);

    // Along x the taps are kx = kx0 + t * SX for t < ntx (ntx <= NTX), and output j of this invocation (phase
    // column qx0 + j) reads padded input column last + j - t, last = qx0 + (txr - kx0) / SX. The PX outputs
    // therefore share one window of WIDTH input columns ending at last + PX - 1, loaded once per input row
    // and channel; win[m] holds column last - (NTX - 1) + m, so output j reads win[j - t + NTX - 1] (the
    // loops are unrolled and every index is a constant: the arrays stay in registers on CPU drivers).
    int txr = rx + pc.padLeft;
    int kx0 = txr % SX;
    int ntx = (KW - kx0 + SX - 1) / SX;
    int start = qx0 + (txr - kx0) / SX - (NTX - 1);
    int cols[WIDTH];
    [[unroll]] for (int m = 0; m < WIDTH; m++)
    {
        int px = start + m;
        cols[m] = px >= 0 && px < pc.inPadW ? padIndex(px - pc.inPadLeft, pc.inW) : -1;
    }

    int ty = oy + pc.padTop;
    for (int ky = ty % SY; ky < KH; ky += SY)
    {
        int py = (ty - ky) / SY;
        if (ty < ky || py >= pc.inPadH) continue;
        int iy = padIndex(py - pc.inPadTop, pc.inH);
        if (iy < 0) continue;
        for (int icg = 0; icg < icPerGroup; icg++)
        {
            int ic = g * icPerGroup + icg;
            int row = (ic * pc.inH + iy) * pc.inW;
            MATH_T win[WIDTH];
            [[unroll]] for (int m = 0; m < WIDTH; m++)
            {
                // No branch around the read: a zero-padding position reads column 0 and is zeroed.
                int i = row + max(cols[m], 0);
                float v = TEXELS == 1 ? texelFetch(inTexels, i).r : LOAD(inData[i]);
                win[m] = MATH_T(cols[m] >= 0 ? v : 0.0);
            }
            int wBase = ((ic * pc.ocStride + ocg0) * KH + ky) * KW + kx0;
            [[unroll]] for (int t = 0; t < NTX; t++)
            {
                if (t >= ntx) break;
                [[unroll]] for (int b = 0; b < OC_BLOCK; b++)
                {
                    MATH_T w = MATH_T(param(wBase + b * KH * KW + t * SX));
                    [[unroll]] for (int j = 0; j < PX; j++)
                    {
                        acc[b * PX + j] += win[j - t + NTX - 1] * w;
                    }
                }
            }
        }
    }

    int biasBase = pc.inC * pc.ocStride * KH * KW;
    [[unroll]] for (int b = 0; b < OC_BLOCK; b++)
    {
        int oc = oc0 + b;
        if (oc >= pc.outC) break;
        float bias = param(biasBase + oc);
        float slope = ACT == ACT_PRELU_CHANNEL ? param(biasBase + pc.outC + oc) : 0.0;
        [[unroll]] for (int j = 0; j < PX; j++)
        {
            int ox = ox0 + j * SX;
            if (ox >= pc.outW) break;
            outData[(oc * pc.outH + oy) * pc.outW + ox] = STORE(activate(float(acc[b * PX + j]) + bias, slope));
        }
    }
}
