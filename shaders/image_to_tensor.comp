#version 450
#extension GL_GOOGLE_include_directive : require
// Image (any sampled colour format: rgba8, rgba16f, rgba32f...) to a planar float32 tensor.
// Reads texel (srcX + x, srcY + y), clamped to the image (edge replication, for tiles that overhang),
// and writes tensor pixel (x, y) of width x height. COLOR selects the channels written:
//   0 RGB (3), 1 RGBA (4), 2 Y (1, studio range / 255), 3 YCbCr (3, studio range / 255), 4 alpha (1),
//   5 grey (1, the red channel: a grey image stored with r = g = b)
layout(local_size_x = 8, local_size_y = 8, local_size_z = 1) in;

layout(constant_id = 0) const int COLOR = 0;

layout(binding = 0) uniform sampler2D source;
layout(std430, binding = 1) writeonly buffer Output { float outData[]; };

layout(push_constant) uniform Push { int width, height, srcX, srcY; } pc;

#include "include/color.glsl"

void main()
{
    int x = int(gl_GlobalInvocationID.x);
    int y = int(gl_GlobalInvocationID.y);
    if (x >= pc.width || y >= pc.height) return;
    ivec2 size = textureSize(source, 0);
    ivec2 p = clamp(ivec2(pc.srcX + x, pc.srcY + y), ivec2(0), size - 1);
    vec4 t = texelFetch(source, p, 0);
    int plane = pc.width * pc.height;
    int i = y * pc.width + x;
    if (COLOR == 0 || COLOR == 1)
    {
        outData[i] = t.r;
        outData[plane + i] = t.g;
        outData[2 * plane + i] = t.b;
        if (COLOR == 1) outData[3 * plane + i] = t.a;
    }
    else if (COLOR == 2)
    {
        outData[i] = rgbToYcbcr(t.rgb).x;
    }
    else if (COLOR == 3)
    {
        vec3 ycc = rgbToYcbcr(t.rgb);
        outData[i] = ycc.x;
        outData[plane + i] = ycc.y;
        outData[2 * plane + i] = ycc.z;
    }
    else if (COLOR == 4)
    {
        outData[i] = t.a;
    }
    else
    {
        outData[i] = t.r;
    }
}
