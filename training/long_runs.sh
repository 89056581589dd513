#!/usr/bin/env bash
# The long runs toward the model card's targets: the three luma x2 families, the RGB x2 engine model, the x2
# teacher and the three families at x3 and x4, each warm-started from its family's x2 run, in the background at
# the lowest priority, one thread each.
#
#   training/long_runs.sh [RUN...]          # start, or resume where each stopped (default: all)
#   training/long_runs.sh collect [RUN...]  # copy the live compact checkpoints and records into
#                                           # training/checkpoints/, to commit them
#   runs: subpixel_y_x2 deconv_y_x2 resizeconv_y_x2 subpixel_rgb_x2 teacher_y_x2 subpixel_y_x3 subpixel_y_x4
#         deconv_y_x3 deconv_y_x4 resizeconv_y_x3 resizeconv_y_x4 subpixel_rgb_x2_lifted subpixel_rgb_x2_lifted_y
#
# A run lives in training/runs/{run}/ (ignored by git): last.pt, best.pt, log.txt, and its live compact
# checkpoint compact.pt and record compact.json, rewritten at every validation. The committed copies are
# training/checkpoints/{run}.pt and .json: `collect` refreshes them (the live files change while a run goes
# on, the committed ones only when collected, so a checkout stays clean for rebasing). A start resumes from
# last.pt when the run directory has one, else from the compact checkpoint, taken from
# training/checkpoints/ when the run directory has none (another session, another machine). Output goes to
# training/runs/{run}.out, the PID to training/runs/{run}.pid; `kill PID` (SIGTERM) writes the checkpoints and
# stops a run. The budget is each run's own wall clock summed over sessions; the cosine schedule and the switch
# to MSE (--l2-after) follow it. The gradient's norm is bounded (--clip-grad 0.1, three to five times a healthy
# step's at x2): without it the deconvolution and RGB runs diverged once each near iteration 4500 and were taken
# back to their best weights (--rollback, by hand: see their records' sessions).
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p training/runs training/checkpoints
declare -A args=(
    [subpixel_y_x2]="--family subpixel --scale 2"
    [deconv_y_x2]="--family deconv --scale 2"
    [resizeconv_y_x2]="--family resizeconv --scale 2"
    [subpixel_rgb_x2]="--family subpixel --scale 2 --color rgb"
    # The teacher: the same network with 24 features and six SESR linear blocks of expansion 24 (33 k
    # multiply-adds per pixel, 3.2 times a student's; 38 k trained parameters keep its compact checkpoint,
    # which also holds the best collapsed weights, near 360 KB), trained once; the luma students take it up
    # later with --teacher training/checkpoints/teacher_y_x2.pt.
    [teacher_y_x2]="--family subpixel --scale 2 --features 24 -m 6 --block linear --expansion 24"
    # x3 and x4 start their body from the x2 sub-pixel run's (FSRCNN's and SESR's transfer between scales); the
    # committed checkpoint is read once, at the start (a resume takes its own weights).
    [subpixel_y_x3]="--family subpixel --scale 3 --init-from training/checkpoints/subpixel_y_x2.pt"
    [subpixel_y_x4]="--family subpixel --scale 4 --init-from training/checkpoints/subpixel_y_x2.pt"
    # The RGB model lifted from the luma sub-pixel run (the same network on Y with bicubic chroma, exactly), then
    # fine-tuned at a quarter of the learning rate: it starts from the model it has to beat.
    [subpixel_rgb_x2_lifted]="--family subpixel --scale 2 --color rgb --lr 2.5e-4 --init-from training/checkpoints/subpixel_y_x2.pt"
    # The same with the loss on Y weighed four times on top of R, G and B's: the plain RGB loss above bought
    # chroma at Y's expense (held-out Y 35.58 dB at 500 iterations, then below the start by 3,000).
    [subpixel_rgb_x2_lifted_y]="--family subpixel --scale 2 --color rgb --lr 2.5e-4 --luma-weight 4 --init-from training/checkpoints/subpixel_y_x2.pt"
    # The deconvolution and resize-convolution heads at x3 and x4, each from its own family's x2 body.
    [deconv_y_x3]="--family deconv --scale 3 --init-from training/checkpoints/deconv_y_x2.pt"
    [deconv_y_x4]="--family deconv --scale 4 --init-from training/checkpoints/deconv_y_x2.pt"
    [resizeconv_y_x3]="--family resizeconv --scale 3 --init-from training/checkpoints/resizeconv_y_x2.pt"
    [resizeconv_y_x4]="--family resizeconv --scale 4 --init-from training/checkpoints/resizeconv_y_x2.pt"
)
# Wall-clock budgets in minutes (default 600). The warm-started x3 and x4 runs and the RGB run take shorter
# schedules, so that their cosine decay and L2 fine-tune end within a few sessions' time shared by seven runs.
declare -A budget=(
    [subpixel_y_x3]=142 [subpixel_y_x4]=142 [deconv_y_x3]=110 [deconv_y_x4]=110
    [resizeconv_y_x3]=110 [resizeconv_y_x4]=110 [subpixel_rgb_x2]=285 [subpixel_rgb_x2_lifted]=100 [subpixel_rgb_x2_lifted_y]=80
)
all=(subpixel_y_x2 deconv_y_x2 resizeconv_y_x2 subpixel_rgb_x2 teacher_y_x2 subpixel_y_x3 subpixel_y_x4
     deconv_y_x3 deconv_y_x4 resizeconv_y_x3 resizeconv_y_x4 subpixel_rgb_x2_lifted subpixel_rgb_x2_lifted_y)
common="--threads 1 --val-every 500 --patience 60 --l2-after 0.85 --clip-grad 0.1"
collect=0
if [[ ${1:-} == collect ]]; then
    collect=1
    shift
fi
runs=("$@")
[[ ${#runs[@]} -gt 0 ]] || runs=("${all[@]}")
for run in "${runs[@]}"; do
    [[ -n ${args[$run]:-} ]] || { echo "unknown run $run" >&2; exit 2; }
    dir=training/runs/$run
    if [[ $collect == 1 ]]; then
        if [[ -e $dir/compact.pt ]]; then
            cp "$dir/compact.pt" "training/checkpoints/$run.pt"
            cp "$dir/compact.json" "training/checkpoints/$run.json"
            echo "$run: collected"
        fi
        continue
    fi
    if [[ -e training/runs/$run.pid ]] && kill -0 "$(cat "training/runs/$run.pid")" 2>/dev/null; then
        echo "$run: already running (pid $(cat "training/runs/$run.pid"))"
        continue
    fi
    mkdir -p "$dir"
    if [[ ! -e $dir/compact.pt && -e training/checkpoints/$run.pt ]]; then
        cp "training/checkpoints/$run.pt" "$dir/compact.pt"
        cp "training/checkpoints/$run.json" "$dir/compact.json"
    fi
    resume=""
    if [[ -e $dir/last.pt || -e $dir/compact.pt ]]; then resume="--resume"; fi
    # shellcheck disable=SC2086 # the argument strings are meant to split
    nohup nice -n 19 /usr/bin/python3 training/train.py ${args[$run]} --out "$dir" --checkpoint "$dir/compact.pt" \
        --budget-minutes "${budget[$run]:-600}" $common $resume >> "training/runs/$run.out" 2>&1 &
    echo $! > "training/runs/$run.pid"
    echo "$run: pid $! ${resume:-(new)}"
done
