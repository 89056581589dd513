#!/usr/bin/env bash
# The long runs toward issue 13's targets: the three luma x2 families, the RGB x2 engine model and the x2
# teacher, in the background at the lowest priority, one thread each. Each starts, or resumes where it stopped:
# from training/runs/{run}/last.pt on this machine, else from the committed compact checkpoint
# training/checkpoints/{run}.pt (see training/README.md, "Long runs"). Output goes to training/runs/{run}.out;
# the record of each run (curve, sessions, wall time) to training/checkpoints/{run}.json.
#
#   training/long_runs.sh            # all five
#   training/long_runs.sh RUN...     # some: subpixel_y_x2 deconv_y_x2 resizeconv_y_x2 subpixel_rgb_x2 teacher_y_x2
#
# Stop one with `kill PID` (SIGTERM: it writes its checkpoints and exits; the PIDs are printed and kept in
# training/runs/{run}.pid). The budget is each run's own wall clock summed over sessions; the cosine schedule
# and the switch to MSE (--l2-after) follow it, so a run resumed in later sessions goes on where it was.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p training/runs
declare -A args=(
    [subpixel_y_x2]="--family subpixel --scale 2"
    [deconv_y_x2]="--family deconv --scale 2"
    [resizeconv_y_x2]="--family resizeconv --scale 2"
    [subpixel_rgb_x2]="--family subpixel --scale 2 --color rgb"
    # The teacher: the same network twice as wide, with six SESR linear blocks of expansion 32 (about 57 k
    # multiply-adds per pixel; 66 k trained parameters keep its compact checkpoint under 400 KB),
    # trained once; the luma students take it up later with --teacher training/checkpoints/teacher_y_x2.pt.
    [teacher_y_x2]="--family subpixel --scale 2 --features 32 -m 6 --block linear --expansion 32 --out training/runs/teacher_y_x2 --checkpoint training/checkpoints/teacher_y_x2.pt"
)
common="--budget-minutes 600 --threads 1 --val-every 500 --patience 60 --l2-after 0.85"
runs=("$@")
[[ ${#runs[@]} -gt 0 ]] || runs=(subpixel_y_x2 deconv_y_x2 resizeconv_y_x2 subpixel_rgb_x2 teacher_y_x2)
for run in "${runs[@]}"; do
    [[ -n ${args[$run]:-} ]] || { echo "unknown run $run" >&2; exit 2; }
    if [[ -e training/runs/$run.pid ]] && kill -0 "$(cat "training/runs/$run.pid")" 2>/dev/null; then
        echo "$run: already running (pid $(cat "training/runs/$run.pid"))"
        continue
    fi
    resume=""
    if [[ -e training/runs/$run/last.pt || -e training/checkpoints/$run.pt ]]; then resume="--resume"; fi
    # shellcheck disable=SC2086 # the argument strings are meant to split
    nohup nice -n 19 /usr/bin/python3 training/train.py ${args[$run]} $common $resume >> "training/runs/$run.out" 2>&1 &
    echo $! > "training/runs/$run.pid"
    echo "$run: pid $! ${resume:-(new)}"
done
