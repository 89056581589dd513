#!/usr/bin/env bash
# The runs that made the shipped models (models/README.md), in order, on two CPU cores.
# subpixel_x2 was trained first, from scratch:
#   /usr/bin/python3 training/train.py --arch fsrcnn --family subpixel --scale 2 --budget-minutes 34
# (written then to models/, the default export of that time; the runs below name it).
# Every other luma model starts its body from it (--init-from, FSRCNN's transfer between scales) and
# trains the whole network; the RGB model trains from scratch. A run that is stopped resumes with the
# same command plus --resume.
set -euo pipefail
cd "$(dirname "$0")/.."
# These runs predate the held-out validation list (they were validated on Set5) and the collapsible networks.
train() {
    local family=$2 scale=$4 name
    name=$family
    [[ " $* " == *" --color rgb "* ]] && name=${family}_rgb
    nice -n 5 /usr/bin/python3 training/train.py --arch fsrcnn --export "models/${name}_x${scale}.onnx" "$@"
}
base=models/subpixel_x2.onnx
train --family deconv     --scale 2 --budget-minutes 15 --init-from "$base"
train --family resizeconv --scale 2 --budget-minutes 15 --init-from "$base"
train --family subpixel   --scale 2 --budget-minutes 14 --color rgb
train --family subpixel   --scale 3 --budget-minutes 12 --init-from "$base"
train --family subpixel   --scale 4 --budget-minutes 12 --init-from "$base"
train --family deconv     --scale 3 --budget-minutes 9 --init-from "$base"
train --family resizeconv --scale 3 --budget-minutes 9 --init-from "$base"
train --family deconv     --scale 4 --budget-minutes 9 --init-from "$base"
train --family resizeconv --scale 4 --budget-minutes 9 --init-from "$base"
# The two x3 models had not yet passed FSRCNN-s (Set5 32.61 dB) when their budget ran out; they continue.
train --family deconv     --scale 3 --budget-minutes 16 --init-from "$base" --resume
train --family resizeconv --scale 3 --budget-minutes 16 --init-from "$base" --resume
train --family deconv     --scale 3 --budget-minutes 22 --init-from "$base" --resume
# deconv_x3 was still 0.015 dB short of FSRCNN-s; one more re-annealed stretch.
train --family deconv     --scale 3 --budget-minutes 40 --init-from "$base" --resume
# The default model, deconv_x2, was still rising at the end of its 15 minutes; re-annealed to 40.
train --family deconv     --scale 2 --budget-minutes 40 --init-from "$base" --resume
train --family resizeconv --scale 3 --budget-minutes 38 --init-from "$base" --resume
