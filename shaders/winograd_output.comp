#version 450
#extension GL_GOOGLE_include_directive : require
#extension GL_EXT_control_flow_attributes : require
#include "include/storage.glsl"
#include "include/codes.glsl"
// The last of the three passes of a 3x3 convolution by Winograd's F(4x4, 3x3) (see winograd_input.comp): each 4x4
// output tile is Y = A^T M A of its 6x6 products, then bias and activation.
//   A^T = [1 1 1 1 1 0;  0 1 -1 2 -2 0;  0 1 1 4 4 0;  0 1 -1 8 -8 1]
//
// binding 0: M, float32 vec4s at ((e * outC + oc) * plane + r * quads + q) (winograd_product.comp)
// binding 1: output, planar outC x outH x outW (float32, or float16: include/storage.glsl)
// binding 2: bias [outC], then, for ACT_PRELU_CHANNEL, slopes [outC]
// binding 3: M again, as RGBA32F texels (read when TEXELS = 1)
// Invocation (q, r, oc) finishes the tiles 4q .. 4q + 3 of tile row tileRow0 + r in output channel oc: output rows
// 4 * (tileRow0 + r) .. + 3 and columns 16q .. 16q + 15, those inside the output.
layout(local_size_x_id = 0, local_size_y_id = 1, local_size_z_id = 2) in;

layout(constant_id = 3) const int ACT = ACT_NONE;
layout(constant_id = 4) const float ACT_A = 0.0;
layout(constant_id = 5) const float ACT_B = 0.0;
layout(constant_id = 6) const int TEXELS = 0;         // 1: read M through binding 3

layout(std430, binding = 0) readonly buffer Products { vec4 mData[]; };
layout(std430, binding = 1) writeonly buffer Output { TENSOR_T outData[]; };
layout(std430, binding = 2) readonly buffer Bias { float biasData[]; };
layout(binding = 3) uniform samplerBuffer mTexels;

layout(push_constant) uniform Push
{
    int outC, outH, outW;
    int tileRow0, rows;
    int quads;
    int plane;
} pc;

#include "include/activation.glsl"

void main()
{
    int q = int(gl_GlobalInvocationID.x);
    int r = int(gl_GlobalInvocationID.y);
    int oc = int(gl_GlobalInvocationID.z);
    int y0 = 4 * (pc.tileRow0 + r);
    if (q >= pc.quads || r >= pc.rows || oc >= pc.outC || y0 >= pc.outH) return;

    // m[e] holds element e of the four tiles; s = A^T m along each column e % 6, for the four tiles at once.
    int base = oc * pc.plane + r * pc.quads + q;
    int elementStride = pc.outC * pc.plane;
    vec4 m[36];
    [[unroll]] for (int e = 0; e < 36; e++)
    {
        int i = base + e * elementStride;
        m[e] = TEXELS == 1 ? texelFetch(mTexels, i) : mData[i];
    }
    vec4 s[24];
    [[unroll]] for (int j = 0; j < 6; j++)
    {
        vec4 x0 = m[j], x1 = m[6 + j], x2 = m[12 + j], x3 = m[18 + j], x4 = m[24 + j], x5 = m[30 + j];
        vec4 a = x1 + x2, b = x1 - x2, c = x3 + x4, d = x3 - x4;
        s[j] = x0 + a + c;
        s[6 + j] = b + 2.0 * d;
        s[12 + j] = a + 4.0 * c;
        s[18 + j] = b + 8.0 * d + x5;
    }
    float bias = biasData[oc];
    float slope = ACT == ACT_PRELU_CHANNEL ? biasData[pc.outC + oc] : 0.0;
    int x0 = 16 * q;
    [[unroll]] for (int i = 0; i < 4; i++)
    {
        int y = y0 + i;
        if (y >= pc.outH) break;
        vec4 x0v = s[i * 6], x1 = s[i * 6 + 1], x2 = s[i * 6 + 2], x3 = s[i * 6 + 3], x4 = s[i * 6 + 4], x5 = s[i * 6 + 5];
        vec4 a = x1 + x2, b = x1 - x2, c = x3 + x4, d = x3 - x4;
        vec4 o[4];
        o[0] = x0v + a + c;
        o[1] = b + 2.0 * d;
        o[2] = a + 4.0 * c;
        o[3] = b + 8.0 * d + x5;
        int rowBase = (oc * pc.outH + y) * pc.outW;
        // Tile t's columns x0 + 4t .. x0 + 4t + 3: component t of o[0 .. 3].
        [[unroll]] for (int t = 0; t < 4; t++)
        {
            [[unroll]] for (int k = 0; k < 4; k++)
            {
                int x = x0 + 4 * t + k;
                if (x < pc.outW) outData[rowBase + x] = STORE(activate(o[k][t] + bias, slope));
            }
        }
    }
}
