// Layer parameters (weights, then biases, then PReLU slopes) are one buffer bound twice: as a uniform block
// (binding 3) and as a storage buffer (binding 2). When they fit in 64 KiB the host sets PARAMS_IN_UBO and
// the shader reads the uniform block: every invocation of a workgroup reads the same weight at the same
// time, which uniform loads serve best (a broadcast on CPU drivers, the constant cache on GPUs). Larger
// parameter sets are read from the storage buffer. std140 gives float arrays a 16-byte stride, so the block
// is declared as vec4s and indexed by component.
layout(std430, binding = 2) readonly buffer ParamsStorage { float paramsStorage[]; };
layout(std140, binding = 3) uniform ParamsUniform { vec4 paramsUniform[4096]; };

float param(int i)
{
    return PARAMS_IN_UBO == 1 ? paramsUniform[i >> 2][i & 3] : paramsStorage[i];
}
