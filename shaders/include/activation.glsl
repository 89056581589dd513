// Activation epilogue, applied to a finished sum before it is stored.
// The including shader includes codes.glsl and declares the specialization constants
//   ACT          : an ACT_ code of codes.glsl (ACT_PRELU_CHANNEL's slope is passed in by the caller)
//   ACT_A, ACT_B : its float parameters, as codes.glsl says.
// A shader with a second activation calls activation() with its own constants.
float activation(int act, float a, float b, float v, float channelSlope)
{
    if (act == ACT_RELU) return max(v, 0.0);
    if (act == ACT_PRELU_SHARED) return v >= 0.0 ? v : a * v;
    if (act == ACT_PRELU_CHANNEL) return v >= 0.0 ? v : channelSlope * v;
    if (act == ACT_LEAKY_RELU) return v >= 0.0 ? v : a * v;
    if (act == ACT_TANH) return tanh(v);
    if (act == ACT_SIGMOID) return 1.0 / (1.0 + exp(-v));
    if (act == ACT_CLIP) return clamp(v, a, b);
    return v;
}

float activate(float v, float channelSlope)
{
    return activation(ACT, ACT_A, ACT_B, v, channelSlope);
}
