#version 450
#extension GL_GOOGLE_include_directive : require
// Planar float32 tensor to an image (storage image written without a format qualifier, so one shader
// serves rgba8, rgba16f and rgba32f; unorm formats clamp to [0, 1] on store).
// Tensor pixel (x, y) of width x height goes to texel (dstX + x, dstY + y). COLOR reads:
//   0 RGB (3; alpha 1), 1 RGBA (4), 2 grey (1; written to r, g, b; alpha 1), 3 YCbCr (3, studio range / 255,
//   converted to RGB; alpha 1), 4 YCbCr + alpha (4), 5 grey + alpha (2)
layout(local_size_x = 8, local_size_y = 8, local_size_z = 1) in;

layout(constant_id = 0) const int COLOR = 0;

layout(std430, binding = 0) readonly buffer Input { float inData[]; };
layout(binding = 1) uniform writeonly image2D target;

layout(push_constant) uniform Push { int width, height, dstX, dstY; } pc;

#include "include/color.glsl"

void main()
{
    int x = int(gl_GlobalInvocationID.x);
    int y = int(gl_GlobalInvocationID.y);
    if (x >= pc.width || y >= pc.height) return;
    int plane = pc.width * pc.height;
    int i = y * pc.width + x;
    vec4 v;
    if (COLOR == 2 || COLOR == 5)
    {
        v = vec4(vec3(inData[i]), COLOR == 5 ? inData[plane + i] : 1.0);
    }
    else
    {
        vec3 c = vec3(inData[i], inData[plane + i], inData[2 * plane + i]);
        if (COLOR >= 3) c = ycbcrToRgb(c);
        float a = (COLOR == 1 || COLOR == 4) ? inData[3 * plane + i] : 1.0;
        v = vec4(c, a);
    }
    imageStore(target, ivec2(pc.dstX + x, pc.dstY + y), v);
}
