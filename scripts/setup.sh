#!/usr/bin/env bash
# Installs what building and running RealtimeUpscale needs on Debian or Ubuntu, when it is missing:
# the .NET SDK is assumed (https://dot.net); this adds the Vulkan loader, Mesa's lavapipe CPU driver
# (a conformant Vulkan device for machines without a GPU), the Khronos validation layer, glslc and GLFW
# (the demo window), and the Vulkan headers (libvulkan-dev) that C hosts of the native library compile against.
# Extra package names given as arguments are installed too (scripts/test.sh adds PyTorch for the
# training smoke test).
# Elsewhere, or without root, it prints what to install and exits non-zero.
set -euo pipefail

packages=(libvulkan1 libvulkan-dev mesa-vulkan-drivers vulkan-validationlayers glslc libglfw3)
for extra in "$@"; do packages+=("$extra"); done

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if ! command -v dotnet >/dev/null 2>&1; then
  echo "setup: the .NET SDK 10 is required (dotnet is not on PATH); see https://dot.net" >&2
  exit 1
fi

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
  echo "setup: not a Debian-based system; install the equivalents of: ${missing[*]}" >&2
  echo "       (a Vulkan 1.1+ loader and driver, the Khronos validation layer, and glslc from shaderc)" >&2
  exit 1
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then
    sudo="sudo"
  else
    echo "setup: missing packages and not root: apt-get install ${missing[*]}" >&2
    exit 1
  fi
fi

echo "setup: installing ${missing[*]}"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
