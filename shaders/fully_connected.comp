#version 450
#extension GL_GOOGLE_include_directive : require
#include "include/storage.glsl"
#include "include/codes.glsl"
// A fully connected layer: out[o] = act(sum_i w[o * inFeatures + i] * in[i] + bias[o]), the input any planar
// tensor read flat (element (c, y, x) at (c * H + y) * W + x), the output outFeatures x 1 x 1. One invocation
// per output; these layers are small (the excitation of a squeeze-excitation block: tens to hundreds of values).
// binding 1 holds the parameters: the weights [outFeatures][inFeatures], then from biasBase one bias per output,
// then for ACT_PRELU_CHANNEL from slopeBase one slope per output.
// The workgroup size is set by the host (the kernel's descriptor) through constants 0 to 2.
layout(local_size_x_id = 0, local_size_y_id = 1, local_size_z_id = 2) in;

layout(constant_id = 3) const int ACT = ACT_NONE;
layout(constant_id = 4) const float ACT_A = 0.0;
layout(constant_id = 5) const float ACT_B = 0.0;

layout(std430, binding = 0) readonly buffer Input { TENSOR_T inData[]; };
layout(std430, binding = 1) readonly buffer Params { float params[]; };
layout(std430, binding = 2) writeonly buffer Output { TENSOR_T outData[]; };

layout(push_constant) uniform Push { int inFeatures, outFeatures, biasBase, slopeBase; } pc;

#include "include/activation.glsl"

void main()
{
    int o = int(gl_GlobalInvocationID.x);
    if (o >= pc.outFeatures) return;
    int w = o * pc.inFeatures;
    float sum = params[pc.biasBase + o];
    for (int i = 0; i < pc.inFeatures; i++)
    {
        sum += params[w + i] * LOAD(inData[i]);
    }
    float slope = ACT == ACT_PRELU_CHANNEL ? params[pc.slopeBase + o] : 0.0;
    outData[o] = STORE(activate(sum, slope));
}
