#version 450
#extension GL_GOOGLE_include_directive : require
// Elementwise operations on planar float32 tensors (C x H x W), followed by the activation epilogue:
//   OP_ADD:                 out = act(a + b)                (residual connections; a and b of one shape)
//   OP_SCALE_BIAS:          out = act(a * p[c] + p[C + c])  (per-channel affine; b is not read)
//   OP_SUB, OP_MUL, OP_DIV: out = act(a - b), act(a * b), act(a / b)
// binding 2 holds the parameters p: for OP_SCALE_BIAS, C scales then C biases; for ACT_PRELU_CHANNEL, C PReLU
// slopes starting at slopeBase. Element i of a tensor is channel i / planeSize.

#include "include/codes.glsl"

// The workgroup size is set by the host (the kernel's descriptor) through constants 0 to 2.
layout(local_size_x_id = 0, local_size_y_id = 1, local_size_z_id = 2) in;

layout(constant_id = 3) const int OP = OP_ADD;
layout(constant_id = 4) const int ACT = ACT_NONE;
layout(constant_id = 5) const float ACT_A = 0.0;
layout(constant_id = 6) const float ACT_B = 0.0;

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
    if (OP == OP_ADD) v = aData[i] + bData[i];
    else if (OP == OP_SCALE_BIAS) v = aData[i] * params[c] + params[pc.channels + c];
    else if (OP == OP_SUB) v = aData[i] - bData[i];
    else if (OP == OP_MUL) v = aData[i] * bData[i];
    else v = aData[i] / bData[i];
    float slope = ACT == ACT_PRELU_CHANNEL ? params[pc.slopeBase + c] : 0.0;
    outData[i] = activate(v, slope);
}
