#version 450
#extension GL_GOOGLE_include_directive : require
#include "include/storage.glsl"
// Planar tensor (float32, or float16: include/storage.glsl) to an image (storage image written without a format qualifier, so one shader
// serves rgba8, rgba16f and rgba32f; unorm formats clamp to [0, 1] on store).
// Tensor pixel (x, y) of width x height goes to texel (dstX + x, dstY + y). COLOR reads:
//   COLOR_RGB (3; alpha 1), COLOR_RGBA (4), COLOR_GREY (1; written to r, g, b; alpha 1), COLOR_GREY_ALPHA (2).
// Colour-space conversions are not done here: they are 1x1 convolutions of the upscaling graph.

#include "include/codes.glsl"

// The workgroup size is set by the host (the kernel's descriptor) through constants 0 to 2.
layout(local_size_x_id = 0, local_size_y_id = 1, local_size_z_id = 2) in;

layout(constant_id = 3) const int COLOR = COLOR_RGB;

layout(std430, binding = 0) readonly buffer Input { TENSOR_T inData[]; };
layout(binding = 1) uniform writeonly image2D target;

layout(push_constant) uniform Push { int width, height, dstX, dstY; } pc;

void main()
{
    int x = int(gl_GlobalInvocationID.x);
    int y = int(gl_GlobalInvocationID.y);
    if (x >= pc.width || y >= pc.height) return;
    int plane = pc.width * pc.height;
    int i = y * pc.width + x;
    vec4 v;
    if (COLOR == COLOR_GREY || COLOR == COLOR_GREY_ALPHA)
    {
        v = vec4(vec3(LOAD(inData[i])), COLOR == COLOR_GREY_ALPHA ? LOAD(inData[plane + i]) : 1.0);
    }
    else
    {
        vec3 c = vec3(LOAD(inData[i]), LOAD(inData[plane + i]), LOAD(inData[2 * plane + i]));
        float a = COLOR == COLOR_RGBA ? LOAD(inData[3 * plane + i]) : 1.0;
        v = vec4(c, a);
    }
    imageStore(target, ivec2(pc.dstX + x, pc.dstY + y), v);
}
