// How tensors are stored. Every kernel is compiled twice (build/Shaders.targets): as is, its tensors float32, and
// with HALF_STORAGE defined, its tensors float16 (GL_EXT_shader_16bit_storage; the device's
// storageBuffer16BitAccess). Arithmetic is float32 in both: a kernel declares its tensor arrays as TENSOR_T, reads
// an element with LOAD(e) and stores a float with STORE(v), which rounds it to the nearest float16 in the half
// variant. Layer parameters stay float32 (include/params.glsl). Texel-buffer reads need nothing: the host views a
// float16 tensor as R16_SFLOAT texels, which texelFetch returns as float.
// Include it right after the #extension lines, before any declaration.
#ifdef HALF_STORAGE
#extension GL_EXT_shader_16bit_storage : require
#define TENSOR_T float16_t
#define STORE(v) float16_t(v)
#else
#define TENSOR_T float
#define STORE(v) (v)
#endif
#define LOAD(e) float(e)
