#version 450
#extension GL_GOOGLE_include_directive : require
// Elementwise operations on planar float32 tensors (C x H x W), followed by the activation epilogue:
//   OP 0, add:        out = act(a + b)                  (residual connections; a and b of one shape)
//   OP 1, scale-bias: out = act(a * p[c] + p[C + c])     (per-channel affine; b is not read)
//   OP 2, 3, 4:       out = act(a - b), act(a * b), act(a / b)
// binding 2 holds the parameters p: for OP 1, C scales then C biases; for ACT == 3, C PReLU slopes
// starting at slopeBase. Element i of a tensor is channel i / planeSize.
layout(local_size_x = 64, local_size_y = 1, local_size_z = 1) in;

layout(constant_id = 0) const int OP = 0;
layout(constant_id = 1) const int ACT = 0;
layout(constant_id = 2) const float ACT_A = 0.0;
layout(constant_id = 3) const float ACT_B = 0.0;

layout(std430, binding = 0) readonly buffer A { float aData[]; };
layout(std430, binding = 1) readonly buffer B { float bData[]; };
layout(std430, binding = 2) readonly buffer Params { float params[]; };
layout(std430, binding = 3) writeonly buffer Output { float outData[]; };

layout(push_constant) uniform Push { int channels, planeSize, slopeBase; } pc;

#include "include/activation.glsl"

void main()
{
    // Flat index; large tensors spill into y (see ComputeDispatch.CoverLinear).
    int i = int(gl_GlobalInvocationID.x + gl_GlobalInvocationID.y * gl_NumWorkGroups.x * gl_WorkGroupSize.x);
    if (i >= pc.channels * pc.planeSize) return;
    int c = i / pc.planeSize;
    float v;
    if (OP == 0) v = aData[i] + bData[i];
    else if (OP == 1) v = aData[i] * params[c] + params[pc.channels + c];
    else if (OP == 2) v = aData[i] - bData[i];
    else if (OP == 3) v = aData[i] * bData[i];
    else v = aData[i] / bData[i];
    float slope = ACT == 3 ? params[pc.slopeBase + c] : 0.0;
    outData[i] = activate(v, slope);
}
