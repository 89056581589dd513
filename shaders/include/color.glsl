// BT.601 studio-range YCbCr exactly as MATLAB's rgb2ycbcr (the super-resolution evaluation convention),
// on values scaled to [0, 1] (8-bit value / 255):
//   Y  = (16  +  65.481 R + 128.553 G +  24.966 B) / 255
//   Cb = (128 -  37.797 R -  74.203 G + 112.000 B) / 255
//   Cr = (128 + 112.000 R -  93.786 G -  18.214 B) / 255
// and its exact inverse (the matrix inverse, as ycbcr2rgb).
vec3 rgbToYcbcr(vec3 rgb)
{
    return vec3(
        16.0 + dot(rgb, vec3(65.481, 128.553, 24.966)),
        128.0 + dot(rgb, vec3(-37.797, -74.203, 112.0)),
        128.0 + dot(rgb, vec3(112.0, -93.786, -18.214))) / 255.0;
}

vec3 ycbcrToRgb(vec3 ycc)
{
    vec3 d = ycc - vec3(16.0, 128.0, 128.0) / 255.0;
    return vec3(
        dot(d, vec3(1.164383561643836, 3.011243973926068e-07, 1.596026887335704)),
        dot(d, vec3(1.164383561643836, -0.3917625399414500, -0.8129682921622053)),
        dot(d, vec3(1.164383561643836, 2.017232639556459, 3.054261745313087e-06)));
}
