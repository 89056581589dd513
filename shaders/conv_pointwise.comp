#version 450
#extension GL_GOOGLE_include_directive : require
#extension GL_EXT_control_flow_attributes : require
#include "include/storage.glsl"
// A convolution and the 1x1 convolution that reads it, in one pass (ConvPointwiseSpec):
//   pad -> KH x KW convolution (stride 1, no dilation, no groups), inC -> midC -> bias -> activation ACT
//   -> 1x1 convolution, midC -> outC -> bias -> activation PW_ACT
// The midC channels of an invocation's pixels live only in registers: the midC-channel tensor between the two
// convolutions (FSRCNN's 56 channels) is never stored or read back.
//
// Memory layout: every tensor is planar (float32, or float16: include/storage.glsl), element (c, y, x) at (c * H + y) * W + x.
//   binding 0: input, inC x inH x inW
//   binding 1: output, outC x outH x outW (the convolution's output size)
//   bindings 2 and 3: parameters (include/params.glsl), one buffer: the convolution's weights
//              [midStride][inC][KH][KW] at 0, its bias [midStride] at pc.convBias, its PReLU slopes [midStride]
//              at pc.convSlopes (ACT_PRELU_CHANNEL only); the 1x1 weights [outStride][midStride] at pc.pwWeights,
//              their bias [outStride] at pc.pwBias, their slopes [outStride] at pc.pwSlopes. midStride is midC
//              rounded up to a multiple of MID_BLOCK, outStride outC to a multiple of OUT_BLOCK; padding channels
//              hold zeros (a zero mid channel activates to zero and has zero 1x1 weights) and are never stored.
//   binding 4: the input again, as R32F (or R16F) texels (read when TEXELS = 1)
// Invocation (x, y) computes output pixels (x * PX + j, y), j < PX, of every output channel. It walks the output
// channels OUT_BLOCK at a time and the mid channels MID_BLOCK at a time; for each pair it folds the activated mid
// block into the output block. The host makes one of the two blocks whole, so nothing is computed twice:
//   OUT_BLOCK = outStride (a shrinking 1x1, few outputs): the outputs stay in registers while the mid channels
//     stream through them, MID_BLOCK at a time;
//   MID_BLOCK = midStride (an expanding 1x1, few mid channels): the mid channels are computed once and stay in
//     registers while the outputs are computed and stored OUT_BLOCK at a time.
// The loops whose indices address the accumulators and the window are unrolled, so those arrays stay in
// registers (as in conv2d.comp).
// With HOLD_INPUT (one input channel, several mid blocks: FSRCNN's first layer) the KH rows of the window are loaded
// once per invocation and every mid block reads them from registers, where each block would fetch them again
// (lavapipe, FSRCNN x2 at 960x540: the fused layer 89.1 -> 70.1 ms in one session).

#include "include/codes.glsl"

layout(local_size_x_id = 0, local_size_y_id = 1, local_size_z_id = 2) in;

layout(constant_id = 3) const int KH = 3;
layout(constant_id = 4) const int KW = 3;
layout(constant_id = 5) const int PAD_MODE = PAD_ZEROS;
layout(constant_id = 6) const int BORDER = 0;        // PAD_BOUNDED_REPLICATE: how far outside the input the edge repeats
layout(constant_id = 7) const int MID_BLOCK = 8;     // mid channels computed at a time
layout(constant_id = 8) const int OUT_BLOCK = 8;     // output channels accumulated at a time
layout(constant_id = 9) const int ACT = ACT_NONE;    // the convolution's activation
layout(constant_id = 10) const float ACT_A = 0.0;
layout(constant_id = 11) const float ACT_B = 0.0;
layout(constant_id = 12) const int PW_ACT = ACT_NONE; // the 1x1 convolution's activation
layout(constant_id = 13) const float PW_ACT_A = 0.0;
layout(constant_id = 14) const float PW_ACT_B = 0.0;
layout(constant_id = 15) const int PARAMS_IN_UBO = 0;
layout(constant_id = 16) const int PX = 1;            // output pixels per invocation along x
layout(constant_id = 17) const int TEXELS = 0;        // 1: read the input through binding 4
layout(constant_id = 18) const int HOLD_INPUT = 0;    // 1: one input channel, its KH window rows loaded once

layout(std430, binding = 0) readonly buffer Input { TENSOR_T inData[]; };
layout(std430, binding = 1) writeonly buffer Output { TENSOR_T outData[]; };

layout(push_constant) uniform Push
{
    int inC, inH, inW;
    int outC, outH, outW;
    int padTop, padLeft;
    int midStride, outStride;
    int convBias, convSlopes;        // parameter offsets, in floats
    int pwWeights, pwBias, pwSlopes;
} pc;

layout(binding = 4) uniform samplerBuffer inTexels;

#define SRC(i) (TEXELS == 1 ? texelFetch(inTexels, i).r : LOAD(inData[i]))
#include "include/activation.glsl"
#include "include/params.glsl"
#include "include/pad.glsl"

