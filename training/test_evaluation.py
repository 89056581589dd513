"""Checks the trainer's validation path against the FSRCNN paper's table.

    /usr/bin/python3 training/test_evaluation.py

The FSRCNN authors' weights (../shared/reference/fsrcnn-official/FSRCNN_x{2,3,4}.onnx) are run by the
ONNX interpreter of training/onnx_export.py on Set5 prepared by training/evaluation.py (the EVAL.md
protocol that train.py validates with). The mean PSNR must be within 0.03 dB of the published
37.00 / 33.16 / 30.71 dB (../shared/DATA.md: float32 inference gives 0.00 to 0.02 dB less).
This ties together the degradation, the studio-range Y, the MATLAB rounding, the shave and the
interpreter that checks every export. About 5 s on two cores.

Prints one line per check and "N passed, M failed"; the exit code is 1 when any check fails.
"""

import os
import sys

import numpy as np
import onnx

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from evaluation import EvalImage, list_images, psnr_uint8, sr_to_y_uint8  # noqa: E402
from onnx_export import run_graph  # noqa: E402

SHARED = os.path.join(os.path.dirname(os.path.dirname(HERE)), "shared")
PAPER_SET5 = {2: 37.00, 3: 33.16, 4: 30.71}
TOLERANCE_DB = 0.03


def check(scale):
    path = os.path.join(SHARED, "reference", "fsrcnn-official", f"FSRCNN_x{scale}.onnx")
    if not os.path.exists(path):
        return f"FSRCNN x{scale}", False, f"{path} is missing (see ../shared/DATA.md)"
    model = onnx.load(path)
    values = []
    for image_path in list_images(os.path.join(SHARED, "datasets", "Set5")):
        image = EvalImage(image_path, scale, "y")
        sr = run_graph(model, image.lr[None, None].astype(np.float32))[0, 0]
        values.append(psnr_uint8(sr_to_y_uint8(sr, "y"), image.hr_y_uint8, scale))
    psnr = float(np.mean(values))
    expected = PAPER_SET5[scale]
    return f"FSRCNN x{scale} Set5", abs(psnr - expected) <= TOLERANCE_DB, \
        f"{psnr:.3f} dB (paper {expected:.2f} +- {TOLERANCE_DB})"


def main():
    results = [check(s) for s in (2, 3, 4)]
    for name, ok, detail in results:
        print(f"{'PASS' if ok else 'FAIL'}  {name}: {detail}")
    passed = sum(ok for _, ok, _ in results)
    print(f"{passed} passed, {len(results) - passed} failed")
    return 0 if passed == len(results) else 1


if __name__ == "__main__":
    sys.exit(main())
