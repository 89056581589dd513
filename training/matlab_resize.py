"""MATLAB's imresize(A, scale, 'bicubic') in numpy, bit for bit.

This is the degradation of ../shared/EVAL.md and the same maths as
src/RealtimeUpscale.Imaging/MatlabResize.cs, checked against the MATLAB-made images in
../shared/datasets/Set5_matlab_bicubic by training/test_matlab_resize.py.

Per dimension MATLAB's `contributions` builds the taps (1-based x and indices, as there):

    kernel_width = 4; h = cubic                                   (scale >= 1)
    kernel_width = 4 / scale; h(x) = scale * cubic(scale * x)     (scale < 1: antialiasing)
    u = x / scale + 0.5 * (1 - 1 / scale)                         for x = 1..out_length
    left = floor(u - kernel_width / 2);  P = ceil(kernel_width) + 2
    indices = left + (0..P-1);  weights = h(u - indices) ./ sum(weights, 2)
    indices clamped to 1..in_length;  taps whose weight is zero for every x dropped

cubic is Keys' kernel with a = -0.5. The clamp (not symmetric mirroring) is what the MATLAB golden data
shows. The output size is ceil(in_length * scale). Height (dimension 1) is resized first, then width.
The taps of one output value are summed left to right in float64, as MATLAB's resize kernel does; that
order matters only at rounding ties of uint8 data.

Layout: arrays are (H, W) planes or (H, W, C) images (channels last); each channel is resized on its own.
"""

import functools
import math

import numpy as np

__all__ = ["resize", "resize_uint8", "output_length", "round_matlab", "contributions"]


def _cubic(x):
    """Keys' cubic convolution kernel, a = -0.5, written as MATLAB writes it."""
    absx = np.abs(x)
    absx2 = absx * absx
    absx3 = absx2 * absx
    near = (1.5 * absx3 - 2.5 * absx2 + 1) * (absx <= 1)
    far = (-0.5 * absx3 + 2.5 * absx2 - 4 * absx + 2) * ((absx > 1) & (absx <= 2))
    return near + far


def output_length(in_length, scale):
    """MATLAB's output length: ceil(in_length * scale), computed in float64."""
    return int(math.ceil(in_length * scale))


@functools.lru_cache(maxsize=4096)
def contributions(in_length, out_length, scale):
    """The taps of one dimension: (weights float64 [out, taps], 0-based indices int64 [out, taps]).

    Cached per (in_length, out_length, scale); the returned arrays are read-only and shared.
    """
    antialias = scale < 1
    kernel_width = 4.0 / scale if antialias else 4.0
    taps = int(math.ceil(kernel_width)) + 2
    x = np.arange(1, out_length + 1, dtype=np.float64)
    u = x / scale + 0.5 * (1 - 1 / scale)
    left = np.floor(u - kernel_width / 2)
    index = left[:, None] + np.arange(taps, dtype=np.float64)[None, :]
    distance = u[:, None] - index
    weights = scale * _cubic(scale * distance) if antialias else _cubic(distance)
    # The sum in left-to-right order, as MATLAB's sum(weights, 2).
    total = np.zeros(out_length)
    for k in range(taps):
        total = total + weights[:, k]
    weights = weights / total[:, None]
    indices = (np.clip(index, 1, in_length) - 1).astype(np.int64)
    keep = np.any(weights != 0, axis=0)
    weights = np.ascontiguousarray(weights[:, keep])
    indices = np.ascontiguousarray(indices[:, keep])
    weights.flags.writeable = False
    indices.flags.writeable = False
    return weights, indices


def _resize_axis(a, axis, scale):
    """Resizes float64 array `a` along `axis` (0 or 1); taps summed left to right."""
    in_length = a.shape[axis]
    weights, indices = contributions(in_length, output_length(in_length, scale), scale)
    shape = [1] * a.ndim
    shape[axis] = weights.shape[0]
    out = None
    for k in range(weights.shape[1]):
        term = np.take(a, indices[:, k], axis=axis) * weights[:, k].reshape(shape)
        out = term if out is None else out + term
    return out


def round_matlab(a):
    """MATLAB's conversion to uint8: round half away from zero, saturate to 0..255."""
    a = np.asarray(a, dtype=np.float64)
    return np.clip(np.sign(a) * np.floor(np.abs(a) + 0.5), 0, 255).astype(np.uint8)


def resize(a, scale):
    """imresize on a double array: float64 result, nothing rounded.

    `a`: (H, W) or (H, W, C), any real dtype (taken as float64). `scale`: the factor MATLAB would see
    (pass 1.0 / 3 for imresize(A, 1/3)). Returns ceil(H * scale) x ceil(W * scale) (x C).
    """
    if not (math.isfinite(scale) and scale > 0):
        raise ValueError(f"scale must be a positive finite number, not {scale}")
    a = np.asarray(a, dtype=np.float64)
    if a.ndim not in (2, 3) or a.shape[0] < 1 or a.shape[1] < 1:
        raise ValueError(f"expected an (H, W) or (H, W, C) array, got shape {a.shape}")
    return _resize_axis(_resize_axis(a, 0, scale), 1, scale)


def resize_uint8(a, scale):
    """imresize on a uint8 array: rounded half away from zero and saturated after each pass, as MATLAB."""
    a = np.asarray(a)
    if a.dtype != np.uint8:
        raise ValueError(f"expected uint8 data, got {a.dtype}")
    if not (math.isfinite(scale) and scale > 0):
        raise ValueError(f"scale must be a positive finite number, not {scale}")
    tall = round_matlab(_resize_axis(a.astype(np.float64), 0, scale))
    return round_matlab(_resize_axis(tall.astype(np.float64), 1, scale))
