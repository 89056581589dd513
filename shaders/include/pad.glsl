// Padding of a convolution's input, shared by conv2d, conv_pointwise and winograd_input.
// The including shader includes codes.glsl and declares the specialization constants
//   PAD_MODE : a PAD_ code of codes.glsl
//   BORDER   : for PAD_BOUNDED_REPLICATE, how far outside the input the edge repeats.

// Maps a padded coordinate to a stored one; returns -1 for a zero pad.
int padIndex(int i, int n)
{
    if (i >= 0 && i < n) return i;
    if (PAD_MODE == PAD_ZEROS) return -1;
    if (PAD_MODE == PAD_REPLICATE) return clamp(i, 0, n - 1);
    if (PAD_MODE == PAD_BOUNDED_REPLICATE) return i >= -BORDER && i < n + BORDER ? clamp(i, 0, n - 1) : -1;
    // reflect without repeating the edge: -1 -> 1, n -> n - 2 (the host checks pad < n; the clamp only
    // serves columns past the output, which are computed and never stored)
    i = i < 0 ? -i : i;
    return clamp(i >= n ? 2 * (n - 1) - i : i, 0, n - 1);
}
