#version 450
#extension GL_GOOGLE_include_directive : require
#extension GL_EXT_control_flow_attributes : require
#include "include/storage.glsl"
#include "include/codes.glsl"
// 3x3 convolution, stride 1, no dilation, no groups, by Winograd's minimal filtering F(2x2, 3x3): each 2x2 output
// tile costs 16 multiply-adds per input and output channel where the direct convolution costs 36.
//   Y = A^T [ sum over ic of U(oc, ic) .* V(ic) ] A,   V = B^T d B (d: the 4x4 input patch of the tile),
//   U = G g G^T (g: the 3x3 filter; the host transforms the weights once, in float64, see Conv2dWinogradLayer).
//   B^T = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1],   A^T = [1 1 1 0; 0 1 -1 -1].
// The input transform runs inside the product loop (no transformed tensor is stored): the patch rows are
// loaded once per input channel and shared by the PT tiles along x; the 16 products per tile and channel are
// the batched matrix product of ncnn's Winograd, with the accumulators held per invocation.
//
// Memory layout: planar (float32, or float16: include/storage.glsl), element (c, y, x) at (c * H + y) * W + x.
//   binding 0: input, inC x inH x inW;  binding 1: output, outC x outH x outW
//   bindings 2 and 3: parameters (include/params.glsl): U as [ocStride][inC][16] (element 4 * row + column of
//              the 4x4 transformed filter), then bias [ocStride], then, for ACT_PRELU_CHANNEL, slopes [ocStride].
//   binding 4: the input again, as R32F (or R16F) texels (read when TEXELS = 1)
// Invocation (x, y, z) computes the tiles x * PT .. x * PT + PT - 1 of tile row y (output rows 2y and 2y + 1,
// columns 2 * tile and 2 * tile + 1) for output channels z * OC_BLOCK .. + OC_BLOCK - 1.
// The workgroup size is set by the host (the kernel's descriptor) through constants 0 to 2.
layout(local_size_x_id = 0, local_size_y_id = 1, local_size_z_id = 2) in;

layout(constant_id = 3) const int PAD_MODE = PAD_ZEROS;
layout(constant_id = 4) const int OC_BLOCK = 1;
layout(constant_id = 5) const int ACT = ACT_NONE;
layout(constant_id = 6) const float ACT_A = 0.0;
layout(constant_id = 7) const float ACT_B = 0.0;
layout(constant_id = 8) const int PARAMS_IN_UBO = 0;
layout(constant_id = 9) const int PT = 1;             // tiles per invocation along x
layout(constant_id = 10) const int BORDER = 0;        // PAD_BOUNDED_REPLICATE: how far outside the input the edge repeats
layout(constant_id = 11) const int TEXELS = 0;        // 1: read the input through binding 4

layout(std430, binding = 0) readonly buffer Input { TENSOR_T inData[]; };
layout(std430, binding = 1) writeonly buffer Output { TENSOR_T outData[]; };

layout(push_constant) uniform Push
{
    int inC, inH, inW;
    int outC, outH, outW;
    int padTop, padLeft;
    int ocStride;
} pc;

layout(binding = 4) uniform samplerBuffer inTexels;

#define SRC(i) (TEXELS == 1 ? texelFetch(inTexels, i).r : LOAD(inData[i]))
#include "include/activation.glsl"
#include "include/params.glsl"
#include "include/pad.glsl"

