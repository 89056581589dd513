#!/usr/bin/env bash
# Measures the application figures the README quotes, on this machine's Vulkan device:
#  - the live demo's frame rate for each view: 1280x720 window under Xvfb, 300 frames, automatic resolution,
#    median frame time over the run (./rtup demo --json);
#  - batch throughput of rtup upscale: a folder of four 1024x768 RGB PNGs (BSD100 photographs resized with
#    PIL's bicubic filter, made here) upscaled x2 with the bundled subpixel_x2 model.
# Prints one line per figure and leaves the JSON it read in $out (default: a temporary folder).
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-$(mktemp -d)}"
mkdir -p "$out"
./rtup devices > /dev/null   # builds the tool once, outside the timings

display=":97"
Xvfb "$display" -screen 0 1920x1080x24 -nolisten tcp > /dev/null 2>&1 &
xvfb=$!
trap 'kill "$xvfb" 2> /dev/null || true' EXIT
sleep 1
for view in 1 2 3; do
  DISPLAY="$display" ./rtup demo --view "$view" --size 1280x720 --frames 300 --json > "$out/demo_view$view.json"
  /usr/bin/python3 - "$out/demo_view$view.json" "$view" <<'EOF'
import json, sys
s = json.load(open(sys.argv[1]))
keys = {k: v for k, v in s.items() if not isinstance(v, (list, dict))}
print(f"demo view {sys.argv[2]}: " + ", ".join(f"{k}={v}" for k, v in keys.items()))
EOF
done

mkdir -p "$out/batch_in"
/usr/bin/python3 - "$out/batch_in" <<'EOF'
import sys, pathlib
from PIL import Image
src = sorted(pathlib.Path("../shared/datasets/BSD100").glob("*"))[:4]
for i, p in enumerate(src):
    Image.open(p).convert("RGB").resize((1024, 768), Image.BICUBIC).save(f"{sys.argv[1]}/photo{i}.png")
EOF
rm -rf "$out/batch_out"
start=$(date +%s.%N)
./rtup upscale "$out/batch_in" -o "$out/batch_out" --model subpixel_x2 --json > "$out/batch.json"
end=$(date +%s.%N)
/usr/bin/python3 - "$start" "$end" <<'EOF'
import sys
seconds = float(sys.argv[2]) - float(sys.argv[1])
print(f"batch: 4 images of 1024x768 at x2 in {seconds:.1f} s wall, {4 / seconds:.2f} images per second")
EOF
