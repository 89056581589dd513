#!/usr/bin/env bash
# Fuzzes the image loader and both model importers for longer than CI does: SECONDS per target (default 300),
# in rounds of at most 300 s, each round a new random sequence (RTUP_FUZZ_ROUND), so no case is tried twice.
# Resumable: the rounds done are recorded in the state folder (default artifacts/fuzz); run the same command
# again after an interruption and it goes on from the last complete round. --fresh clears the state first.
# The tests run from a copy of the build (so rebuilding the checkout meanwhile does not disturb a long run);
# --no-build takes the current build as it is. Cases that crash or hang, and the first cases refused only by a
# last-resort guard, are saved in the state folder's cases/. Prints one line per target summed over its rounds:
# cases tried, accepted, refused (by kind), crashes, hangs; exits non-zero if any crash or hang was found.
# Usage: scripts/fuzz.sh [--fresh] [--no-build] [SECONDS [TARGET...]]   TARGET: image, onnx, ncnn (default: all)
set -euo pipefail
cd "$(dirname "$0")/.."
fresh=0
build=1
while [ $# -gt 0 ]; do
  case "$1" in
    --fresh) fresh=1; shift ;;
    --no-build) build=0; shift ;;
    *) break ;;
  esac
done
seconds=${1:-300}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(image onnx ncnn)
state=${RTUP_FUZZ_STATE:-artifacts/fuzz}
mkdir -p "$state"
# Absolute: the tests run in their own folder.
state=$(cd "$state" && pwd)
[ $fresh -eq 0 ] || rm -rf "${state:?}"/*
mkdir -p "$state/cases"
results="$state/results.jsonl"
touch "$results"

if [ $build -eq 1 ]; then
  dotnet build tests/RealtimeUpscale.Tests -c Release -nologo -v q
fi
# The copy stays inside the checkout: the tests find the repository (the corpus) above their folder.
snapshot=$(mktemp -d "$PWD/artifacts/fuzz-bin.XXXXXX")
trap 'rm -rf "$snapshot"' EXIT
cp -a tests/RealtimeUpscale.Tests/bin/Release/net10.0/. "$snapshot/"
commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)

test_name() {
  case "$1" in
    image) echo TheImageLoaderNeverCrashesOrHangs ;;
    onnx) echo TheOnnxImporterNeverCrashesOrHangs ;;
    ncnn) echo TheNcnnImporterNeverCrashesOrHangs ;;
    *) echo "fuzz: unknown target '$1' (image, onnx, ncnn)" >&2; exit 2 ;;
  esac
}

# Seconds and rounds already recorded for a target, from the results file.
recorded() {
  python3 - "$results" "$1" <<'EOF'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
rows = [r for r in rows if r["target_key"] == sys.argv[2]]
print(int(sum(r["seconds"] for r in rows)), max([r["round"] for r in rows], default=0))
EOF
}

status=0
for target in "${targets[@]}"; do
  name=$(test_name "$target")
  while :; do
    read -r done_s last_round < <(recorded "$target")
    left=$((seconds - done_s))
    [ $left -gt 0 ] || break
    round=$((last_round + 1))
    chunk=$((left < 300 ? left : 300))
    report=$(mktemp)
    set +e
    RTUP_FUZZ_SECONDS=$chunk RTUP_FUZZ_ROUND=$round RTUP_FUZZ_REPORT=$report RTUP_FUZZ_CASES="$state/cases" \
      dotnet test "$snapshot/RealtimeUpscale.Tests.dll" --filter "FullyQualifiedName~FuzzTests.$name" >"$state/last-$target.log" 2>&1
    rc=$?
    set -e
    if [ ! -s "$report" ]; then
      echo "fuzz: $target round $round ended without a report (exit $rc); see $state/last-$target.log" >&2
      rm -f "$report"
      exit 1
    fi
    python3 - "$report" "$target" "$commit" >>"$results" <<'EOF'
import json, sys
for line in open(sys.argv[1]):
    row = json.loads(line)
    row["target_key"], row["commit"] = sys.argv[2], sys.argv[3]
    print(json.dumps(row))
EOF
    rm -f "$report"
    [ $rc -eq 0 ] || status=1
  done
done

python3 - "$results" <<'EOF'
import json, sys, collections
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
for key in dict.fromkeys(r["target_key"] for r in rows):
    rs = [r for r in rows if r["target_key"] == key]
    total = lambda f: sum(r[f] for r in rs)
    kinds = collections.Counter()
    for r in rs:
        kinds.update(r["kinds"])
    commits = ",".join(dict.fromkeys(r["commit"] for r in rs))
    print(f'{rs[0]["target"]}: {len(rs)} rounds, {total("seconds"):.0f} s (at {commits}): {total("cases")} cases, '
          f'{total("accepted")} accepted, {total("refused")} refused with the handled error, '
          f'{total("crashes")} crashes, {total("hangs")} hangs')
    for kind, n in kinds.most_common():
        print(f'    {n:>9} refused: {kind}')
    for r in rs:
        for m in r.get("failures", []):
            print(f'    round {r["round"]}: {m.splitlines()[0]}')
EOF
exit "$status"
