#version 450
#extension GL_GOOGLE_include_directive : require
#extension GL_EXT_control_flow_attributes : require
#extension GL_KHR_shader_subgroup_ballot : require
// The second of the three passes of a 3x3 convolution by Winograd's F(4x4, 3x3) (see winograd_input.comp): for each
// of the 36 transformed elements e, the matrix product M[e] = U[e] V[e] over the input channels, for one band of tiles:
//   M[e][oc][tile] = sum over c of U[e][oc][c] * V[e][c][tile]
// Every value is float32. Tiles travel in fours, as vec4s.
//
// binding 0: V, vec4s at ((e * cPad + c) * plane + quad) (winograd_input.comp)
// binding 1: M, vec4s at ((e * outC + oc) * plane + quad)
// binding 2: U, vec4s at ((e * ocStride + oc) * cPad / 4 + c / 4), each holding four consecutive input channels
//            of one output channel (the host transforms the weights once, U = G g G^T, in float64)
// bindings 3 and 4: V and U again, as RGBA32F texels (read when TEXELS = 1)
// Invocation (x, y, e) computes the quads x * PX4 .. + PX4 - 1 of element e for output channels 8y .. 8y + 7: each
// step over four input channels loads PX4 quads of V per channel and the block's 32 weights, for 128 PX4 multiply-adds.
// With SUBGROUP_WEIGHTS lane k of a subgroup (a row of the workgroup: its lanes share y and e) loads output channel
// 8y + k's four weights and subgroupBroadcast hands them to the others (as conv2d.comp does): on CPU devices one
// gather per step for the whole block.
layout(local_size_x_id = 0, local_size_y_id = 1, local_size_z_id = 2) in;

layout(constant_id = 3) const int PX4 = 4;            // quads of tiles per invocation
layout(constant_id = 4) const int TEXELS = 0;         // 1: read V and U through bindings 3 and 4
layout(constant_id = 5) const int SUBGROUP_WEIGHTS = 0;

layout(std430, binding = 0) readonly buffer Transformed { vec4 vData[]; };
layout(std430, binding = 1) writeonly buffer Products { vec4 mData[]; };
layout(std430, binding = 2) readonly buffer Weights { vec4 uData[]; };
layout(binding = 3) uniform samplerBuffer vTexels;
layout(binding = 4) uniform samplerBuffer uTexels;

layout(push_constant) uniform Push
{
    int cPad;       // input channels rounded up to 4
    int outC;
    int ocStride;   // output channels rounded up to 8
    int plane;      // vec4s per (element, channel)
} pc;

#define V(i) (TEXELS == 1 ? texelFetch(vTexels, i) : vData[i])
#define U(i) (TEXELS == 1 ? texelFetch(uTexels, i) : uData[i])

void main()
{
    int q0 = int(gl_GlobalInvocationID.x) * PX4;
    int oc0 = int(gl_GlobalInvocationID.y) * 8;
    int e = int(gl_GlobalInvocationID.z);
    // A lane past the band (SUBGROUP_WEIGHTS) still loads and computes, for its subgroup, and stores nothing.
    if (oc0 >= pc.outC || (SUBGROUP_WEIGHTS == 0 && q0 >= pc.plane)) return;
    int quadLimit = pc.plane - 1;

    vec4 acc[8 * PX4];
    [[unroll]] for (int i = 0; i < 8 * PX4; i++) acc[i] = vec4(0.0);

    int c4s = pc.cPad >> 2;
    int lane = int(gl_SubgroupInvocationID) & 7;
    int uBase = (e * pc.ocStride + oc0) * c4s;
    int vBase = e * pc.cPad * pc.plane;
    for (int c4 = 0; c4 < c4s; c4++)
    {
        vec4 w[8];
        if (SUBGROUP_WEIGHTS == 1)
        {
            vec4 mine = U(uBase + lane * c4s + c4);
            w[0] = subgroupBroadcast(mine, 0); w[1] = subgroupBroadcast(mine, 1);
            w[2] = subgroupBroadcast(mine, 2); w[3] = subgroupBroadcast(mine, 3);
            w[4] = subgroupBroadcast(mine, 4); w[5] = subgroupBroadcast(mine, 5);
            w[6] = subgroupBroadcast(mine, 6); w[7] = subgroupBroadcast(mine, 7);
        }
        else
        {
            [[unroll]] for (int b = 0; b < 8; b++) w[b] = U(uBase + b * c4s + c4);
        }
        // The four channels' inputs first, then each accumulator updated once with all four products: on CPU
        // devices an accumulator update inside the loop is a masked store, so it should carry several products.
        vec4 x[4 * PX4];
        [[unroll]] for (int k = 0; k < 4; k++)
        {
            int row = vBase + (4 * c4 + k) * pc.plane;
            [[unroll]] for (int j = 0; j < PX4; j++) x[k * PX4 + j] = V(row + min(q0 + j, quadLimit));
        }
        [[unroll]] for (int b = 0; b < 8; b++)
        {
            [[unroll]] for (int j = 0; j < PX4; j++)
            {
                acc[b * PX4 + j] += w[b].x * x[j] + w[b].y * x[PX4 + j] + w[b].z * x[2 * PX4 + j] + w[b].w * x[3 * PX4 + j];
            }
        }
    }

    [[unroll]] for (int b = 0; b < 8; b++)
    {
        if (oc0 + b >= pc.outC) break;
        int base = (e * pc.outC + oc0 + b) * pc.plane;
        [[unroll]] for (int j = 0; j < PX4; j++)
        {
            if (q0 + j < pc.plane) mData[base + q0 + j] = acc[b * PX4 + j];
        }
    }
}
