#version 450
#extension GL_GOOGLE_include_directive : require
#include "include/storage.glsl"
// Channel concatenation of two planar tensors (float32, or float16: include/storage.glsl) of one height and width:
// output channels [0, aC) are a's, [aC, aC + bC) are b's. Longer concatenations chain this.
// The workgroup size is set by the host (the kernel's descriptor) through constants 0 to 2.
layout(local_size_x_id = 0, local_size_y_id = 1, local_size_z_id = 2) in;

layout(std430, binding = 0) readonly buffer A { TENSOR_T aData[]; };
layout(std430, binding = 1) readonly buffer B { TENSOR_T bData[]; };
layout(std430, binding = 2) writeonly buffer Output { TENSOR_T outData[]; };

layout(push_constant) uniform Push { int aC, bC, planeSize; } pc;

void main()
{
    // Flat index; large tensors spill into y (see ComputeDispatch.CoverLinear).
    int i = int(gl_GlobalInvocationID.x + gl_GlobalInvocationID.y * gl_NumWorkGroups.x * gl_WorkGroupSize.x);
    int aCount = pc.aC * pc.planeSize;
    if (i >= aCount + pc.bC * pc.planeSize) return;
    outData[i] = STORE(i < aCount ? LOAD(aData[i]) : LOAD(bData[i - aCount]));
}
