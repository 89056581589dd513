"""The evaluation protocol of ../shared/EVAL.md (the SRCNN/FSRCNN/ESPCN paper tables), in numpy.

    HR (uint8 RGB) -> studio-range Y (float, 16..235) -> crop to a multiple of s
    LR = imresize(Y / 255, 1 / s, 'bicubic')   (MATLAB-exact, float, not re-quantised)
    SR = network(LR) (or imresize(LR, s) for the bicubic baseline)
    PSNR on round_matlab(HR Y) and round_matlab(SR * 255), s pixels shaved from every border.

Images are numpy arrays, (H, W) planes or (H, W, 3) RGB, channels last.
"""

import os

import numpy as np
from PIL import Image

from matlab_resize import resize, round_matlab

IMAGE_EXTENSIONS = (".png", ".bmp", ".jpg", ".jpeg", ".tif", ".tiff")


def list_images(folder):
    """The image files of a folder, sorted by name."""
    if not os.path.isdir(folder):
        raise FileNotFoundError(
            f"{folder} is missing: the datasets live in ../shared/datasets beside the repository "
            "(see ../shared/DATA.md)")
    return sorted(os.path.join(folder, f) for f in os.listdir(folder) if f.lower().endswith(IMAGE_EXTENSIONS))


def load_rgb(path):
    """uint8 (H, W, 3); a grey image becomes three equal channels (so its Y is its grey value)."""
    with Image.open(path) as im:
        if im.mode in ("L", "I;16", "I"):
            grey = np.asarray(im.convert("L"))
            return np.repeat(grey[:, :, None], 3, axis=2)
        return np.asarray(im.convert("RGB"))


def studio_y(rgb):
    """BT.601 studio-range luma as MATLAB's rgb2ycbcr, float64 (16..235), from RGB holding 0..255 values.

    Not for single-channel files: EVAL.md takes their grey value as Y (see load_y).
    """
    rgb = np.asarray(rgb, dtype=np.float64)
    return 16 + (65.481 * rgb[..., 0] + 128.553 * rgb[..., 1] + 24.966 * rgb[..., 2]) / 255


def load_y(path):
    """The Y plane EVAL.md evaluates (float64, 0..255 scale): studio Y of RGB, or the grey value."""
    with Image.open(path) as im:
        if im.mode in ("L", "I;16", "I"):
            return np.asarray(im.convert("L"), dtype=np.float64)
        return studio_y(np.asarray(im.convert("RGB")))


def mod_crop(a, s):
    """Drops the last H mod s rows and W mod s columns."""
    h, w = a.shape[0] - a.shape[0] % s, a.shape[1] - a.shape[1] % s
    return a[:h, :w]


def degrade(hr, s):
    """LR = imresize(hr, 1/s, 'bicubic') in float64; hr is already cropped to a multiple of s.

    Pass Y / 255 for luma models, RGB / 255 for colour models (each channel resized on its own).
    """
    if hr.shape[0] % s or hr.shape[1] % s:
        raise ValueError(f"crop the image to a multiple of {s} first (shape {hr.shape})")
    lr = resize(hr, 1.0 / s)
    if lr.shape[0] * s != hr.shape[0] or lr.shape[1] * s != hr.shape[1]:
        raise AssertionError(f"imresize gave {lr.shape} for {hr.shape} / {s}")
    return lr


def psnr_uint8(a, b, shave):
    """PSNR in dB of two uint8 planes, `shave` pixels dropped from every border."""
    if shave:
        a = a[shave:-shave, shave:-shave]
        b = b[shave:-shave, shave:-shave]
    mse = np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2)
    return float("inf") if mse == 0 else 10 * np.log10(255.0 ** 2 / mse)


def sr_to_y_uint8(sr, color):
    """The uint8 Y plane of a network output in [0, 1]: (H, W) luma / 255, or (H, W, 3) RGB.

    An RGB output is first made a uint8 image (MATLAB rounding), as it would be shown or saved; its
    studio Y is then rounded again, as the HR image's is.
    """
    if color == "y":
        return round_matlab(np.asarray(sr, dtype=np.float64) * 255)
    return round_matlab(studio_y(round_matlab(np.asarray(sr, dtype=np.float64) * 255)))


class EvalImage:
    """One test image prepared by the protocol for scale s.

    hr_y_uint8: the rounded, cropped HR Y plane. lr: float64 LR, (h, w) Y / 255 for color "y",
    (h, w, 3) RGB / 255 for color "rgb".
    """

    def __init__(self, path, s, color):
        self.name = os.path.splitext(os.path.basename(path))[0]
        y = mod_crop(load_y(path), s)
        self.hr_y_uint8 = round_matlab(y)
        if color == "y":
            self.lr = degrade(y / 255, s)
        else:
            self.lr = degrade(mod_crop(load_rgb(path), s).astype(np.float64) / 255, s)


def bicubic_psnr(image, s, color):
    """Bicubic baseline PSNR of one EvalImage: SR = imresize(LR, s) (no antialiasing when enlarging)."""
    return psnr_uint8(sr_to_y_uint8(resize(image.lr, float(s)), color), image.hr_y_uint8, s)