void main()
{
    int tx0 = int(gl_GlobalInvocationID.x) * PT;
    int ty = int(gl_GlobalInvocationID.y);
    int oc0 = int(gl_GlobalInvocationID.z) * OC_BLOCK;
    if (2 * tx0 >= pc.outW || 2 * ty >= pc.outH || oc0 >= pc.outC) return;

    // acc[(b * PT + t) * 16 + e]: transformed-domain sum of channel oc0 + b, tile t, element e.
    float acc[OC_BLOCK * PT * 16];
    [[unroll]] for (int i = 0; i < OC_BLOCK * PT * 16; i++) acc[i] = 0.0;

    // The tiles' patches span WIDTH input columns from 2 * tx0 - padLeft and 4 rows from 2 * ty - padTop;
    // tile t reads columns 2t .. 2t + 3 of them.
    const int WIDTH = 2 * PT + 2;
    int cols[WIDTH];
    [[unroll]] for (int m = 0; m < WIDTH; m++) cols[m] = padIndex(2 * tx0 - pc.padLeft + m, pc.inW);
    int rows[4];
    [[unroll]] for (int r = 0; r < 4; r++) rows[r] = padIndex(2 * ty - pc.padTop + r, pc.inH);

    int plane = pc.inH * pc.inW;
    for (int ic = 0; ic < pc.inC; ic++)
    {
        // d[r][m], then B^T along the rows: bt[r][m] = (B^T d)[r][m], shared by every tile.
        float d[4 * WIDTH];
        [[unroll]] for (int r = 0; r < 4; r++)
        {
            int rowBase = ic * plane + max(rows[r], 0) * pc.inW;
            [[unroll]] for (int m = 0; m < WIDTH; m++)
            {
                // No branch around the read: a zero-padding position reads a valid element and is zeroed.
                float v = SRC(rowBase + max(cols[m], 0));
                d[r * WIDTH + m] = rows[r] >= 0 && cols[m] >= 0 ? v : 0.0;
            }
        }
        float bt[4 * WIDTH];
        [[unroll]] for (int m = 0; m < WIDTH; m++)
        {
            bt[0 * WIDTH + m] = d[0 * WIDTH + m] - d[2 * WIDTH + m];
            bt[1 * WIDTH + m] = d[1 * WIDTH + m] + d[2 * WIDTH + m];
            bt[2 * WIDTH + m] = d[2 * WIDTH + m] - d[1 * WIDTH + m];
            bt[3 * WIDTH + m] = d[1 * WIDTH + m] - d[3 * WIDTH + m];
        }
        [[unroll]] for (int t = 0; t < PT; t++)
        {
            // V = (B^T d) B for tile t: B along the columns 2t .. 2t + 3.
            float v[16];
            [[unroll]] for (int r = 0; r < 4; r++)
            {
                float c0 = bt[r * WIDTH + 2 * t], c1 = bt[r * WIDTH + 2 * t + 1];
                float c2 = bt[r * WIDTH + 2 * t + 2], c3 = bt[r * WIDTH + 2 * t + 3];
                v[r * 4 + 0] = c0 - c2;
                v[r * 4 + 1] = c1 + c2;
                v[r * 4 + 2] = c2 - c1;
                v[r * 4 + 3] = c1 - c3;
            }
            [[unroll]] for (int b = 0; b < OC_BLOCK; b++)
            {
                int u = ((oc0 + b) * pc.inC + ic) * 16;
                [[unroll]] for (int e = 0; e < 16; e++)
                {
                    acc[(b * PT + t) * 16 + e] += param(u + e) * v[e];
                }
            }
        }
    }

    int biasBase = pc.ocStride * pc.inC * 16;
    [[unroll]] for (int b = 0; b < OC_BLOCK; b++)
    {
        int oc = oc0 + b;
        if (oc >= pc.outC) break;
        float bias = param(biasBase + oc);
        float slope = ACT == ACT_PRELU_CHANNEL ? param(biasBase + pc.ocStride + oc) : 0.0;
        [[unroll]] for (int t = 0; t < PT; t++)
        {
            // Y = A^T M A: A^T along the rows, then along the columns.
            int a = (b * PT + t) * 16;
            float s[8];
            [[unroll]] for (int c = 0; c < 4; c++)
            {
                s[c] = acc[a + c] + acc[a + 4 + c] + acc[a + 8 + c];
                s[4 + c] = acc[a + 4 + c] - acc[a + 8 + c] - acc[a + 12 + c];
            }
            [[unroll]] for (int i = 0; i < 2; i++)
            {
                int oy = 2 * ty + i;
                int ox = 2 * (tx0 + t);
                float y0 = s[4 * i] + s[4 * i + 1] + s[4 * i + 2];
                float y1 = s[4 * i + 1] - s[4 * i + 2] - s[4 * i + 3];
                if (oy < pc.outH && ox < pc.outW) outData[(oc * pc.outH + oy) * pc.outW + ox] = STORE(activate(y0 + bias, slope));
                if (oy < pc.outH && ox + 1 < pc.outW) outData[(oc * pc.outH + oy) * pc.outW + ox + 1] = STORE(activate(y1 + bias, slope));
            }
        }
    }
}
