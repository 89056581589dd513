#!/usr/bin/env bash
# rtup against the tools the models come from, on the same device and the same images:
# waifu2x-ncnn-vulkan with upconv_7 photo (and, on request, cunet) and realcugan-ncnn-vulkan with Real-CUGAN se x2
# (no denoising), each on a real photograph (BSD100 102061, resized with Lanczos) at every size of SIZES. Whole-file wall time, from
# start to the written PNG, median of RUNS runs after WARMUP runs (which fill Mesa's shader cache and rtup's
# pipeline cache), and rtup's GPU time for the image (from `rtup upscale --json`). Every run holds
# /tmp/rtup-build.lock, so the machine is otherwise quiet and others are not disturbed.
#
#   SIZES="960x540 1920x1080" RUNS=3 WARMUP=1 MODELS="upconv7 realcugan2x" ./scripts/bench_peers.sh   # also: cunet
#   RTUP_LOCK_HELD=1 flock /tmp/rtup-build.lock ./scripts/bench_peers.sh   # the lock held once for the whole run
#
# The tools run as a user would run them: their default tile size for the model (-t 0: 200 for upconv_7 and 300
# for Real-CUGAN x2 on lavapipe; cunet's from the device's heap budget likewise) and Real-CUGAN's default sync-gap mode (-c 3), one image at a time (-j 1:1:1),
# LP_NUM_THREADS left at its default for both. rtup runs its default tiling (--tile auto); models with
# squeeze-excitation (Real-CUGAN, cunet) make one statistics pass over the tiles per block before the final pass, so that
# every tile uses the whole image's averages.
# Prints a Markdown table; pass RESULTS=FILE to keep the raw times.
# Elsewhere (scripts/device_check.sh on a GPU machine): RTUP (the rtup to run, default ./rtup, which builds it),
# PEERS (a folder laid out as ../shared/peers: bin/, waifu2x/models/, realcugan/models/), PHOTO (the photograph),
# PYTHON (a python3 with Pillow) and DEVICE (the tools' -g, default 0).
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$PWD
SHARED=$(cd .. && pwd)/shared
RTUP=${RTUP:-$REPO/rtup}
PEERS=${PEERS:-$SHARED/peers}
PHOTO=${PHOTO:-$SHARED/datasets/BSD100/102061.bmp}
PYTHON=${PYTHON:-/usr/bin/python3}
DEVICE=${DEVICE:-0}
BIN=$PEERS/bin
SIZES=${SIZES:-"960x540 1920x1080"}
MODELS=${MODELS:-"upconv7 realcugan2x"}
RUNS=${RUNS:-3}
WARMUP=${WARMUP:-1}
LOCK=/tmp/rtup-build.lock
WORK=$(mktemp -d /tmp/rtup-bench-peers.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
RESULTS=${RESULTS:-$WORK/results.txt}

median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2) }'; }

# Seconds of wall time of one command, run under the lock.
timed() {
    local start end
    start=$(date +%s.%N)
    if [ "${RTUP_LOCK_HELD:-0}" = 1 ]; then
        "$@" > "$WORK/last.log" 2>&1
    else
        flock "$LOCK" "$@" > "$WORK/last.log" 2>&1
    fi
    end=$(date +%s.%N)
    awk -v a="$start" -v b="$end" 'BEGIN { printf "%.6f\n", b - a }'
}

if [ "${RTUP_LOCK_HELD:-0}" = 1 ]; then "$RTUP" devices > /dev/null; else flock "$LOCK" "$RTUP" devices > /dev/null; fi # builds rtup first

echo "| model | input | tool wall s (median of $RUNS) | rtup wall s (median of $RUNS) | rtup GPU s | tool / rtup |"
echo "| --- | --- | --- | --- | --- | --- |"
for size in $SIZES; do
    w=${size%x*}; h=${size#*x}
    img=$WORK/photo_$size.png
    "$PYTHON" -c "
from PIL import Image
Image.open('$PHOTO').convert('RGB').resize(($w, $h), Image.LANCZOS).save('$img')"
    for model in $MODELS; do
        if [ "$model" = upconv7 ]; then
            label="waifu2x upconv_7 photo"
            param=$PEERS/waifu2x/models/models-upconv_7_photo/scale2.0x_model.param
            toolcmd=(./waifu2x-ncnn-vulkan -i "$img" -o "$WORK/tool.png" -m ../waifu2x/models/models-upconv_7_photo -s 2 -n -1 -j 1:1:1 -g "$DEVICE")
        elif [ "$model" = cunet ]; then
            label="waifu2x cunet"
            param=$PEERS/waifu2x/models/models-cunet/scale2.0x_model.param
            toolcmd=(./waifu2x-ncnn-vulkan -i "$img" -o "$WORK/tool.png" -m ../waifu2x/models/models-cunet -s 2 -n -1 -j 1:1:1 -g "$DEVICE")
        else
            label="Real-CUGAN se x2"
            param=$PEERS/realcugan/models/models-se/up2x-no-denoise.param
            toolcmd=(./realcugan-ncnn-vulkan -i "$img" -o "$WORK/tool.png" -m ../realcugan/models/models-se -s 2 -n 0 -c 3 -j 1:1:1 -g "$DEVICE")
        fi
        ourcmd=("$RTUP" upscale "$img" -o "$WORK/ours.png" --model "$param" --overwrite --json)
        tool_times=(); our_times=(); gpu_times=()
        for ((i = 0; i < WARMUP + RUNS; i++)); do
            t=$(cd "$BIN" && timed "${toolcmd[@]}")
            o=$(timed "${ourcmd[@]}")
            g=$(grep -o '"gpu_seconds": *[0-9.eE+-]*' "$WORK/last.log" | head -1 | sed 's/.*: *//')
            if ((i >= WARMUP)); then
                tool_times+=("$t"); our_times+=("$o"); gpu_times+=("$g")
                echo "$model $size run $i tool $t rtup $o gpu $g" >> "$RESULTS"
            fi
        done
        tm=$(printf '%s\n' "${tool_times[@]}" | median)
        om=$(printf '%s\n' "${our_times[@]}" | median)
        gm=$(printf '%s\n' "${gpu_times[@]}" | median)
        printf '| %s | %s | %.1f | %.1f | %.1f | %.2fx |\n' "$label" "$size" "$tm" "$om" "$gm" "$(awk -v a="$tm" -v b="$om" 'BEGIN { print a / b }')"
    done
done
