// Activation epilogue, applied to a finished sum before it is stored.
// The including shader includes codes.glsl and declares the specialization constants
//   ACT          : an ACT_ code of codes.glsl (ACT_PRELU_CHANNEL's slope is passed in by the caller)
//   ACT_A, ACT_B : its float parameters, as codes.glsl says.
float activate(float v, float channelSlope)
{
    if (ACT == ACT_RELU) return max(v, 0.0);
    if (ACT == ACT_PRELU_SHARED) return v >= 0.0 ? v : ACT_A * v;
    if (ACT == ACT_PRELU_CHANNEL) return v >= 0.0 ? v : channelSlope * v;
    if (ACT == ACT_LEAKY_RELU) return v >= 0.0 ? v : ACT_A * v;
    if (ACT == ACT_TANH) return tanh(v);
    if (ACT == ACT_SIGMOID) return 1.0 / (1.0 + exp(-v));
    if (ACT == ACT_CLIP) return clamp(v, ACT_A, ACT_B);
    return v;
}
