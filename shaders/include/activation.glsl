// Activation epilogue, applied to a finished sum before it is stored.
// The including shader declares the specialization constants
//   ACT   : 0 none, 1 ReLU, 2 PReLU with one shared slope ACT_A, 3 PReLU with a slope per output channel
//           (passed in by the caller), 4 LeakyReLU with slope ACT_A, 5 tanh, 6 sigmoid, 7 clip to [ACT_A, ACT_B]
//   ACT_A, ACT_B : float parameters as above.
float activate(float v, float channelSlope)
{
    if (ACT == 1) return max(v, 0.0);
    if (ACT == 2) return v >= 0.0 ? v : ACT_A * v;
    if (ACT == 3) return v >= 0.0 ? v : channelSlope * v;
    if (ACT == 4) return v >= 0.0 ? v : ACT_A * v;
    if (ACT == 5) return tanh(v);
    if (ACT == 6) return 1.0 / (1.0 + exp(-v));
    if (ACT == 7) return clamp(v, ACT_A, ACT_B);
    return v;
}
