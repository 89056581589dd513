// How tensors are stored. Every kernel is compiled twice (build/Shaders.targets): as is, its tensors float32, and
// with HALF_STORAGE defined, its tensors float16 (GL_EXT_shader_16bit_storage; the device's
// storageBuffer16BitAccess). Arithmetic is float32 in both (but see HALF_MATH below): a kernel declares its tensor arrays as TENSOR_T, reads
// an element with LOAD(e) and stores a float with STORE(v), which rounds it to the nearest float16 in the half
// variant. Layer parameters stay float32 (include/params.glsl). Texel-buffer reads need nothing: the host views a
// float16 tensor as R16_SFLOAT texels, which texelFetch returns as float.
// The convolutions are compiled a third time with HALF_MATH defined as well (NAME_f16m.spv): their window, weights and
// accumulators are MATH_T, float16 there (GL_EXT_shader_explicit_arithmetic_types_float16; the device's
// shaderFloat16), so the multiply-adds run in float16; bias, activation and everything else stay float32.
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
#ifdef HALF_MATH
#extension GL_EXT_shader_explicit_arithmetic_types_float16 : require
#define MATH_T float16_t
#else
#define MATH_T float
#endif
