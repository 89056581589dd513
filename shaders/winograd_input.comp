#version 450
#extension GL_GOOGLE_include_directive : require
#extension GL_EXT_control_flow_attributes : require
#include "include/storage.glsl"
#include "include/codes.glsl"
// The first of the three passes of a 3x3 convolution (stride 1, no dilation, no groups) by Winograd's minimal
// filtering F(4x4, 3x3) (Lavin and Gray 2016), for one band of tile rows:
//   winograd_input    V = B^T d B     for every input channel and 4x4 output tile (d: the tile's 6x6 input patch)
//   winograd_product  M = U V         per transformed element: a matrix product over the input channels
//   winograd_output   Y = A^T M A     + bias, activation, stored
// 36 multiply-adds per tile, input and output channel where the direct convolution takes 144.
//   B^T = [4  0 -5  0 1 0;  0 -4 -4  1 1 0;  0 4 -4 -1 1 0;  0 -2 -1 2 1 0;  0 2 -1 -2 1 0;  0 4 0 -5 0 1]
//
// binding 0: input, planar inC x inH x inW (float32, or float16: include/storage.glsl)
// binding 1: V, float32 vec4s: element e (6 * row + column) of input channel c for the tiles 4q .. 4q + 3 of
//            band row r at ((e * cPad + c) * plane + r * quads + q); channels inC .. cPad - 1 are zeros
// binding 2: the input again, as R32F (or R16F) texels (read when TEXELS = 1)
// Invocation (q, r, c) transforms channel c of the four tiles 4q .. 4q + 3 of tile row tileRow0 + r: their patches
// share one 6 x 18 window of input rows 4 * (tileRow0 + r) - padTop .. + 5 and columns 16q - padLeft .. + 17.
layout(local_size_x_id = 0, local_size_y_id = 1, local_size_z_id = 2) in;

layout(constant_id = 3) const int PAD_MODE = PAD_ZEROS;
layout(constant_id = 4) const int BORDER = 0;         // PAD_BOUNDED_REPLICATE: how far outside the input the edge repeats
layout(constant_id = 5) const int TEXELS = 0;         // 1: read the input through binding 2

layout(std430, binding = 0) readonly buffer Input { TENSOR_T inData[]; };
layout(std430, binding = 1) writeonly buffer Transformed { vec4 vData[]; };
layout(binding = 2) uniform samplerBuffer inTexels;

layout(push_constant) uniform Push
{
    int inC, inH, inW;
    int padTop, padLeft;
    int tileRow0, rows;   // the band: its first tile row and how many it holds (rows past the output compute nothing)
    int quads;            // quads of tiles per tile row
    int cPad;             // input channels rounded up to 4
    int plane;            // vec4s per (element, channel): the band's rows times quads
} pc;

#define SRC(i) (TEXELS == 1 ? texelFetch(inTexels, i).r : LOAD(inData[i]))
#include "include/pad.glsl"

// B^T x for one column (or row) of six values.
void inputTransform(float x0, float x1, float x2, float x3, float x4, float x5, out float y[6])
{
    y[0] = 4.0 * x0 - 5.0 * x2 + x4;
    y[1] = x3 + x4 - 4.0 * (x1 + x2);
    y[2] = x4 - x3 + 4.0 * (x1 - x2);
    y[3] = x4 - x2 + 2.0 * (x3 - x1);
    y[4] = x4 - x2 + 2.0 * (x1 - x3);
    y[5] = 4.0 * x1 - 5.0 * x3 + x5;
}

void main()
{
    int q = int(gl_GlobalInvocationID.x);
    int r = int(gl_GlobalInvocationID.y);
    int c = int(gl_GlobalInvocationID.z);
    if (q >= pc.quads || r >= pc.rows || c >= pc.cPad) return;
    int outBase = c * pc.plane + r * pc.quads + q;
    int elementStride = pc.cPad * pc.plane;
    if (c >= pc.inC)
    {
        [[unroll]] for (int e = 0; e < 36; e++) vData[outBase + e * elementStride] = vec4(0.0);
        return;
    }

    int rows[6];
    [[unroll]] for (int i = 0; i < 6; i++) rows[i] = padIndex(4 * (pc.tileRow0 + r) - pc.padTop + i, pc.inH);
    int cols[18];
    [[unroll]] for (int m = 0; m < 18; m++) cols[m] = padIndex(16 * q - pc.padLeft + m, pc.inW);

    // bt[i][m] = (B^T d)[i][m] over the window's 18 columns.
    float bt[6 * 18];
    int plane = pc.inH * pc.inW;
    [[unroll]] for (int m = 0; m < 18; m++)
    {
        float x[6];
        [[unroll]] for (int i = 0; i < 6; i++)
        {
            // No branch around the read: a zero-padding position reads a valid element and is zeroed.
            float v = SRC(c * plane + max(rows[i], 0) * pc.inW + max(cols[m], 0));
            x[i] = rows[i] >= 0 && cols[m] >= 0 ? v : 0.0;
        }
        float y[6];
        inputTransform(x[0], x[1], x[2], x[3], x[4], x[5], y);
        [[unroll]] for (int i = 0; i < 6; i++) bt[i * 18 + m] = y[i];
    }
    // V = (B^T d) B for each tile t, along its columns 4t .. 4t + 5; stored as one vec4 of the four tiles per element.
    [[unroll]] for (int i = 0; i < 6; i++)
    {
        float v0[6], v1[6], v2[6], v3[6];
        int b = i * 18;
        inputTransform(bt[b], bt[b + 1], bt[b + 2], bt[b + 3], bt[b + 4], bt[b + 5], v0);
        inputTransform(bt[b + 4], bt[b + 5], bt[b + 6], bt[b + 7], bt[b + 8], bt[b + 9], v1);
        inputTransform(bt[b + 8], bt[b + 9], bt[b + 10], bt[b + 11], bt[b + 12], bt[b + 13], v2);
        inputTransform(bt[b + 12], bt[b + 13], bt[b + 14], bt[b + 15], bt[b + 16], bt[b + 17], v3);
        [[unroll]] for (int j = 0; j < 6; j++) vData[outBase + (i * 6 + j) * elementStride] = vec4(v0[j], v1[j], v2[j], v3[j]);
    }
}
