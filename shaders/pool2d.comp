#version 450
#extension GL_GOOGLE_include_directive : require
#include "include/storage.glsl"
#include "include/codes.glsl"
// Pooling of planar tensors (float32, or float16: include/storage.glsl) (C x H x W), max or average (MODE, a POOL_ code).
//   GLOBAL: one workgroup per channel reduces the region [regionTop, +regionH) x [regionLeft, +regionW) of the
//           H x W plane (the whole plane, or a tile's share of a whole image's) to out[c] (C x 1 x 1). Each lane
//           sums every workgroup-size-th pixel of the region (compensated, Kahan) or takes their maximum; the
//           lanes' results meet in a tree in shared memory. The workgroup size must be a power of two of at most 256.
//   windowed: one invocation per output (c, oy, ox): the window starts at (oy * strideY - padTop,
//           ox * strideX - padLeft); positions outside the input are skipped; the average divides by the count
//           of real positions, or by the window's area when COUNT_PAD.
// On CPU devices (TEXELS) the input is read through binding 2, an R32F (or R16F) texel view of it: a gather per SIMD
// register where a storage-buffer read loops over the lanes (lavapipe, Real-CUGAN se x2 at 256x256: its four global
// averages 19.2 -> 14.0 ms in paired runs).
// The workgroup size is set by the host (the kernel's descriptor) through constants 0 to 2.
layout(local_size_x_id = 0, local_size_y_id = 1, local_size_z_id = 2) in;

layout(constant_id = 3) const int MODE = POOL_AVERAGE;
layout(constant_id = 4) const bool GLOBAL = false;
layout(constant_id = 5) const bool COUNT_PAD = false;
layout(constant_id = 6) const int TEXELS = 0;          // 1: read the input through binding 2

layout(std430, binding = 0) readonly buffer Input { TENSOR_T inData[]; };
layout(std430, binding = 1) writeonly buffer Output { TENSOR_T outData[]; };
layout(binding = 2) uniform samplerBuffer inTexels;
#define SRC(i) (TEXELS == 1 ? texelFetch(inTexels, i).r : LOAD(inData[i]))

layout(push_constant) uniform Push
{
    int channels, inH, inW, outH, outW, kernelH, kernelW, strideY, strideX, padTop, padLeft;
    int regionTop, regionLeft, regionH, regionW;
} pc;

shared float partial[256];

void globalPool()
{
    int c = int(gl_WorkGroupID.x);
    int lane = int(gl_LocalInvocationID.x);
    int n = int(gl_WorkGroupSize.x);
    int plane = pc.regionH * pc.regionW;
    int base = (c * pc.inH + pc.regionTop) * pc.inW + pc.regionLeft;
    float acc = MODE == POOL_MAX ? -3.402823466e38 : 0.0;
    float compensation = 0.0;
    // Pixel p of the region is at (row, col) = (p / regionW, p % regionW), stepped by n without dividing per pixel
    // (CPU drivers divide integer vectors lane by lane: lavapipe, Real-CUGAN se x2's 128 x 117 x 117 mean 21.9 ms that way).
    int stepRows = n / pc.regionW, stepCols = n % pc.regionW;
    int row = lane / pc.regionW, col = lane % pc.regionW;
    for (int p = lane; p < plane; p += n)
    {
        float v = SRC(base + row * pc.inW + col);
        row += stepRows;
        col += stepCols;
        bool wraps = col >= pc.regionW;
        row += wraps ? 1 : 0;
        col -= wraps ? pc.regionW : 0;
        if (MODE == POOL_MAX)
        {
            acc = max(acc, v);
        }
        else
        {
            float y = v - compensation;
            float t = acc + y;
            compensation = (t - acc) - y;
            acc = t;
        }
    }
    partial[lane] = acc;
    barrier();
    for (int stride = n / 2; stride > 0; stride /= 2)
    {
        if (lane < stride)
        {
            partial[lane] = MODE == POOL_MAX ? max(partial[lane], partial[lane + stride]) : partial[lane] + partial[lane + stride];
        }
        barrier();
    }
    if (lane == 0)
    {
        outData[c] = STORE(MODE == POOL_MAX ? partial[0] : partial[0] / float(plane));
    }
}

void windowPool()
{
    // Flat output index; large tensors spill into y (see ComputeDispatch.CoverLinear).
    int i = int(gl_GlobalInvocationID.x + gl_GlobalInvocationID.y * gl_NumWorkGroups.x * gl_WorkGroupSize.x);
    if (i >= pc.channels * pc.outH * pc.outW) return;
    int ox = i % pc.outW;
    int oy = (i / pc.outW) % pc.outH;
    int c = i / (pc.outW * pc.outH);
    int y0 = oy * pc.strideY - pc.padTop, x0 = ox * pc.strideX - pc.padLeft;
    float acc = MODE == POOL_MAX ? -3.402823466e38 : 0.0;
    int count = 0;
    for (int ky = 0; ky < pc.kernelH; ky++)
    {
        int y = y0 + ky;
        if (y < 0 || y >= pc.inH) continue;
        for (int kx = 0; kx < pc.kernelW; kx++)
        {
            int x = x0 + kx;
            if (x < 0 || x >= pc.inW) continue;
            float v = SRC((c * pc.inH + y) * pc.inW + x);
            acc = MODE == POOL_MAX ? max(acc, v) : acc + v;
            count++;
        }
    }
    if (MODE == POOL_AVERAGE) acc /= float(COUNT_PAD ? pc.kernelH * pc.kernelW : count);
    outData[i] = STORE(acc);
}

void main()
{
    if (GLOBAL) globalPool();
    else windowPool();
}
