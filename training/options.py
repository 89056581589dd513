"""The command line of training/train.py (its docstring describes the options) and the settings it checks."""

import argparse
import os

import collapsible
import run_state
import splits
from networks import DEFAULT_HEAD_KERNEL, FAMILIES

HERE = os.path.dirname(os.path.abspath(__file__))
REPO_ROOT = os.path.dirname(HERE)
DATASETS = splits.DATASETS
VALIDATION_SET = "General100-held-out"
TRAINING_DATA = ("T91+General100 less the held-out list, flips, rot90, downscale 0.6-1.0, MATLAB bicubic LR")
DEFAULT_PATCH = {2: 32, 3: 24, 4: 24}
DEFAULT_BUDGET_MINUTES = 60
CHECKPOINT_FORMAT = 1
# Settings a resumed run must share with the checkpoint; the others may change: the budget, logging, and the
# target (--teacher, --distill, --l2-after, --luma-weight), so a run can take up a teacher or its L2 phase when
# it resumes.
RESUME_KEYS = ("arch", "family", "scale", "color", "d", "s", "m", "features", "block", "expansion", "head_kernel",
               "patch", "batch", "lr", "loss", "seed", "smoke", "refresh_every", "warmup", "init_from")


def parse_args(argv, description=""):
    p = argparse.ArgumentParser(description=description,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--family", required=True, choices=FAMILIES)
    p.add_argument("--scale", required=True, type=int, choices=(2, 3, 4))
    p.add_argument("--color", default="y", choices=("y", "rgb"),
                   help="y: studio-range luma / 255 in and out; rgb: RGB in [0, 1] in and out")
    p.add_argument("--budget-minutes", type=float, help="wall-clock budget of the run, validation included")
    p.add_argument("--iterations", type=int, help="train this many iterations (schedule over iterations)")
    p.add_argument("--out", help="run directory (checkpoints, log)")
    p.add_argument("--export", help="ONNX path for the best weights")
    p.add_argument("--resume", action="store_true", help="continue from {out}/last.pt or the compact checkpoint")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--smoke", action="store_true", help="a tiny run that checks the whole path")
    p.add_argument("--init-only", action="store_true", help="export the untrained network")
    p.add_argument("--clip-grad", type=float, default=0.0,
                   help="bound on the gradient's global norm (0: no bound)")
    p.add_argument("--rollback", action="store_true",
                   help="with --resume: continue from the best validation's weights, Adam restarted")
    p.add_argument("--export-only", action="store_true",
                   help="with --resume: export the best validated weights so far, without training")
    p.add_argument("--arch", default="collapsible", choices=("collapsible", "fsrcnn"),
                   help="collapsible: training/collapsible.py (default); fsrcnn: the FSRCNN-shaped body")
    p.add_argument("-d", type=int, default=56, help="fsrcnn: feature channels (FSRCNN d)")
    p.add_argument("-s", type=int, default=12, help="fsrcnn: shrunk channels (FSRCNN s)")
    p.add_argument("-m", type=int, default=4, help="mapping layers (FSRCNN m) / collapsible blocks")
    p.add_argument("--features", type=int, default=16, help="collapsible: channels of the body")
    p.add_argument("--block", default="ecb", choices=collapsible.BLOCKS, help="collapsible: the 3x3 blocks' kind")
    p.add_argument("--expansion", type=int, default=64, help="collapsible: width of the linear expansions")
    p.add_argument("--head-kernel", type=int,
                   help="head kernel size (default deconv 9, subpixel 3, resizeconv 5; collapsible resizeconv 3)")
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--patch", type=int, help="LR patch size (default 32 at x2, 24 at x3 and x4)")
    p.add_argument("--lr", type=float, default=1e-3, help="peak Adam learning rate")
    p.add_argument("--loss", default="l1", choices=("l1", "mse"))
    p.add_argument("--l2-after", type=float, default=1.0,
                   help="fraction of the run after which the loss is MSE (L1 then L2 fine-tuning; 1: never)")
    p.add_argument("--luma-weight", type=float, default=0.0,
                   help="rgb: add this many times the loss on the output's Y to the loss on R, G and B")
    p.add_argument("--teacher", help="checkpoint (.pt) of a trained network of the same scale and colour to distil")
    p.add_argument("--distill", type=float, default=0.5, help="weight of the teacher's output in the target")
    p.add_argument("--checkpoint", help="compact checkpoint and record (default training/checkpoints/{run}.pt; "
                   "smoke: {out}/compact.pt)")
    p.add_argument("--warmup", type=int, default=100, help="iterations of linear learning-rate warm-up")
    p.add_argument("--refresh-every", type=int, default=4,
                   help="re-augment one training image every this many iterations")
    p.add_argument("--val-every", type=int, default=500, help="validate (and checkpoint) every N iterations")
    p.add_argument("--patience", type=int, default=0,
                   help="stop after K validations in a row without a new best (0: never stop early)")
    p.add_argument("--log-every", type=int, default=100)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--init-from", help="start the body (all layers before the head) from an exported model (.onnx, "
                   "fsrcnn) or a checkpoint (.pt, collapsible) of any scale and family; a luma checkpoint "
                   "into an RGB run of its family and scale: the whole network, lifted")
    p.add_argument("--list-data", action="store_true", help="print the training and validation paths as JSON")
    args = p.parse_args(argv)
    for name in ("init_from", "teacher"):
        if getattr(args, name) is not None:
            setattr(args, name, os.path.relpath(os.path.abspath(getattr(args, name)), REPO_ROOT))
    if args.teacher is None:
        args.distill = 0.0
    if args.init_only and (args.smoke or args.resume):
        p.error("--init-only trains nothing: it takes neither --smoke nor --resume")
    if (args.rollback or args.export_only) and not args.resume:
        p.error("--rollback and --export-only act on a run's checkpoints: they need --resume")
    if args.clip_grad < 0:
        p.error("--clip-grad must be 0 (off) or positive")
    for name in ("budget_minutes", "iterations", "d", "s", "features", "expansion", "batch", "patch", "lr",
                 "val_every", "log_every", "threads"):
        value = getattr(args, name)
        if value is not None and value <= 0:
            p.error(f"{'-' if len(name) == 1 else '--'}{name.replace('_', '-')} must be positive")
    for name in ("m", "warmup", "refresh_every", "patience"):
        if getattr(args, name) < 0:
            p.error(f"{'-' if len(name) == 1 else '--'}{name.replace('_', '-')} must not be negative")
    if args.patch is None:
        args.patch = 16 if args.smoke else DEFAULT_PATCH[args.scale]
    if args.smoke:
        args.batch = min(args.batch, 4)
        # 200 tiny iterations take about a second and give an image-like model (25-26 dB for luma x2 on the
        # two images, against 13 untrained), so what runs it downstream can check more than that it runs.
        args.iterations = args.iterations or 200
        args.val_every = min(args.val_every, 50)
        args.log_every = min(args.log_every, 50)
        args.warmup = min(args.warmup, 20)
        args.refresh_every = 0
    if args.budget_minutes is None and args.iterations is None:
        args.budget_minutes = DEFAULT_BUDGET_MINUTES
    if args.luma_weight < 0 or (args.luma_weight > 0 and args.color != "rgb"):
        p.error("--luma-weight is a non-negative weight, for --color rgb")
    if not 0 <= args.distill <= 1 or not 0 <= args.l2_after <= 1:
        p.error("--distill and --l2-after are fractions in [0, 1]")
    if args.head_kernel is None:
        defaults = DEFAULT_HEAD_KERNEL if args.arch == "fsrcnn" else collapsible.DEFAULT_HEAD_KERNEL
        args.head_kernel = defaults[args.family]
    suffix = "_smoke" if args.smoke else ""
    # The FSRCNN-shaped runs of the shipped models keep their names apart from the collapsible ones.
    run_name = f"{'fsrcnn_' if args.arch == 'fsrcnn' else ''}{args.family}_{args.color}_x{args.scale}{suffix}"
    if args.out is None:
        args.out = os.path.join(HERE, "runs", run_name)
    if args.checkpoint is None and not args.init_only:
        args.checkpoint = os.path.join(args.out, "compact.pt") if args.smoke else \
            os.path.join(run_state.DIRECTORY, run_name + ".pt")
    if args.export is None:
        if args.smoke:
            args.export = os.path.join(args.out, "smoke.onnx")
        elif args.init_only:
            args.export = os.path.join(args.out, "init.onnx")
        else:
            name = f"{args.family}_x{args.scale}" if args.color == "y" else f"{args.family}_rgb_x{args.scale}"
            args.export = os.path.join(args.out, name + ".onnx")
    return args
