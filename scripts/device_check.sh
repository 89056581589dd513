#!/usr/bin/env bash
# The GPU checks of README "Performance", sized for a short loan of a machine with a real GPU (one command of
# a few minutes): that machine starts bare (no .NET, no Vulkan loader) and sees only the repository, so
# everything it needs is prepared here, in .device/ (git-ignored), and carried there.
#
#   scripts/device_check.sh prepare   here: a self-contained rtup (linux-x64, ONNX Runtime included), the
#                                     models, Set5 and Set14, waifu2x upconv_7 as ONNX, the Vulkan loader
#                                     (Debian's libvulkan1, unpacked there)
#   scripts/device_check.sh run       there (carry .device): the loader, then
#     - rtup devices
#     - correctness on the GPU: FSRCNN x2/x3/x4 on Set5 and x2 on Set14 against the paper's table (within
#       0.03 dB, as PaperTableTests)
#     - rtup bench --json: FSRCNN x2 and the bundled deconv_x2 at 960x540 (-> 1920x1080), direct and
#       Winograd, 200 runs; waifu2x upconv_7 at 960x540; each with ONNX Runtime's CPU time and the peak device
#       memory of a 1920x1080 -> 3840x2160 upscale
#     writing every result to $OUT (or .device/out) and a summary to stdout. Exit status 1 if a check failed.
# "run" also works here on lavapipe (RTUP_DEVICE picks a device; RUNS sets the timed runs).
set -uo pipefail
cd "$(dirname "$0")/.."
dev=.device
case "${1:-}" in
prepare)
  set -e
  grep -qx '/.device/' .git/info/exclude 2>/dev/null || echo '/.device/' >> "$(git rev-parse --git-common-dir)/info/exclude"
  rm -rf "$dev" && mkdir -p "$dev/data" "$dev/gl"
  dotnet publish src/RealtimeUpscale.Cli/RealtimeUpscale.Cli.csproj -c Release -r linux-x64 --self-contained \
    -o "$dev/publish" -nologo -v q
  # The Windows copy of ONNX Runtime, symbols and XML docs do not travel.
  rm -f "$dev"/publish/onnxruntime.dll "$dev"/publish/*.pdb "$dev"/publish/*.xml
  tar -C "$dev" -cf - publish | xz -T0 -6 > "$dev/rtup.tar.xz"
  rm -rf "$dev/publish"
  cp ../shared/reference/fsrcnn-official/FSRCNN_x[234].onnx "$dev/data/"
  cp -r ../shared/datasets/Set5 ../shared/datasets/Set14 "$dev/data/"
  /usr/bin/python3 benchmarks/waifu2x_to_onnx.py ../shared/peers/waifu2x/models/models-upconv_7_photo/scale2.0x_model "$dev/data/upconv7_photo_x2.onnx"
  o='-oAPT::Architecture=amd64 -oAPT::Architectures=amd64 -oDir::State::Lists=/tmp/amd64'
  mkdir -p /tmp/amd64/partial
  apt-get $o update -qq
  (cd "$dev/gl" && apt-get $o download libvulkan1 >/dev/null)
  du -sh "$dev"
  ;;
run)
  out="${OUT:-$dev/out}"
  mkdir -p "$out" /tmp/rtup && tar -C /tmp/rtup -xJf "$dev/rtup.tar.xz"
  if ! ldconfig -p 2>/dev/null | grep -q libvulkan.so.1; then
    for f in "$dev"/gl/*.deb; do dpkg -x "$f" /; done
    ldconfig
  fi
  nv=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
  [ -f "$nv" ] && [ -z "${VK_DRIVER_FILES:-}" ] && export VK_DRIVER_FILES=$nv
  rtup=/tmp/rtup/publish/rtup
  runs="${RUNS:-200}"
  failed=0
  "$rtup" devices | tee "$out/devices.txt" || failed=1
  # Correctness first: the paper's table on this device.
  for check in "Set5 2 37.00" "Set5 3 33.16" "Set5 4 30.71" "Set14 2 32.63"; do
    set -- $check
    psnr=$("$rtup" eval "$dev/data/$1" --model "$dev/data/FSRCNN_x$2.onnx" --scale "$2" --json | /usr/bin/env python3 -c 'import json,sys; print(json.load(sys.stdin)["psnr_y"])' 2>/dev/null || echo nan)
    ok=$(python3 -c "import math; p=float('$psnr'); print('ok' if not math.isnan(p) and abs(p-$3) <= 0.03 else 'FAILED')")
    echo "paper table $1 x$2: $psnr dB (paper $3) $ok" | tee -a "$out/paper_table.txt"
    [ "$ok" = ok ] || failed=1
  done
  bench() { # name model size extra-args...
    local name=$1 model=$2 size=$3; shift 3
    if "$rtup" bench --model "$model" --size "$size" --runs "$runs" --json "$@" > "$out/bench_$name.json"; then
      python3 - "$out/bench_$name.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
m = r.get("memory") or {}
print(f'{sys.argv[1]}: {r["device"]}: GPU {r["gpu_ms"]:.3f} ms ({r["gmac_per_s"]:.0f} GMAC/s), ONNX Runtime CPU '
      f'{r["onnxruntime_cpu_ms"]:.1f} ms, ratio {r["ratio"]:.3f}; setup {r["pipeline_setup_ms"]:.0f} ms, first run '
      f'{r["first_run_ms"]:.0f} ms; peak {m.get("peak_bytes_allocated", 0) / 2**20:.0f} MiB')
PY
    else
      echo "bench $name FAILED"; failed=1
    fi
  }
  bench fsrcnn_x2 "$dev/data/FSRCNN_x2.onnx" 960x540
  bench fsrcnn_x2_winograd "$dev/data/FSRCNN_x2.onnx" 960x540 --winograd --memory-size none
  bench deconv_x2 deconv_x2 960x540
  bench deconv_x2_winograd deconv_x2 960x540 --winograd --memory-size none
  RUNS_SAVED=$runs; runs=$(( runs < 20 ? runs : 20 ))
  bench upconv7_x2 "$dev/data/upconv7_photo_x2.onnx" 960x540
  bench upconv7_x2_winograd "$dev/data/upconv7_photo_x2.onnx" 960x540 --winograd --memory-size none
  runs=$RUNS_SAVED
  exit $failed
  ;;
*)
  echo "usage: $0 prepare|run" >&2
  exit 2
  ;;
esac
