#!/usr/bin/env bash
# Sets up what is missing (scripts/setup.sh), builds, and runs every test on the chosen Vulkan device
# (lavapipe on a machine without a GPU) with the validation layer on.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
dotnet build RealtimeUpscale.sln -c Release -nologo -v q
dotnet test RealtimeUpscale.sln -c Release --no-build -nologo --logger "console;verbosity=normal" "$@"
