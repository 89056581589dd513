#version 450
#extension GL_GOOGLE_include_directive : require
#include "include/storage.glsl"
// Upsampling (F.interpolate) of every channel plane: nearest, bilinear or bicubic; definitions in
// include/resample.glsl. Layout: planar (float32, or float16: include/storage.glsl), element (c, y, x) at (c * H + y) * W + x.

#include "include/codes.glsl"

// The workgroup size is set by the host (the kernel's descriptor) through constants 0 to 2.
layout(local_size_x_id = 0, local_size_y_id = 1, local_size_z_id = 2) in;

layout(constant_id = 3) const int UPSAMPLE = UPSAMPLE_NEAREST;
layout(constant_id = 4) const int ALIGN_CORNERS = 0;
layout(constant_id = 5) const int TEXELS = 0;        // 1: read the input through binding 2 (CPU devices; see conv2d.comp)

layout(std430, binding = 0) readonly buffer Input { TENSOR_T inData[]; };
layout(std430, binding = 1) writeonly buffer Output { TENSOR_T outData[]; };

layout(push_constant) uniform Push
{
    int channels, inH, inW, outH, outW;
    float scaleY, scaleX;
    int periodY, periodX;
} pc;

layout(binding = 2) uniform samplerBuffer inTexels;

#define RESAMPLE_SRC(s, i) (TEXELS == 1 ? texelFetch(inTexels, i).r : LOAD(inData[i]))
#include "include/resample.glsl"

void main()
{
    int x = int(gl_GlobalInvocationID.x);
    int y = int(gl_GlobalInvocationID.y);
    int c = int(gl_GlobalInvocationID.z);
    if (x >= pc.outW || y >= pc.outH || c >= pc.channels) return;
    outData[(c * pc.outH + y) * pc.outW + x] = STORE(
        resampleAt(0, UPSAMPLE, ALIGN_CORNERS, c * pc.inH * pc.inW, pc.inH, pc.inW, y, x, pc.scaleY, pc.scaleX, pc.periodY, pc.periodX));
}
