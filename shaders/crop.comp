#version 450
#extension GL_GOOGLE_include_directive : require
#include "include/storage.glsl"
// Crop / slice: out (c, y, x) = in (c0 + c, y0 + y, x0 + x), planar tensors (float32, or float16: include/storage.glsl).
// The workgroup size is set by the host (the kernel's descriptor) through constants 0 to 2.
layout(local_size_x_id = 0, local_size_y_id = 1, local_size_z_id = 2) in;

layout(std430, binding = 0) readonly buffer Input { TENSOR_T inData[]; };
layout(std430, binding = 1) writeonly buffer Output { TENSOR_T outData[]; };

layout(push_constant) uniform Push { int inH, inW, c0, y0, x0, outC, outH, outW; } pc;

void main()
{
    int x = int(gl_GlobalInvocationID.x);
    int y = int(gl_GlobalInvocationID.y);
    int c = int(gl_GlobalInvocationID.z);
    if (x >= pc.outW || y >= pc.outH || c >= pc.outC) return;
    outData[(c * pc.outH + y) * pc.outW + x] = STORE(LOAD(inData[((pc.c0 + c) * pc.inH + pc.y0 + y) * pc.inW + pc.x0 + x]));
}
