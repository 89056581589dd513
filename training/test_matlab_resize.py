"""Checks training/matlab_resize.py against MATLAB-made data and the paper's bicubic figure.

    /usr/bin/python3 training/test_matlab_resize.py

1. Bit-exactness: for s in 2, 3, 4, every ../shared/datasets/Set5_matlab_bicubic/x{s}/labels/*_HR.png
   resized by 1/s in uint8 mode (each RGB channel on its own, rounded after each pass) must equal
   data/*_LR.png byte for byte.
2. The bicubic baseline on Set5 x2 by the EVAL.md protocol (float LR, MATLAB rounding, shave 2) must be
   33.66 dB within 0.005 dB (the FSRCNN paper's table).

Prints one line per check and "N passed, M failed"; the exit code is 1 when any check fails.
"""

import os
import sys

import numpy as np
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from evaluation import EvalImage, bicubic_psnr, list_images  # noqa: E402
from matlab_resize import resize_uint8  # noqa: E402

DATASETS = os.path.join(os.path.dirname(os.path.dirname(HERE)), "shared", "datasets")


def check_golden(s):
    """One (name, ok, detail) per golden pair at scale s."""
    root = os.path.join(DATASETS, "Set5_matlab_bicubic", f"x{s}")
    results = []
    for hr_path in list_images(os.path.join(root, "labels")):
        name = os.path.basename(hr_path)
        lr_path = os.path.join(root, "data", name.replace("_HR.png", "_LR.png"))
        hr = np.asarray(Image.open(hr_path).convert("RGB"))
        expected = np.asarray(Image.open(lr_path).convert("RGB"))
        got = resize_uint8(hr, 1.0 / s)
        if got.shape != expected.shape:
            results.append((f"x{s} {name}", False, f"shape {got.shape}, MATLAB {expected.shape}"))
            continue
        diff = np.count_nonzero(got != expected)
        detail = "bit-exact" if diff == 0 else f"{diff} of {got.size} values differ " \
            f"(max |d| {np.abs(got.astype(int) - expected.astype(int)).max()})"
        results.append((f"x{s} {name}", diff == 0, detail))
    if not results:
        results.append((f"x{s}", False, f"no golden images in {root}"))
    return results


def check_bicubic_set5_x2():
    images = [EvalImage(p, 2, "y") for p in list_images(os.path.join(DATASETS, "Set5"))]
    psnr = float(np.mean([bicubic_psnr(im, 2, "y") for im in images]))
    return "Set5 x2 bicubic PSNR", abs(psnr - 33.66) <= 0.005, f"{psnr:.4f} dB (expected 33.66 +- 0.005)"


def main():
    results = []
    for s in (2, 3, 4):
        results.extend(check_golden(s))
    results.append(check_bicubic_set5_x2())
    for name, ok, detail in results:
        print(f"{'PASS' if ok else 'FAIL'}  {name}: {detail}")
    passed = sum(ok for _, ok, _ in results)
    failed = len(results) - passed
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
