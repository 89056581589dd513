#!/usr/bin/env bash
# Float16 tensors (fp16) and float16 multiply-adds (fp16-arithmetic) against float32: PSNR and SSIM on Y of Set5 and
# Set14 by ../shared/EVAL.md (`rtup eval --precision`), for the FSRCNN authors' weights and every bundled model (the RGB
# default also on its RGB output), and GPU time (`rtup bench --precision`, FSRCNN x2 and the default at 960x540, every
# precision in one session). Prints Markdown tables of the differences. Resumable: each run's JSON is kept in DIR (default benchmarks/precision) and not run again.
#   scripts/measure_precision.sh [DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${1:-benchmarks/precision}
mkdir -p "$dir"
flock /tmp/rtup-build.lock ./rtup --help > /dev/null # builds when needed
fsrcnn=../shared/reference/fsrcnn-official
run() { # NAME ARGS... : one rtup run into $dir/NAME.json unless it is there
  local name=$1; shift
  if [ ! -s "$dir/$name.json" ]; then
    flock /tmp/rtup-build.lock ./rtup "$@" --json > "$dir/$name.json.tmp"
    mv "$dir/$name.json.tmp" "$dir/$name.json"
  fi
}
for p in fp32 fp16 fp16-arithmetic; do
  for set in Set5 Set14; do
    for s in 2 3 4; do
      run "eval_FSRCNN_x${s}_${set}_$p" eval "../shared/datasets/$set" --model "$fsrcnn/FSRCNN_x$s.onnx" --scale "$s" --precision "$p"
      for family in subpixel deconv resizeconv; do
        run "eval_${family}_x${s}_${set}_$p" eval "../shared/datasets/$set" --model "${family}_x$s" --scale "$s" --precision "$p"
      done
    done
    run "eval_subpixel_rgb_x2_${set}_$p" eval "../shared/datasets/$set" --model subpixel_rgb_x2 --scale 2 --rgb --precision "$p"
  done
done
for p in fp32 fp16 fp16-arithmetic; do
  run "bench_FSRCNN_x2_$p" bench --model "$fsrcnn/FSRCNN_x2.onnx" --size 960x540 --runs "${RUNS:-9}" --memory-size 1920x1080 --precision "$p"
  run "bench_subpixel_rgb_x2_$p" bench --model subpixel_rgb_x2 --size 960x540 --runs "${RUNS:-9}" --memory-size 1920x1080 --precision "$p"
done
/usr/bin/python3 - "$dir" <<'PY'
import json, os, sys
d = sys.argv[1]
load = lambda n: json.load(open(os.path.join(d, n + ".json")))
print("| model | set | PSNR Y fp32 | fp16: change | SSIM Y | RGB path | fp16-arithmetic: change | SSIM Y | RGB path |")
print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
models = [f"{f}_x{s}" for f in ("FSRCNN", "subpixel", "deconv", "resizeconv") for s in (2, 3, 4)] + ["subpixel_rgb_x2"]
for m in models:
    for st in ("Set5", "Set14"):
        a = load(f"eval_{m}_{st}_fp32")
        cells = [f"{a['psnr_y']:.4f}"]
        for p in ("fp16", "fp16-arithmetic"):
            b = load(f"eval_{m}_{st}_{p}")
            rgb = f'{b["rgb"]["psnr_rgb"] - a["rgb"]["psnr_rgb"]:+.4f} dB' if a.get("rgb") else ""
            cells += [f'{b["psnr_y"] - a["psnr_y"]:+.4f} dB', f'{b["ssim_y"] - a["ssim_y"]:+.5f}', rgb]
        print(f"| {m} | {st} | " + " | ".join(cells) + " |")
print()
print("| model at 960x540 | fp32 ms | fp16 ms | fp16-arithmetic ms | peak memory 1920x1080 -> 3840x2160: fp32 | fp16 |")
print("| --- | --- | --- | --- | --- | --- |")
for m in ("FSRCNN_x2", "subpixel_rgb_x2"):
    a, b, c = (load(f"bench_{m}_{p}") for p in ("fp32", "fp16", "fp16-arithmetic"))
    mem = lambda r: f'{r["memory"]["peak_bytes_allocated"] / 1048576:.1f} MiB' if r.get("memory") else "-"
    print(f'| {m} | {a["gpu_ms"]:.1f} | {b["gpu_ms"]:.1f} ({b["gpu_ms"] / a["gpu_ms"]:.2f}x) | {c["gpu_ms"]:.1f} '
          f'({c["gpu_ms"] / a["gpu_ms"]:.2f}x) | {mem(a)} | {mem(b)} |')
print()
print(f'Device: {load("bench_FSRCNN_x2_fp32")["device"]}, {load("bench_FSRCNN_x2_fp32")["date"]}.')
PY