void main()
{
    int ox0 = int(gl_GlobalInvocationID.x) * PX;
    int oy = int(gl_GlobalInvocationID.y);
    if (ox0 >= pc.outW || oy >= pc.outH) return;

    // Padded input columns this invocation reads: output j reads column j + kx through tap kx, so the PX
    // outputs share one window of PX + KW - 1 columns, loaded once per row and input channel.
    const int WIDTH = PX + KW - 1;
    int cols[WIDTH];
    [[unroll]] for (int m = 0; m < WIDTH; m++) cols[m] = padIndex(ox0 - pc.padLeft + m, pc.inW);
    int wPerMid = pc.inC * KH * KW;

    // HOLD_INPUT: the one input channel's KH rows of the window, loaded once for every mid block.
    MATH_T rows[HOLD_INPUT == 1 ? KH * WIDTH : 1];
    if (HOLD_INPUT == 1)
    {
        [[unroll]] for (int ky = 0; ky < KH; ky++)
        {
            int iy = padIndex(oy - pc.padTop + ky, pc.inH);
            [[unroll]] for (int m = 0; m < WIDTH; m++)
            {
                float v = SRC(max(iy, 0) * pc.inW + max(cols[m], 0));
                rows[ky * WIDTH + m] = MATH_T(iy >= 0 && cols[m] >= 0 ? v : 0.0);
            }
        }
    }
    MATH_T mid[MID_BLOCK * PX];
    MATH_T acc[OUT_BLOCK * PX];
    for (int ob = 0; ob < pc.outStride; ob += OUT_BLOCK)
    {
        [[unroll]] for (int i = 0; i < OUT_BLOCK * PX; i++) acc[i] = MATH_T(0);
        for (int mb = 0; mb < pc.midStride; mb += MID_BLOCK)
        {
            // With the mid channels whole (MID_BLOCK = midStride), they were computed for the first output block.
            if (ob == 0 || MID_BLOCK < pc.midStride)
            {
                [[unroll]] for (int i = 0; i < MID_BLOCK * PX; i++) mid[i] = MATH_T(0);
                if (HOLD_INPUT == 1)
                {
                    [[unroll]] for (int ky = 0; ky < KH; ky++)
                    {
                        [[unroll]] for (int b = 0; b < MID_BLOCK; b++)
                        {
                            [[unroll]] for (int j = 0; j < PX; j++)
                            {
                                [[unroll]] for (int kx = 0; kx < KW; kx++)
                                    mid[b * PX + j] += rows[ky * WIDTH + j + kx] * MATH_T(param((mb + b) * wPerMid + ky * KW + kx));
                            }
                        }
                    }
                }
                else for (int ky = 0; ky < KH; ky++)
                {
                    int iy = padIndex(oy - pc.padTop + ky, pc.inH);
                    if (iy < 0) continue;
                    for (int ic = 0; ic < pc.inC; ic++)
                    {
                        MATH_T win[WIDTH];
                        [[unroll]] for (int m = 0; m < WIDTH; m++)
                        {
                            // No branch around the read: a zero-padding position reads column 0 and is zeroed.
                            float v = SRC((ic * pc.inH + iy) * pc.inW + max(cols[m], 0));
                            win[m] = MATH_T(cols[m] >= 0 ? v : 0.0);
                        }
                        int w = (ic * KH + ky) * KW;
                        // Per accumulator, all KW taps in a row (as conv2d.comp).
                        [[unroll]] for (int b = 0; b < MID_BLOCK; b++)
                        {
                            [[unroll]] for (int j = 0; j < PX; j++)
                            {
                                [[unroll]] for (int kx = 0; kx < KW; kx++) mid[b * PX + j] += win[j + kx] * MATH_T(param((mb + b) * wPerMid + w + kx));
                            }
                        }
                    }
                }
                [[unroll]] for (int b = 0; b < MID_BLOCK; b++)
                {
                    float bias = param(pc.convBias + mb + b);
                    float slope = ACT == ACT_PRELU_CHANNEL ? param(pc.convSlopes + mb + b) : 0.0;
                    [[unroll]] for (int j = 0; j < PX; j++) mid[b * PX + j] = MATH_T(activate(float(mid[b * PX + j]) + bias, slope));
                }
            }
            // Per output accumulator, the whole mid block in a row.
            [[unroll]] for (int o = 0; o < OUT_BLOCK; o++)
            {
                [[unroll]] for (int j = 0; j < PX; j++)
                {
                    [[unroll]] for (int b = 0; b < MID_BLOCK; b++) acc[o * PX + j] += mid[b * PX + j] * MATH_T(param(pc.pwWeights + (ob + o) * pc.midStride + mb + b));
                }
            }
        }
        [[unroll]] for (int o = 0; o < OUT_BLOCK; o++)
        {
            int oc = ob + o;
            if (oc >= pc.outC) break;
            float bias = param(pc.pwBias + oc);
            float slope = PW_ACT == ACT_PRELU_CHANNEL ? param(pc.pwSlopes + oc) : 0.0;
            [[unroll]] for (int j = 0; j < PX; j++)
            {
                int ox = ox0 + j;
                if (ox >= pc.outW) break;
                outData[(oc * pc.outH + oy) * pc.outW + ox] = STORE(activation(PW_ACT, PW_ACT_A, PW_ACT_B, float(acc[o * PX + j]) + bias, slope));
            }
        }
    }
}
