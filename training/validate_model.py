"""PSNR of exported models on the held-out validation images, by the protocol the trainer validates with.

    /usr/bin/python3 training/validate_model.py models/deconv_x2.onnx training/runs/deconv_y_x2/deconv_x2.onnx
    /usr/bin/python3 training/validate_model.py --scale 2 ../shared/reference/fsrcnn-official/FSRCNN_x2.onnx

The comparison a new model must win before it replaces a shipped one (models/README.md): same images
(training/validation_general100.txt), same EVAL.md protocol, the ONNX graph run op by op in PyTorch
(training/onnx_export.run_graph), scale and colour space from the metadata. Models without that metadata
(the FSRCNN authors' weights: luma) take `--scale`, which gives the reference a run's validation curve can be
read against. Prints one line a model.
"""

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import numpy as np  # noqa: E402
import onnx  # noqa: E402

import splits  # noqa: E402
from evaluation import EvalImage, bicubic_psnr, psnr_uint8, sr_to_y_uint8  # noqa: E402
from onnx_export import run_graph  # noqa: E402


def held_out_psnr(path, scale=None):
    proto = onnx.load(path)
    meta = {p.key: p.value for p in proto.metadata_props}
    if "scale" not in meta:
        if scale is None:
            raise SystemExit(f"{path}: no 'scale' in the model's metadata; give --scale")
        meta["scale"] = str(scale)
    scale, color = int(meta["scale"]), meta.get("colorspace", "y")
    values, bicubic = [], []
    for image_path in splits.validation_paths():
        im = EvalImage(image_path, scale, color)
        lr = im.lr[None, None] if color == "y" else im.lr.transpose(2, 0, 1)[None]
        sr = run_graph(proto, np.ascontiguousarray(lr, dtype=np.float32))[0]
        sr = sr[0] if color == "y" else sr.transpose(1, 2, 0)
        values.append(psnr_uint8(sr_to_y_uint8(sr, color), im.hr_y_uint8, scale))
        bicubic.append(bicubic_psnr(im, scale, color))
    return float(np.mean(values)), float(np.mean(bicubic)), meta


def main(args):
    scale = None
    if len(args) >= 2 and args[0] == "--scale":
        scale, args = int(args[1]), args[2:]
    if not args:
        print(__doc__, file=sys.stderr)
        return 2
    for path in args:
        psnr, bicubic, meta = held_out_psnr(path, scale)
        print(f"{path}: held-out PSNR {psnr:.3f} dB (bicubic {bicubic:.3f}), x{meta['scale']} "
              f"{meta.get('colorspace', 'y')}, {meta.get('architecture', '?')}, {meta.get('iterations', '?')} iterations")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
