#!/usr/bin/env bash
# Draws docs/sample_before_after.png: the sample picture enlarged by nearest neighbour (left) beside the
# bundled default model's x2 (right), both made by ./rtup. Needs Debian's /usr/bin/python3 (PIL).
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
./rtup upscale samples/sample.png -o "$work/model.png"
/usr/bin/python3 - "$work/model.png" <<'PY'
import sys
from PIL import Image
source = Image.open("samples/sample.png").convert("RGB")
model = Image.open(sys.argv[1]).convert("RGB")
nearest = source.resize(model.size, Image.NEAREST)
out = Image.new("RGB", (model.width * 2 + 8, model.height), (255, 255, 255))
out.paste(nearest, (0, 0))
out.paste(model, (model.width + 8, 0))
out.save("docs/sample_before_after.png", optimize=True)
PY
echo "docs/sample_before_after.png"
