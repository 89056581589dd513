#!/usr/bin/env bash
# Sets up what is missing (scripts/setup.sh), builds, and runs every test on the chosen Vulkan device
# (lavapipe on a machine without a GPU) with the validation layer on.
set -euo pipefail
cd "$(dirname "$0")/.."
# The training smoke test runs the PyTorch trainer with Debian's python3-torch.
# The demo smoke test opens its window on an Xvfb display and presses keys through XTEST.
# The WebP writer's files are checked with libwebp's webpinfo (package webp).
./scripts/setup.sh python3-torch python3-onnx python3-numpy python3-scipy python3-pil xvfb libxtst6 webp
dotnet build RealtimeUpscale.sln -c Release -nologo -v q
log=$(mktemp)
trap 'rm -f "$log"' EXIT
set +e
dotnet test RealtimeUpscale.sln -c Release --no-build -nologo --logger "console;verbosity=normal" "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e
passed=$(awk '/^[[:space:]]+Passed: [0-9]+$/ {s += $2} END {print s + 0}' "$log")
failed=$(awk '/^[[:space:]]+Failed: [0-9]+$/ {s += $2} END {print s + 0}' "$log")
echo "$passed passed, $failed failed"
exit "$status"
