#version 450
#extension GL_GOOGLE_include_directive : require
// The demo's animated test scene, rendered at any resolution: the same picture in scene coordinates
// (0..1 across the target in x and y), point-sampled once per pixel the way a game renders without
// anti-aliasing, so a low-resolution render carries the aliasing an upscaler must cope with.
// Quadrants: top-left a slow pan and zoom over a photograph; top-right a zone plate; bottom-left thin
// rotating lines and text; bottom-right saturated flat colours (where Odena et al. saw checkerboards most).
// The workgroup size is set by the host (the kernel's descriptor) through constants 0 to 2.
layout(local_size_x_id = 0, local_size_y_id = 1, local_size_z_id = 2) in;

layout(binding = 0) uniform sampler2D photo;                 // rgba8, read with texelFetch
layout(binding = 1) readonly buffer Font { uint glyphs[]; };
layout(binding = 2) writeonly uniform image2D target;        // rgba8

layout(push_constant) uniform Push {
    ivec2 size;     // target width, height
    vec2 shift;     // scene moved right/down by this many target pixels (shift-consistency renders)
    float time;     // seconds of animation
    float pad0, pad1, pad2;
} pc;

#include "include/font.glsl"

vec3 samplePhoto(vec2 uv)
{
    ivec2 n = textureSize(photo, 0);
    vec2 p = clamp(uv, 0.0, 1.0) * vec2(n) - 0.5;
    ivec2 i = ivec2(floor(p));
    vec2 f = p - vec2(i);
    ivec2 hi = n - 1;
    vec3 a = texelFetch(photo, clamp(i, ivec2(0), hi), 0).rgb;
    vec3 b = texelFetch(photo, clamp(i + ivec2(1, 0), ivec2(0), hi), 0).rgb;
    vec3 c = texelFetch(photo, clamp(i + ivec2(0, 1), ivec2(0), hi), 0).rgb;
    vec3 d = texelFetch(photo, clamp(i + ivec2(1, 1), ivec2(0), hi), 0).rgb;
    return mix(mix(a, b, f.x), mix(c, d, f.x), f.y);
}

vec3 photoQuadrant(vec2 q, float t)
{
    float zoom = 1.6 + 0.6 * sin(0.21 * t);
    vec2 centre = vec2(0.5) + vec2(0.22 * sin(0.17 * t), 0.18 * cos(0.13 * t));
    return samplePhoto(centre + (q - 0.5) / zoom);
}

vec3 zonePlate(vec2 q, float t)
{
    vec2 p = (q - 0.5 - 0.06 * vec2(sin(0.3 * t), cos(0.23 * t))) * 2.0;
    // The local frequency k * r / pi cycles per unit reaches about 25 cycles per unit at r = 1.
    float k = 72.0 + 12.0 * sin(0.15 * t);
    float v = 0.5 + 0.5 * cos(k * dot(p, p));
    return mix(vec3(0.05, 0.05, 0.1), vec3(1.0, 0.95, 0.85), v);
}

vec3 linesAndText(vec2 q, float t)
{
    vec3 c = vec3(0.08, 0.1, 0.25);
    vec2 o = vec2(0.5, 0.34);
    for (int i = 0; i < 12; i++) {
        float a = 0.08 * t + float(i) * 3.14159265 / 12.0;
        vec2 dir = vec2(cos(a), sin(a));
        vec2 d = q - o;
        float along = dot(d, dir);
        float across = abs(d.x * dir.y - d.y * dir.x);
        if (across < 0.0035 && abs(along) < 0.3) {
            c = vec3(1.0);
        }
    }
    // Two rows of text, one font pixel = 1/110 of the quadrant, scrolling slowly.
    const float px = 1.0 / 110.0;
    const uint rowA[16] = uint[](50u, 37u, 33u, 44u, 52u, 41u, 45u, 37u, 0u, 53u, 48u, 51u, 35u, 33u, 44u, 37u); // REALTIME UPSCALE
    const uint rowB[16] = uint[](16u, 17u, 18u, 19u, 20u, 21u, 22u, 23u, 24u, 25u, 0u, 56u, 18u, 0u, 56u, 20u);  // 0123456789 X2 X4
    float scroll = fract(0.02 * t) * 16.0 * 6.0 * px;
    for (int r = 0; r < 2; r++) {
        vec2 origin = vec2(0.04 - scroll, 0.72 + float(r) * 0.12);
        vec2 cell = (q - origin) / px;
        int col = int(floor(cell.x)) % (16 * 6);
        int row = int(floor(cell.y));
        if (cell.x >= 0.0 && row >= 0 && row < GLYPH_H) {
            uint g = r == 0 ? rowA[col / 6] : rowB[col / 6];
            if (glyphInk(g, col % 6, row)) {
                c = r == 0 ? vec3(1.0, 1.0, 0.2) : vec3(1.0);
            }
        }
    }
    return c;
}

vec3 saturatedFlats(vec2 q, float t)
{
    const vec3 colours[6] = vec3[](vec3(1, 0, 0), vec3(0, 1, 0), vec3(0, 0, 1),
                                   vec3(1, 1, 0), vec3(1, 0, 1), vec3(0, 1, 1));
    vec2 p = q + vec2(0.05 * sin(0.4 * t), 0.03 * cos(0.31 * t));
    ivec2 cell = ivec2(floor(p * vec2(3.0, 2.0)));
    vec2 f = fract(p * vec2(3.0, 2.0));
    vec3 c = vec3(1.0);
    if (all(greaterThan(f, vec2(0.12))) && all(lessThan(f, vec2(0.88)))) {
        int k = ((cell.x % 3) + 3) % 3 + 3 * (((cell.y % 2) + 2) % 2);
        c = colours[k];
        if (length(f - 0.5) < 0.18) {
            c = colours[(k + 3) % 6];
        }
    }
    return c;
}

void main()
{
    ivec2 pixel = ivec2(gl_GlobalInvocationID.xy);
    if (pixel.x >= pc.size.x || pixel.y >= pc.size.y) {
        return;
    }
    vec2 s = (vec2(pixel) + 0.5 - pc.shift) / vec2(pc.size);
    vec2 q = fract(s * 2.0);
    bool left = s.x < 0.5, top = s.y < 0.5;
    vec3 c = top ? (left ? photoQuadrant(q, pc.time) : zonePlate(q, pc.time))
                 : (left ? linesAndText(q, pc.time) : saturatedFlats(q, pc.time));
    imageStore(target, pixel, vec4(clamp(c, 0.0, 1.0), 1.0));
}
