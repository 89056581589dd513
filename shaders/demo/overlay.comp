#version 450
#extension GL_GOOGLE_include_directive : require
// One text box of the HUD: darkens a rectangle of the target and writes a grid of characters into it.
// Text layout: chars[textOffset + row * columns + col] = glyph | palette << 8; cells are 6x10 font pixels,
// each font pixel scale x scale target pixels, with 4 * scale pixels of margin.
// The workgroup size is set by the host (the kernel's descriptor) through constants 0 to 2.
layout(local_size_x_id = 0, local_size_y_id = 1, local_size_z_id = 2) in;

layout(binding = 0) readonly buffer Font { uint glyphs[]; };
layout(binding = 1) readonly buffer Text { uint chars[]; };
layout(binding = 2, rgba8) uniform image2D target;

layout(push_constant) uniform Push {
    ivec2 origin;   // top-left corner of the box in target pixels
    ivec2 size;     // box size
    int textOffset;
    int columns;
    int rows;
    int scale;
    float shade;    // how much the background is darkened, 0..1
    float pad0, pad1, pad2;
} pc;

#include "include/font.glsl"

const vec3 palette[6] = vec3[](vec3(1.0), vec3(1.0, 0.9, 0.3), vec3(0.5, 1.0, 0.5),
                               vec3(1.0, 0.45, 0.4), vec3(0.5, 0.85, 1.0), vec3(0.7));

void main()
{
    ivec2 local = ivec2(gl_GlobalInvocationID.xy);
    ivec2 p = pc.origin + local;
    if (local.x >= pc.size.x || local.y >= pc.size.y || any(lessThan(p, ivec2(0))) || any(greaterThanEqual(p, imageSize(target)))) {
        return;
    }
    vec3 c = imageLoad(target, p).rgb * (1.0 - pc.shade);
    ivec2 t = local - ivec2(4 * pc.scale);
    ivec2 cell = ivec2(6, 10) * pc.scale;
    if (t.x >= 0 && t.y >= 0) {
        int col = t.x / cell.x, row = t.y / cell.y;
        if (col < pc.columns && row < pc.rows) {
            uint ch = chars[pc.textOffset + row * pc.columns + col];
            ivec2 g = (t % cell) / pc.scale - ivec2(0, 1);
            if (glyphInk(ch & 255u, g.x, g.y)) {
                c = palette[min(ch >> 8, 5u)];
            }
        }
    }
    imageStore(target, p, vec4(c, 1.0));
}
