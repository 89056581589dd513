#!/usr/bin/env bash
# Measures every bundled model with the GPU pipeline, as the model card reports it: ./rtup eval on Set5 and
# Set14 (the protocol of ../shared/EVAL.md) and ./rtup analyze (checkerboard energy, shift consistency),
# for the trained models in models/ and the untrained ones in models/init/, next to bicubic; then the x2 models
# on colour images through the library's whole path (./rtup eval --rgb: a luma model with bicubic chroma, an
# RGB model on RGB), on RGB and on the Y of that output.
# Prints two markdown tables (`scripts/measure_models.sh rgb`: the second alone; `scripts/measure_models.sh 2`:
# the first for the scales given). Needs ../shared/datasets.
set -euo pipefail
cd "$(dirname "$0")/.."
data=../shared/datasets
row() { # model-or-bicubic:S  scale  label
    local model=$1 scale=$2 label=$3 set5 set14 artifacts
    artifacts=$(./rtup analyze --model "$model" --json)
    if [[ $model == bicubic:* ]]; then
        # Any model of this scale: eval reports bicubic's figures next to the model's.
        local any
        any=$(ls models/*_x"$scale".onnx | head -1)
        set5=$(./rtup eval "$data/Set5" --model "$any" --scale "$scale" --json)
        set14=$(./rtup eval "$data/Set14" --model "$any" --scale "$scale" --json)
    else
        set5=$(./rtup eval "$data/Set5" --model "$model" --scale "$scale" --json)
        set14=$(./rtup eval "$data/Set14" --model "$model" --scale "$scale" --json)
    fi
    /usr/bin/python3 - "$model" "$label" "$set5" "$set14" "$artifacts" <<'PY'
import json, sys
import onnx
model, label, set5, set14, artifacts = sys.argv[1], sys.argv[2], *map(json.loads, sys.argv[3:])
bicubic = model.startswith("bicubic:")
key = "bicubic_" if bicubic else ""
meta = {} if bicubic else {p.key: p.value for p in onnx.load(model).metadata_props}
def cell(d): return f"{d[key + 'psnr_y']:.2f} / {d[key + 'ssim_y']:.4f}"
print(f"| {label} | {meta.get('family', '-')} | {meta.get('scale', model.split(':')[-1])} | {meta.get('params', '-')} | "
      f"{meta.get('macs_per_input_pixel', '-')} | {meta.get('iterations', '-')} | {cell(set5)} | {cell(set14)} | "
      f"{artifacts['checkerboard_db']:.2f} | {artifacts['shift_consistency_db']:.2f} |")
PY
}
rgb_row() { # model-or-bicubic  label
    local model=$1 label=$2 set5 set14 any
    any=$model
    [[ $model == bicubic ]] && any=$(ls models/*_x2.onnx | head -1)
    set5=$(./rtup eval "$data/Set5" --model "$any" --scale 2 --rgb --json)
    set14=$(./rtup eval "$data/Set14" --model "$any" --scale 2 --rgb --json)
    /usr/bin/python3 - "$model" "$label" "$set5" "$set14" <<'PY'
import json, sys
import onnx
model, label, set5, set14 = sys.argv[1], sys.argv[2], *map(json.loads, sys.argv[3:])
bicubic = model == "bicubic"
key = "bicubic_" if bicubic else ""
meta = {} if bicubic else {p.key: p.value for p in onnx.load(model).metadata_props}
colour = "-" if bicubic else ("RGB" if meta.get("colorspace") == "rgb" else "Y, bicubic chroma")
def cell(d): return f"{d['rgb'][key + 'psnr_rgb']:.2f} / {d['rgb'][key + 'psnr_y']:.2f}"
print(f"| {label} | {colour} | {meta.get('macs_per_input_pixel', '-')} | {cell(set5)} | {cell(set14)} |")
PY
}
rgb_table() {
    echo "| model | network sees | MACs / input pixel | Set5 RGB / Y PSNR | Set14 RGB / Y PSNR |"
    echo "| --- | --- | --- | --- | --- |"
    for f in models/*_x2.onnx; do
        rgb_row "$f" "\`$(basename "$f")\`"
    done
    rgb_row bicubic bicubic
}
if [[ ${1:-} == rgb ]]; then
    rgb_table
    exit 0
fi
scales=("$@")
[[ ${#scales[@]} -gt 0 ]] || scales=(2 3 4)
echo "| model | family | scale | params | MACs / input pixel | iterations | Set5 PSNR / SSIM | Set14 PSNR / SSIM | checkerboard vs bicubic (dB) | shift consistency (dB) |"
echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"
for s in "${scales[@]}"; do
    for f in models/*_x$s.onnx; do
        row "$f" "$s" "\`$(basename "$f")\`"
    done
    row "bicubic:$s" "$s" "bicubic"
    for f in models/init/*_x$s.onnx; do
        row "$f" "$s" "\`init/$(basename "$f")\` (untrained)"
    done
done
if [[ $# -eq 0 ]]; then
    echo
    rgb_table
fi
