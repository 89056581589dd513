#version 450
#extension GL_GOOGLE_include_directive : require
#include "include/storage.glsl"
// Depth to space (pixel shuffle): C * r^2 channels of H x W become C channels of (H * r) x (W * r).
// Output (c, y, x) with i = y mod r, j = x mod r reads input (ic, y / r, x / r) where
//   ORDER SHUFFLE_CRD (PyTorch pixel_shuffle, ONNX mode "CRD"): ic = c * r^2 + i * r + j
//   ORDER SHUFFLE_DCR (ONNX DepthToSpace default):              ic = (i * r + j) * C + c
// Layout: planar (float32, or float16: include/storage.glsl), element (c, y, x) at (c * H + y) * W + x.

#include "include/codes.glsl"

// The workgroup size is set by the host (the kernel's descriptor) through constants 0 to 2.
layout(local_size_x_id = 0, local_size_y_id = 1, local_size_z_id = 2) in;

layout(constant_id = 3) const int R = 2;
layout(constant_id = 4) const int ORDER = SHUFFLE_CRD;

layout(std430, binding = 0) readonly buffer Input { TENSOR_T inData[]; };
layout(std430, binding = 1) writeonly buffer Output { TENSOR_T outData[]; };

layout(push_constant) uniform Push { int outC, inH, inW; } pc;

void main()
{
    int x = int(gl_GlobalInvocationID.x);
    int y = int(gl_GlobalInvocationID.y);
    int c = int(gl_GlobalInvocationID.z);
    int outH = pc.inH * R;
    int outW = pc.inW * R;
    if (x >= outW || y >= outH || c >= pc.outC) return;
    int ij = (y % R) * R + (x % R);
    int ic = ORDER == SHUFFLE_CRD ? c * R * R + ij : ij * pc.outC + c;
    outData[(c * outH + y) * outW + x] = STORE(LOAD(inData[(ic * pc.inH + y / R) * pc.inW + x / R]));
}
