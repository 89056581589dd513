#version 450
// View 3: a split-screen wipe between two images of the target's size (method A left of the divider,
// B right of it) and a magnifier loupe: inside the circle around the cursor, pixels show the
// neighbourhood of the cursor enlarged `zoom` times with nearest sampling, so single pixels are visible.
// The workgroup size is set by the host (the kernel's descriptor) through constants 0 to 2.
layout(local_size_x_id = 0, local_size_y_id = 1, local_size_z_id = 2) in;

layout(binding = 0) uniform sampler2D left;
layout(binding = 1) uniform sampler2D right;
layout(binding = 2) writeonly uniform image2D target;

layout(push_constant) uniform Push {
    ivec2 size;
    ivec2 cursor;
    int divider;    // first column taken from `right`
    int radius;     // loupe radius in pixels (0: no loupe)
    int zoom;
    int pad0;
} pc;

void main()
{
    ivec2 p = ivec2(gl_GlobalInvocationID.xy);
    if (p.x >= pc.size.x || p.y >= pc.size.y) {
        return;
    }
    ivec2 q = p;
    vec2 d = vec2(p - pc.cursor);
    float r = length(d);
    bool ring = false;
    if (pc.radius > 0 && r < float(pc.radius)) {
        q = pc.cursor + ivec2(floor(d / float(pc.zoom)));
        ring = r > float(pc.radius) - 2.0;
    }
    q = clamp(q, ivec2(0), pc.size - 1);
    vec3 c = q.x < pc.divider ? texelFetch(left, q, 0).rgb : texelFetch(right, q, 0).rgb;
    if (ring || abs(p.x - pc.divider) < 1 && (pc.radius == 0 || r >= float(pc.radius))) {
        c = vec3(1.0);
    }
    imageStore(target, p, vec4(c, 1.0));
}
