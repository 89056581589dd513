#!/usr/bin/env bash
# Builds the native library with NativeAOT: artifacts/native/<rid>/librealtimeupscale.so (linux-x64, the
# default here; on Windows `./scripts/native.sh win-x64` or `dotnet publish src/RealtimeUpscale.Native -r win-x64
# -c Release` gives realtimeupscale.dll), and copies include/realtimeupscale.h beside it.
# Publishing takes about a minute, so it is skipped when no source, shader, project file or the header changed
# since the last build (a hash of them is kept beside the library); --force publishes anyway.
set -euo pipefail
cd "$(dirname "$0")/.."
rid=linux-x64
force=0
for arg in "$@"; do
  case "$arg" in
    --force) force=1 ;;
    *) rid=$arg ;;
  esac
done
out=artifacts/native/$rid
# NativeAOT names the file after the assembly (realtimeupscale.so); Unix libraries get the lib prefix.
case "$rid" in
  win-*) built=realtimeupscale.dll lib=realtimeupscale.dll ;;
  osx-*) built=realtimeupscale.dylib lib=librealtimeupscale.dylib ;;
  *) built=realtimeupscale.so lib=librealtimeupscale.so ;;
esac
stamp=$out/.sources.sha256
hash=$(find src shaders build include Directory.Build.props global.json -type f \
         \( -name '*.cs' -o -name '*.csproj' -o -name '*.props' -o -name '*.targets' -o -name '*.comp' \
            -o -name '*.glsl' -o -name '*.h' -o -name '*.json' \) -not -path '*/bin/*' -not -path '*/obj/*' -print0 \
       | sort -z | xargs -0 sha256sum | sha256sum | cut -d' ' -f1)
if [ "$force" -eq 0 ] && [ -f "$out/$lib" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$hash" ]; then
  echo "native: $out/$lib is up to date"
  exit 0
fi
mkdir -p "$out"
rm -f "$stamp"
dotnet publish src/RealtimeUpscale.Native/RealtimeUpscale.Native.csproj -r "$rid" -c Release -nologo -v q \
  -o "artifacts/native/obj/$rid"
cp "artifacts/native/obj/$rid/$built" "$out/$lib"
cp include/realtimeupscale.h "$out/realtimeupscale.h"
echo "$hash" > "$stamp"
echo "native: built $out/$lib"
