#!/usr/bin/env bash
# Fuzzes the image loader and the ONNX importer for longer than CI does: SECONDS per target (default 300).
# Prints one line per target: cases tried, accepted, refused with the handled error, crashes, hangs.
# Usage: scripts/fuzz.sh [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-300}
report=$(mktemp)
trap 'rm -f "$report"' EXIT
dotnet build tests/RealtimeUpscale.Tests -c Release -nologo -v q
set +e
RTUP_FUZZ_SECONDS=$seconds RTUP_FUZZ_REPORT=$report \
  dotnet test tests/RealtimeUpscale.Tests -c Release --no-build -nologo --filter "FullyQualifiedName~FuzzTests" >/dev/null
status=$?
set -e
cat "$report"
exit "$status"
