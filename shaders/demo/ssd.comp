#version 450
// Sum of squared differences between two images of the same size, in 8-bit units over R, G and B:
// one partial sum per workgroup (its size a power of two, set by the host), written to sums[slot * groups + group]; the host adds them up.
// The workgroup size is set by the host (the kernel's descriptor) through constants 0 to 2.
layout(local_size_x_id = 0, local_size_y_id = 1, local_size_z_id = 2) in;

layout(binding = 0) uniform sampler2D a;
layout(binding = 1) uniform sampler2D b;
layout(binding = 2) writeonly buffer Sums { float sums[]; };

layout(push_constant) uniform Push {
    ivec2 size;
    int slot;
    int pad0;
} pc;

const uint INVOCATIONS = gl_WorkGroupSize.x * gl_WorkGroupSize.y;
shared float partial[INVOCATIONS];

void main()
{
    ivec2 p = ivec2(gl_GlobalInvocationID.xy);
    float v = 0.0;
    if (p.x < pc.size.x && p.y < pc.size.y) {
        vec3 d = (texelFetch(a, p, 0).rgb - texelFetch(b, p, 0).rgb) * 255.0;
        v = dot(d, d);
    }
    uint i = gl_LocalInvocationIndex;
    partial[i] = v;
    barrier();
    for (uint stride = INVOCATIONS / 2u; stride > 0u; stride >>= 1u) {
        if (i < stride) {
            partial[i] += partial[i + stride];
        }
        barrier();
    }
    if (i == 0u) {
        uint groups = gl_NumWorkGroups.x * gl_NumWorkGroups.y;
        uint group = gl_WorkGroupID.y * gl_NumWorkGroups.x + gl_WorkGroupID.x;
        sums[uint(pc.slot) * groups + group] = partial[0];
    }
}
