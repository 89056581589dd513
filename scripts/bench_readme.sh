#!/usr/bin/env bash
# Regenerates README.md's benchmark block (between "<!-- bench:begin -->" and "<!-- bench:end -->" in
# "Performance") from `rtup bench --json`: FSRCNN x2 (the authors' weights), the bundled luma subpixel_x2 and the
# default subpixel_rgb_x2 (three channels in and out), and
# waifu2x upconv_7 photo x2 (converted from ../shared/peers by benchmarks/waifu2x_to_onnx.py), all at 960x540 (where a
# tensor of the whole input exceeds one storage-buffer binding, as upconv_7's 256-channel ones do on lavapipe's 128 MiB,
# `rtup bench` runs the GPU in bands and sums them), against ONNX Runtime's CPU provider in the same run, with per-pass GPU time and GMAC/s, pipeline setup and
# first-run compile time, and the peak device memory of a 1920x1080 -> 3840x2160 upscale; device, driver and date
# come from the run. Benchmarks take the build lock, so nothing else builds or tests on the machine meanwhile.
#   scripts/bench_readme.sh            run the benchmarks (RUNS timed runs, default 15; UPCONV_RUNS, 3, for upconv_7), then render
#   scripts/bench_readme.sh DIR        render from DIR/*.json of an earlier run (e.g. scripts/device_check.sh's $OUT)
set -euo pipefail
cd "$(dirname "$0")/.."
if [ $# -ge 1 ]; then
  dir=$1
else
  dir=$(mktemp -d)
  runs=${RUNS:-15}
  /usr/bin/python3 benchmarks/waifu2x_to_onnx.py ../shared/peers/waifu2x/models/models-upconv_7_photo/scale2.0x_model "$dir/upconv7_photo_x2.onnx"
  flock /tmp/rtup-build.lock ./rtup --help > /dev/null # builds when needed
  flock /tmp/rtup-build.lock ./rtup bench --model ../shared/reference/fsrcnn-official/FSRCNN_x2.onnx --size 960x540 --runs "$runs" --json > "$dir/bench_fsrcnn_x2.json"
  flock /tmp/rtup-build.lock ./rtup bench --model subpixel_x2 --size 960x540 --runs "$runs" --json > "$dir/bench_subpixel_x2.json"
  flock /tmp/rtup-build.lock ./rtup bench --model subpixel_rgb_x2 --size 960x540 --runs "$runs" --json > "$dir/bench_subpixel_rgb_x2.json"
  flock /tmp/rtup-build.lock ./rtup bench --model "$dir/upconv7_photo_x2.onnx" --size "${UPCONV_SIZE:-960x540}" --runs "${UPCONV_RUNS:-3}" --memory-size none --json > "$dir/bench_upconv7_x2.json"
fi
driver=$(dpkg-query -W -f='Mesa ${Version}' mesa-vulkan-drivers 2>/dev/null || true)
/usr/bin/python3 - "$dir" "$driver" <<'PY'
import glob, json, os, re, sys
folder, mesa = sys.argv[1], sys.argv[2]
runs = [json.load(open(p)) for p in sorted(glob.glob(os.path.join(folder, "bench_*.json")))]
if not runs:
    sys.exit(f"no bench_*.json in {folder}")
r0 = runs[0]
driver = mesa if r0["device_type"] == "Cpu" and mesa else f'driver {r0["driver_version"]}'
lines = [
    f'Measured {r0["date"]} on {r0["device"]} ({r0["device_type"]}, Vulkan {r0["api_version"]}, {driver}; host '
    f'{r0.get("host_cpu", "not recorded")}) by '
    f'`scripts/bench_readme.sh`: `rtup bench --json`, median of the timed runs after 3 warm-up runs, ONNX Runtime '
    f'1.31\'s CPU provider on the same machine in the same run. GMAC counts the direct convolution\'s multiply-adds '
    f'whatever algorithm runs. Setup is building layers, pipelines and tensors; the first run includes the '
    f'driver\'s pipeline compilation; neither is in the per-frame figures. Peak memory: buffers and images live at '
    f'once during one 1920x1080 -> 3840x2160 upscale, from the allocator\'s statistics.',
    "",
    "| model, input | runs | GPU ms | ONNX Runtime CPU ms | ratio | GMAC | GMAC/s | setup / first run ms | peak memory |",
    "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
]
def label(r):
    return os.path.basename(r["model"]).removesuffix(".onnx") + (" (Winograd)" if r.get("winograd_layers", 0) else "") + \
        {"fp16": " (fp16 tensors)", "fp16-arithmetic": " (fp16 tensors and multiply-adds)"}.get(r.get("precision"), "") + \
        "".join(f" ({u} unfused)" for u in r.get("unfused") or []) + \
        (f' (GPU in {r["bands"]} bands of {r["band_height"]} rows)' if r.get("bands", 1) > 1 else "") + \
        (f' ({r["conv_pixels"]} pixels per invocation)' if r.get("conv_pixels") else "") + \
        (f' (blocks of up to {r["conv_block"]} channels)' if r.get("conv_block") else "")
for r in runs:
    name = label(r)
    m = r.get("memory")
    mem = f'{m["peak_bytes_allocated"] / 2**20:.0f} MiB' if m else "-"
    lines.append(f'| {name}, {r["width"]}x{r["height"]} | {r["runs"]} | {r["gpu_ms"]:.1f} | {r["onnxruntime_cpu_ms"]:.1f} | '
                 f'{r["ratio"]:.2f}x | {r["gmac"]:.2f} | {r["gmac_per_s"]:.1f} | {r["pipeline_setup_ms"]:.0f} / '
                 f'{r["first_run_ms"]:.0f} | {mem} |')
lines.append("")
for r in runs:
    name = label(r)
    passes = ", ".join(f'{l["name"]} {l["gpu_ms"]:.1f} ms' + (f' ({l["gmac_per_s"]:.1f} GMAC/s)' if l["gmac"] > 0 else "")
                       for l in r["layers"])
    lines.append(f"- {name}: {passes}.")
block = "\n".join(lines)
text = open("README.md").read()
new, n = re.subn(r"(<!-- bench:begin -->\n)(?:.*?\n)?(<!-- bench:end -->)", lambda m: m.group(1) + block + "\n" + m.group(2), text, flags=re.S)
if n != 1:
    sys.exit("README.md has no <!-- bench:begin --> ... <!-- bench:end --> block")
open("README.md", "w").write(new)
print(block)
PY
