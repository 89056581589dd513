#version 450
#extension GL_GOOGLE_include_directive : require
#include "include/storage.glsl"
// Elementwise operations on planar tensors (float32, or float16: include/storage.glsl) (C x H x W), followed by the activation epilogue:
//   OP_ADD:                 out = act(a + b)                (residual connections)
//   OP_SCALE_BIAS:          out = act(a * p[c] + p[C + c])  (per-channel affine; b is not read)
//   OP_SUB, OP_MUL, OP_DIV: out = act(a - b), act(a * b), act(a / b)
// binding 2 holds the parameters p: for OP_SCALE_BIAS, C scales then C biases; for ACT_PRELU_CHANNEL, C PReLU
// slopes starting at slopeBase. Element i of the output is channel c = i / planeSize, pixel p = i % planeSize. a and
// b may be broadcast: element (c, p) of a is aData[c * aChannelStride + p * aPixelStride], where a tensor of the
// output's shape has strides (planeSize, 1), one of a single channel (0, 1), one of a single pixel per channel
// (1, 0), a scalar (0, 0); b alike.

#include "include/codes.glsl"

// The workgroup size is set by the host (the kernel's descriptor) through constants 0 to 2.
layout(local_size_x_id = 0, local_size_y_id = 1, local_size_z_id = 2) in;

layout(constant_id = 3) const int OP = OP_ADD;
layout(constant_id = 4) const int ACT = ACT_NONE;
layout(constant_id = 5) const float ACT_A = 0.0;
layout(constant_id = 6) const float ACT_B = 0.0;

layout(std430, binding = 0) readonly buffer A { TENSOR_T aData[]; };
layout(std430, binding = 1) readonly buffer B { TENSOR_T bData[]; };
layout(std430, binding = 2) readonly buffer Params { float params[]; };
layout(std430, binding = 3) writeonly buffer Output { TENSOR_T outData[]; };

layout(push_constant) uniform Push { int channels, planeSize, slopeBase, aChannelStride, aPixelStride, bChannelStride, bPixelStride; } pc;

#include "include/activation.glsl"

void main()
{
    // Flat index; large tensors spill into y (see ComputeDispatch.CoverLinear).
    int i = int(gl_GlobalInvocationID.x + gl_GlobalInvocationID.y * gl_NumWorkGroups.x * gl_WorkGroupSize.x);
    if (i >= pc.channels * pc.planeSize) return;
    int c = i / pc.planeSize;
    int p = i - c * pc.planeSize;
    float a = LOAD(aData[c * pc.aChannelStride + p * pc.aPixelStride]);
    float v;
    if (OP == OP_SCALE_BIAS) v = a * params[c] + params[pc.channels + c];
    else
    {
        float b = LOAD(bData[c * pc.bChannelStride + p * pc.bPixelStride]);
        if (OP == OP_ADD) v = a + b;
        else if (OP == OP_SUB) v = a - b;
        else if (OP == OP_MUL) v = a * b;
        else if (OP == OP_DIV) v = a / b;
        else if (OP == OP_MAX) v = max(a, b);
        else if (OP == OP_MIN) v = min(a, b);
        else
        {
            // C's powf. GLSL's pow is exp2(b * log2(a)), undefined for a <= 0 and unreliable at infinities, so
            // the magnitude's power comes from pow only for finite non-zero operands, zeros and infinities from
            // their limits; it is negated for a negative a (or -0) and an odd integer b, and a negative a with a
            // non-integer b has no real power (NaN). b = 0, a = 1, and a = -1 with an infinite b give 1, whatever
            // the other operand (NaN included); otherwise a NaN operand gives NaN.
            float inf = uintBitsToFloat(0x7f800000u);
            float mag = abs(a);
            float m;
            if (a == 0.0) m = b > 0.0 ? 0.0 : inf;
            else if (isinf(a)) m = b > 0.0 ? inf : 0.0;
            else if (isinf(b)) m = (mag > 1.0) == (b > 0.0) ? inf : 0.0;
            else m = pow(mag, b);
            bool integer = isinf(b) || b == floor(b);
            bool odd = !isinf(b) && integer && mod(b, 2.0) == 1.0;
            bool negative = (floatBitsToUint(a) >> 31) == 1u;
            if (b == 0.0 || a == 1.0 || (a == -1.0 && isinf(b))) v = 1.0;
            else if (isnan(a) || isnan(b)) v = uintBitsToFloat(0x7fc00000u);
            else if (!negative) v = m;
            else v = integer ? (odd ? -m : m) : uintBitsToFloat(0x7fc00000u);
        }
    }
    float slope = ACT == ACT_PRELU_CHANNEL ? params[pc.slopeBase + c] : 0.0;
    outData[i] = STORE(activate(v, slope));
}
