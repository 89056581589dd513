"""Our output against the tools' own, same model, same input: PSNR and the largest difference.

Run from the repository root with Debian's interpreter (numpy, PIL):

    /usr/bin/python3 scripts/compare_peers.py [--size 200x150] [--images 3]

For each model (waifu2x upconv_7 photo and art, cunet, Real-CUGAN se x2 / x3 / x4, no denoising), each of the
first N photographs of ../shared/datasets/BSD100 (centre crops of --size), runs `./rtup upscale` and the tool
(../shared/peers/bin, on lavapipe, one tile, -j 1:1:1) and prints a Markdown table: PSNR (8-bit, RGB, whole
picture; the lowest over the images) between the two outputs and the largest difference in levels, over all
values and again without the values the unpatched tools wrap from below 0 to 255. Then, for Real-CUGAN se x2, how far the tool's tiled modes (-t below the image size, sync-gap -c 0..3)
are from its own single-tile output, which equals the whole-image result. Every GPU run holds
/tmp/rtup-build.lock, so timings of others are not disturbed; or hold it once for the whole run:
`RTUP_LOCK_HELD=1 flock /tmp/rtup-build.lock /usr/bin/python3 scripts/compare_peers.py`.
"""

import argparse
import os
import subprocess
import sys
import tempfile

import numpy as np
from PIL import Image

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED = os.path.join(os.path.dirname(REPO), "shared")
PEERS = os.path.join(SHARED, "peers")
BIN = os.path.join(PEERS, "bin")
LOCK = "/tmp/rtup-build.lock"

MODELS = [
    ("waifu2x upconv_7 photo", "waifu2x", "models-upconv_7_photo", "scale2.0x_model", 2),
    ("waifu2x upconv_7 art", "waifu2x", "models-upconv_7_anime_style_art_rgb", "scale2.0x_model", 2),
    ("waifu2x cunet", "waifu2x", "models-cunet", "scale2.0x_model", 2),
    ("Real-CUGAN se x2", "realcugan", "models-se", "up2x-no-denoise", 2),
    ("Real-CUGAN se x3", "realcugan", "models-se", "up3x-no-denoise", 3),
    ("Real-CUGAN se x4", "realcugan", "models-se", "up4x-no-denoise", 4),
]


def locked(cmd, cwd=None):
    # RTUP_LOCK_HELD=1: the caller holds the lock for the whole comparison (flock LOCK python3 ...), which saves
    # waiting for it at every run on a busy machine.
    prefix = [] if os.environ.get("RTUP_LOCK_HELD") == "1" else ["flock", LOCK]
    subprocess.run(prefix + cmd, cwd=cwd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def tool(kind, folder, scale, src, dst, tile=1024, sync=3):
    if kind == "waifu2x":
        cmd = ["./waifu2x-ncnn-vulkan", "-i", src, "-o", dst, "-m", "../waifu2x/models/" + folder, "-s", str(scale),
               "-n", "-1", "-t", str(tile), "-j", "1:1:1", "-g", "0"]
    else:
        cmd = ["./realcugan-ncnn-vulkan", "-i", src, "-o", dst, "-m", "../realcugan/models/" + folder, "-s", str(scale),
               "-n", "0", "-t", str(tile), "-c", str(sync), "-j", "1:1:1", "-g", "0"]
    locked(cmd, cwd=BIN)


def ours(param, src, dst):
    locked([os.path.join(REPO, "rtup"), "upscale", src, "-o", dst, "--model", param, "--overwrite"], cwd=REPO)


def load(path):
    return np.asarray(Image.open(path).convert("RGB")).astype(np.float64)


def psnr_of(d):
    mse = (d ** 2).mean()
    return float("inf") if mse == 0 else 10 * np.log10(255.0 ** 2 / mse)


def compare(a, b):
    """PSNR and max difference over all values, and without the tool's wrapped values (see below)."""
    d = np.abs(a - b)
    # The tools convert with uint(floor(v)) before clamping; on lavapipe a negative value wraps to 255
    # (../shared/peers/bin/README.md, "Isolated 255 values"): a tool value of 255 where ours is 0 or 1.
    wrapped = (b == 255) & (a <= 1)
    rest = d[~wrapped]
    return psnr_of(d), int(d.max()), int(wrapped.sum()), d.size, psnr_of(rest), int(rest.max())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--size", default="200x150")
    ap.add_argument("--images", type=int, default=3)
    args = ap.parse_args()
    w, h = (int(v) for v in args.size.split("x"))
    folder = os.path.join(SHARED, "datasets", "BSD100")
    names = sorted(os.listdir(folder))[:args.images]
    tmp = tempfile.mkdtemp(prefix="rtup-peers-")
    inputs = []
    for n in names:
        im = Image.open(os.path.join(folder, n)).convert("RGB")
        x0, y0 = (im.width - w) // 2, (im.height - h) // 2
        p = os.path.join(tmp, os.path.splitext(n)[0] + ".png")
        im.crop((x0, y0, x0 + w, y0 + h)).save(p)
        inputs.append(p)
    print(f"Inputs: {', '.join(names)} (BSD100), centre crops of {w}x{h}.\n")
    print("| model | PSNR ours vs tool (dB) | max difference | tool's wrapped values | PSNR without them (dB) | max difference without them |")
    print("| --- | --- | --- | --- | --- | --- |")
    for label, kind, mfolder, stem, scale in MODELS:
        param = os.path.join(PEERS, kind, "models", mfolder, stem + ".param")
        stats = []
        for src in inputs:
            a, b = src[:-4] + f"_{stem}_{mfolder}_ours.png", src[:-4] + f"_{stem}_{mfolder}_tool.png"
            ours(param, src, a)
            tool(kind, mfolder, scale, src, b)
            stats.append(compare(load(a), load(b)))
        wrapped, total = sum(s[2] for s in stats), sum(s[3] for s in stats)
        print(f"| {label} | {min(s[0] for s in stats):.2f} | {max(s[1] for s in stats)} | {wrapped} of {total} | "
              f"{min(s[4] for s in stats):.2f} | {max(s[5] for s in stats)} |")
        sys.stdout.flush()

    print("\nReal-CUGAN se x2, the tool's tiled modes (-t 64) against its single tile (the whole-image result):\n")
    print("| sync-gap mode | PSNR vs whole image (dB) | max difference (levels) |")
    print("| --- | --- | --- |")
    whole = []
    for src in inputs:
        p = src[:-4] + "_whole.png"
        tool("realcugan", "models-se", 2, src, p, tile=1024)
        whole.append(load(p))
    for sync in (0, 1, 2, 3):
        stats = []
        for src, ref in zip(inputs, whole):
            p = src[:-4] + f"_c{sync}.png"
            tool("realcugan", "models-se", 2, src, p, tile=64, sync=sync)
            stats.append(compare(load(p), ref))
        print(f"| -c {sync}{' (default)' if sync == 3 else ''} | {min(s[0] for s in stats):.2f} | {max(s[1] for s in stats)} |")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
