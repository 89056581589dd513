#!/usr/bin/env bash
# The GPU checks of README "Performance", sized for a short loan of a machine with a real GPU (two commands of a
# few minutes): that machine starts bare (no .NET, no Vulkan loader) and sees only the repository, so everything
# it needs is prepared here, in .device/ (git-ignored), and carried there. What travels with the working tree (about
# 17 MB) must stay within 64 MiB, so the tests and the benchmarks are two commands that each carry their own part:
#
#   scripts/device_check.sh prepare   here: .device/gl, the Vulkan loader and validation layer (Debian's libvulkan1
#                                     and vulkan-validationlayers, unpacked there); .device/tests, the test project
#                                     published framework-dependent with the .NET runtime it runs on and xUnit's
#                                     console runner (that machine has no SDK); .device/bench, a self-contained,
#                                     trimmed rtup (linux-x64, ONNX Runtime included), the models, Set5 and Set14,
#                                     waifu2x upconv_7 as ONNX, the tools of Speed against the tools and a photograph
#   scripts/device_check.sh tests     there (carry .device/tests and .device/gl): the Vulkan tests of the kernels and
#                                     the runtime on the GPU, each against its CPU reference with the validation layer
#                                     on: the test classes that need no data beside the checkout (TEST_CLASSES)
#   scripts/device_check.sh run       there (carry .device/bench and .device/gl): the loader, then
#     - rtup devices
#     - correctness on the GPU: FSRCNN x2/x3/x4 on Set5 and x2 on Set14 against the paper's table (within
#       0.03 dB, as PaperTableTests); waifu2x upconv_7 on Set5 by Winograd F(4x4, 3x3) and directly (within 0.01 dB)
#     - float16 tensors (and float16 multiply-adds) on the GPU: FSRCNN x2 on Set5 and Set14, the PSNR change against
#       float32
#     - rtup bench --json: FSRCNN x2 and the bundled deconv_x2 at 960x540 (-> 1920x1080), 200 runs, and FSRCNN x2
#       with its expanding 1x1 unfused, and with 1, 2, 4 and 8 pixels per invocation in blocks of 4 and 12 channels
#       (50 runs each); waifu2x upconv_7 at 960x540, direct and with its 3x3 layers of 32 or more
#       input channels by Winograd F(4x4, 3x3) (off by default on GPUs); each also on float16 tensors and with float16
#       multiply-adds; each with ONNX Runtime's CPU time and the peak device memory of a 1920x1080 -> 3840x2160 upscale
#     - the tools side by side (scripts/bench_peers.sh, as "peers" below)
#     writing every result to $OUT (or .device/out) and a summary to stdout. Exit status 1 if a check failed.
#   scripts/device_check.sh peers     there, alone (carry .device/bench and .device/gl): waifu2x-ncnn-vulkan (upconv_7
#                                     photo) and realcugan-ncnn-vulkan (se x2) against rtup on the same GPU and
#                                     photograph, 960x540 and 1920x1080 (PEER_SIZES, PEER_RUNS: median of 3 after a
#                                     warm-up run), the README's table of Speed against the tools; the tools' libraries
#                                     are unpacked under /tmp, not /
# All three also work here on lavapipe (RTUP_DEVICE picks a device; RUNS sets the timed runs; PEER_DEVICE the tools'
# -g); there upconv_7's benches at 960x540 run in bands (its 256-channel tensors exceed lavapipe's 128 MiB binding),
# each a long run at 200 runs.
set -uo pipefail
cd "$(dirname "$0")/.."
dev=.device
case "${1:-}" in
prepare)
  set -e
  grep -qx '/.device/' .git/info/exclude 2>/dev/null || echo '/.device/' >> "$(git rev-parse --git-common-dir)/info/exclude"
  rm -rf "$dev" && mkdir -p "$dev/gl" "$dev/tests" "$dev/bench/data" "$dev/bench/peerlibs"
  o='-oAPT::Architecture=amd64 -oAPT::Architectures=amd64 -oDir::State::Lists=/tmp/amd64'
  mkdir -p /tmp/amd64/partial
  apt-get $o update -qq
  (cd "$dev/gl" && apt-get $o download libvulkan1 vulkan-validationlayers >/dev/null)
  # The tests: the test project, framework-dependent, and the .NET runtime it was built for.
  dotnet publish tests/RealtimeUpscale.Tests/RealtimeUpscale.Tests.csproj -c Release -r linux-x64 --self-contained false \
    -o "$dev/tests/app" -nologo -v q
  # What does not travel: symbols and XML docs, ONNX Runtime (no test class run there uses it), the test platform's own
  # runner and code coverage (the console runner below takes their place) and the satellite resources.
  a=$dev/tests/app
  rm -f "$a"/*.pdb "$a"/*.xml "$a"/onnxruntime*.dll "$a"/libonnxruntime*.so "$a"/testhost.dll "$a"/Microsoft.CodeCoverage.* \
    "$a"/Microsoft.TestPlatform.* "$a"/Microsoft.VisualStudio.* "$a"/Mono.Cecil*.dll "$a"/Microsoft.DiaSymReader.dll \
    "$a"/xunit.runner.visualstudio.*
  rm -rf "$a"/{CodeCoverage,alpine,macos,ubuntu,x64,x86,arm64} "$a"/{cs,de,es,fr,it,ja,ko,pl,pt-BR,ru,tr,zh-Hans,zh-Hant}
  # xUnit's console runner (the machine has no SDK for `dotnet test`), from the NuGet cache, beside the tests: they find
  # their files (Golden/, Models/) in the running app's folder.
  mkdir -p /tmp/rtup-runner && cat > /tmp/rtup-runner/runner.csproj <<'XML'
<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup><TargetFramework>net10.0</TargetFramework></PropertyGroup>
  <ItemGroup><PackageDownload Include="xunit.runner.console" Version="[2.4.1]" /></ItemGroup>
</Project>
XML
  dotnet restore /tmp/rtup-runner/runner.csproj -nologo -v q
  packages=$(dotnet nuget locals global-packages -l | sed 's/^global-packages: //')
  cp "$packages"/xunit.runner.console/2.4.1/tools/netcoreapp2.0/* "$a/"
  tar -C "$dev/tests" -cf - app | xz -T0 -6 > "$dev/tests/app.tar.xz"
  rm -rf "$a"
  root=$(dirname "$(readlink -f "$(command -v dotnet)")")
  framework=$(dotnet --list-runtimes | awk '$1 == "Microsoft.NETCore.App" && $2 ~ /^10\./ { v = $2 } END { print v }')
  tar -C "$root" -cf - dotnet host/fxr "shared/Microsoft.NETCore.App/$framework" | xz -T0 -6 > "$dev/tests/dotnet.tar.xz"
  # The benchmarks: rtup trimmed (the framework's unused code left out; the project's assemblies whole, JSON by reflection
  # as in the ordinary build) so that it travels with the rest: 19 MB compressed against 38.
  b=$dev/bench
  dotnet publish src/RealtimeUpscale.Cli/RealtimeUpscale.Cli.csproj -c Release -r linux-x64 --self-contained \
    -p:PublishTrimmed=true -p:TrimMode=partial -p:SuppressTrimAnalysisWarnings=true \
    -p:JsonSerializerIsReflectionEnabledByDefault=true -p:TreatWarningsAsErrors=false -o "$b/publish" -nologo -v q
  # The Windows copy of ONNX Runtime, symbols and XML docs do not travel.
  rm -f "$b"/publish/onnxruntime.dll "$b"/publish/*.pdb "$b"/publish/*.xml
  tar -C "$b" -cf - publish | xz -T0 -6 > "$b/rtup.tar.xz"
  rm -rf "$b/publish"
  cp ../shared/reference/fsrcnn-official/FSRCNN_x[234].onnx "$b/data/"
  cp ../shared/peers/waifu2x/models/models-upconv_7_photo/scale2.0x_model.param "$b/data/upconv7_photo_x2.param"
  cp ../shared/peers/waifu2x/models/models-upconv_7_photo/scale2.0x_model.bin "$b/data/upconv7_photo_x2.bin"
  cp -r ../shared/datasets/Set5 ../shared/datasets/Set14 "$b/data/"
  /usr/bin/python3 benchmarks/waifu2x_to_onnx.py ../shared/peers/waifu2x/models/models-upconv_7_photo/scale2.0x_model "$b/data/upconv7_photo_x2.onnx"
  # The tools, the two models of the side-by-side table (laid out as ../shared/peers) and the photograph.
  peers=$b/peers
  mkdir -p "$peers/bin" "$peers/waifu2x/models/models-upconv_7_photo" "$peers/realcugan/models/models-se"
  cp ../shared/peers/bin/waifu2x-ncnn-vulkan ../shared/peers/bin/realcugan-ncnn-vulkan "$peers/bin/"
  cp ../shared/peers/waifu2x/models/models-upconv_7_photo/scale2.0x_model.* "$peers/waifu2x/models/models-upconv_7_photo/"
  cp ../shared/peers/realcugan/models/models-se/up2x-no-denoise.* "$peers/realcugan/models/models-se/"
  cp ../shared/datasets/BSD100/102061.bmp "$b/data/"
  tar -C "$b" -cf - peers | xz -T0 -6 > "$b/peers.tar.xz"
  rm -rf "$peers"
  # What the tools link beyond the C and C++ runtimes (../shared/peers/bin/README.md).
  (cd "$b/peerlibs" && apt-get $o download libwebp7 libgomp1 libpng16-16 libjpeg62-turbo >/dev/null)
  tree=$(git ls-files -z | xargs -0 du -cb | tail -1 | cut -f1)
  for part in tests bench; do
    size=$(du -sb "$dev/$part" "$dev/gl" | awk '{ s += $1 } END { print s }')
    echo "$part: $(( size / 1048576 )) MiB with the loader, $(( (size + tree) / 1048576 )) MiB with the working tree (limit 64)"
  done
  ;;
tests|run|peers)
  out="${OUT:-$dev/out}"
  mkdir -p "$out" /tmp/rtup
  if ! ldconfig -p 2>/dev/null | grep -q libvulkan.so.1; then
    dpkg -x "$dev"/gl/libvulkan1_*.deb /
    ldconfig
  fi
  nv=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
  [ -f "$nv" ] && [ -z "${VK_DRIVER_FILES:-}" ] && export VK_DRIVER_FILES=$nv
  if [ "$1" = tests ]; then
    # The tests run with the validation layer on.
    if [ ! -f /usr/share/vulkan/explicit_layer.d/VkLayer_khronos_validation.json ]; then
      dpkg -x "$dev"/gl/vulkan-validationlayers_*.deb /
      ldconfig
    fi
    # The app is unpacked inside the checkout (the tests find the repository above their own folder) and removed after.
    trap 'rm -rf "$dev/tests/app"' EXIT
    tar -C /tmp/rtup -xJf "$dev/tests/dotnet.tar.xz" && tar -C "$dev/tests" -xJf "$dev/tests/app.tar.xz" || { echo "unpacking FAILED"; exit 1; }
    app=$(cd "$dev/tests/app" && pwd)
    TEST_CLASSES=${TEST_CLASSES:-"LayerTests KernelTuningTests ChannelScaledConvTests ConvPointwiseTests PointwiseConvTests
      ResidualConvTests WinogradTests GoldenTests RuntimeTests RuntimeOwnershipTests BorrowedContextTests DeconvLoweringTests
      OdenaTests UpscalingGraphTests KernelDescriptorTests Ncnn.NcnnLayerGoldenTests"}
    classes=()
    for c in $TEST_CLASSES; do classes+=(-class "RealtimeUpscale.Tests.$c"); done
    # xUnit's console runner was built for an older .NET: it rolls forward to the carried one, and runs without ICU (as
    # the project's own programs do).
    if DOTNET_ROOT=/tmp/rtup DOTNET_ROLL_FORWARD=Major DOTNET_SYSTEM_GLOBALIZATION_INVARIANT=1 /tmp/rtup/dotnet \
        "$app/xunit.console.dll" "$app/RealtimeUpscale.Tests.dll" "${classes[@]}" -nocolor -xml "$out/tests.xml" > "$out/tests.txt" 2>&1; then
      grep -E 'Total:' "$out/tests.txt"
    else
      grep -E '\[FAIL\]|Total:' "$out/tests.txt" | head -40; tail -30 "$out/tests.txt"; echo "tests FAILED"; exit 1
    fi
    exit 0
  fi
  tar -C /tmp/rtup -xJf "$dev/bench/rtup.tar.xz" || { echo "unpacking FAILED"; exit 1; }
  data=$dev/bench/data
  rtup=/tmp/rtup/publish/rtup
  runs="${RUNS:-200}"
  failed=0
  peers() {
    mkdir -p /tmp/rtup-peers/lib
    tar -C /tmp/rtup-peers -xJf "$dev/bench/peers.tar.xz"
    for f in "$dev"/bench/peerlibs/*.deb; do dpkg -x "$f" /tmp/rtup-peers/lib; done
    local libs
    libs=$(find /tmp/rtup-peers/lib -name '*.so*' -printf '%h\n' | sort -u | paste -sd:)
    local python
    for python in python3 /usr/bin/python3; do "$python" -c 'import PIL' 2>/dev/null && break; done # one with Pillow
    if LD_LIBRARY_PATH="$libs${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" RTUP_LOCK_HELD=1 RTUP="$rtup" PEERS=/tmp/rtup-peers/peers \
        PHOTO="$data/102061.bmp" PYTHON="$python" DEVICE="${PEER_DEVICE:-0}" SIZES="${PEER_SIZES:-960x540 1920x1080}" \
        RUNS="${PEER_RUNS:-3}" WARMUP=1 RESULTS="$out/peers_runs.txt" scripts/bench_peers.sh > "$out/peers.md"; then
      cat "$out/peers.md"
    else
      echo "peers FAILED"; failed=1
    fi
  }
  if [ "$1" = peers ]; then
    "$rtup" devices | tee "$out/devices.txt" || failed=1
    peers
    exit $failed
  fi
  "$rtup" devices | tee "$out/devices.txt" || failed=1
  # Correctness first: the paper's table on this device.
  for check in "Set5 2 37.00" "Set5 3 33.16" "Set5 4 30.71" "Set14 2 32.63"; do
    set -- $check
    psnr=$("$rtup" eval "$data/$1" --model "$data/FSRCNN_x$2.onnx" --scale "$2" --json | /usr/bin/env python3 -c 'import json,sys; print(json.load(sys.stdin)["psnr_y"])' 2>/dev/null || echo nan)
    ok=$(python3 -c "import math; p=float('$psnr'); print('ok' if not math.isnan(p) and abs(p-$3) <= 0.03 else 'FAILED')")
    echo "paper table $1 x$2: $psnr dB (paper $3) $ok" | tee -a "$out/paper_table.txt"
    [ "$ok" = ok ] || failed=1
  done
  # Winograd F(4x4, 3x3) on this device: waifu2x upconv_7 (its ncnn files) on Set5 with and without it must agree
  # within 0.01 dB (lavapipe: 37.10716 and 37.10715 dB).
  for w in on off; do
    "$rtup" eval "$data/Set5" --model "$data/upconv7_photo_x2.param" --scale 2 --winograd "$w" --json > "$out/eval_upconv7_x2_winograd_$w.json" || failed=1
  done
  python3 - "$out"/eval_upconv7_x2_winograd_{on,off}.json <<'PY' | tee -a "$out/winograd.txt" || failed=1
import json, sys
on, off = (json.load(open(p))["psnr_y"] for p in sys.argv[1:3])
ok = abs(on - off) <= 0.01
print(f'upconv_7 x2 Set5: Winograd {on:.5f} dB, direct {off:.5f} dB, {"ok" if ok else "FAILED"}')
sys.exit(0 if ok else 1)
PY
  # Float16 tensors: the PSNR change against float32 on this device (lavapipe: scripts/measure_precision.sh).
  for set in Set5 Set14; do
    for p in fp32 fp16 fp16-arithmetic; do
      "$rtup" eval "$data/$set" --model "$data/FSRCNN_x2.onnx" --scale 2 --precision "$p" --json > "$out/eval_fsrcnn_x2_${set}_$p.json" || failed=1
    done
    python3 - "$out"/eval_fsrcnn_x2_${set}_{fp32,fp16,fp16-arithmetic}.json <<'PY' | tee -a "$out/precision.txt" || failed=1
import json, sys
a, b, c = (json.load(open(p)) for p in sys.argv[1:4])
print(f'FSRCNN x2 {a["dataset"].rsplit("/", 1)[-1]}: fp32 {a["psnr_y"]:.4f} dB, fp16 {b["psnr_y"] - a["psnr_y"]:+.4f} dB, '
      f'fp16-arithmetic {c["psnr_y"] - a["psnr_y"]:+.4f} dB')
PY
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
  bench fsrcnn_x2 "$data/FSRCNN_x2.onnx" 960x540
  bench fsrcnn_x2_fp16 "$data/FSRCNN_x2.onnx" 960x540 --precision fp16
  bench fsrcnn_x2_fp16a "$data/FSRCNN_x2.onnx" 960x540 --precision fp16-arithmetic --memory-size none
  bench fsrcnn_x2_unfused "$data/FSRCNN_x2.onnx" 960x540 --unfused-expansions --memory-size none
  # Kernel shapes for this device: FSRCNN x2's direct convolutions at other pixel counts and channel blocks than the
  # device type's choice (rtup bench --conv-pixels, --conv-block), so that one loan says which to make the default.
  RUNS_SAVED=$runs; runs=$(( runs < 50 ? runs : 50 ))
  for px in 1 2 4 8; do
    for block in 4 12; do
      bench "fsrcnn_x2_px${px}_b${block}" "$data/FSRCNN_x2.onnx" 960x540 --conv-pixels "$px" --conv-block "$block" --memory-size none
    done
  done
  runs=$RUNS_SAVED
  bench deconv_x2 deconv_x2 960x540
  bench deconv_x2_fp16 deconv_x2 960x540 --precision fp16
  bench deconv_x2_fp16a deconv_x2 960x540 --precision fp16-arithmetic --memory-size none
  RUNS_SAVED=$runs; runs=$(( runs < 20 ? runs : 20 ))
  # (The ONNX export trims its borders, as waifu2x's network does, so it upscales no image by tiles: no peak memory.)
  bench upconv7_x2 "$data/upconv7_photo_x2.onnx" 960x540 --memory-size none
  bench upconv7_x2_fp16 "$data/upconv7_photo_x2.onnx" 960x540 --precision fp16 --memory-size none
  bench upconv7_x2_fp16a "$data/upconv7_photo_x2.onnx" 960x540 --precision fp16-arithmetic --memory-size none
  bench upconv7_x2_winograd "$data/upconv7_photo_x2.onnx" 960x540 --winograd on --memory-size none
  runs=$RUNS_SAVED
  peers
  exit $failed
  ;;
*)
  echo "usage: $0 prepare|tests|run|peers" >&2
  exit 2
  ;;
esac
