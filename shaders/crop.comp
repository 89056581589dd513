#version 450
// Crop / slice: out (c, y, x) = in (c0 + c, y0 + y, x0 + x), planar float32 tensors.
layout(local_size_x = 8, local_size_y = 8, local_size_z = 1) in;

layout(std430, binding = 0) readonly buffer Input { float inData[]; };
layout(std430, binding = 1) writeonly buffer Output { float outData[]; };

layout(push_constant) uniform Push { int inH, inW, c0, y0, x0, outC, outH, outW; } pc;

void main()
{
    int x = int(gl_GlobalInvocationID.x);
    int y = int(gl_GlobalInvocationID.y);
    int c = int(gl_GlobalInvocationID.z);
    if (x >= pc.outW || y >= pc.outH || c >= pc.outC) return;
    outData[(c * pc.outH + y) * pc.outW + x] = inData[((pc.c0 + c) * pc.inH + pc.y0 + y) * pc.inW + pc.x0 + x];
}
