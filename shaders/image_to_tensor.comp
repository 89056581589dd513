#version 450
#extension GL_GOOGLE_include_directive : require
#include "include/storage.glsl"
// Image (any sampled colour format: rgba8, rgba16f, rgba32f...) to a planar tensor (float32, or float16: include/storage.glsl).
// Reads texel (srcX + x, srcY + y), clamped to the image (edge replication, for tiles that overhang),
// and writes tensor pixel (x, y) of width x height. COLOR selects the channels written:
//   COLOR_RGB (3), COLOR_RGBA (4), COLOR_GREY (1, the red channel: a grey image stored with r = g = b).
// Colour-space conversions are not done here: they are 1x1 convolutions of the upscaling graph.

#include "include/codes.glsl"

// The workgroup size is set by the host (the kernel's descriptor) through constants 0 to 2.
layout(local_size_x_id = 0, local_size_y_id = 1, local_size_z_id = 2) in;

layout(constant_id = 3) const int COLOR = COLOR_RGB;

layout(binding = 0) uniform sampler2D source;
layout(std430, binding = 1) writeonly buffer Output { TENSOR_T outData[]; };

layout(push_constant) uniform Push { int width, height, srcX, srcY; } pc;

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
    if (COLOR == COLOR_RGB || COLOR == COLOR_RGBA)
    {
        outData[i] = STORE(t.r);
        outData[plane + i] = STORE(t.g);
        outData[2 * plane + i] = STORE(t.b);
        if (COLOR == COLOR_RGBA) outData[3 * plane + i] = STORE(t.a);
    }
    else
    {
        outData[i] = STORE(t.r);
    }
}
