"""Trains one of the project's super-resolution networks and exports it to ONNX.

    /usr/bin/python3 training/train.py --family deconv|subpixel|resizeconv --scale 2|3|4 [--color y|rgb]
        [--budget-minutes M] [--iterations N] [--out DIR] [--export PATH] [--resume] [--seed N]
        [--smoke] [--init-only] [-d 56] [-s 12] [-m 4] [--head-kernel K] [--batch 32] [--patch P]
        [--lr 1e-3] [--loss l1|mse] [--val-every N] [--patience K] [--log-every N] [--threads 2]
        [--init-from MODEL.onnx] [--list-data]

The network (training/networks.py): FSRCNN's body (d, s, m) and a deconv, subpixel or resizeconv head.
Data (training/data.py): T91 + General100 from ../shared/datasets, random downscales in [0.6, 1.0], flips
and 90-degree rotations, LR made by the EVAL.md degradation (MATLAB bicubic, float), less the ten held-out
images of training/validation_general100.txt (training/splits.py). Validation, which picks the exported
checkpoint and may stop a run early (--patience), runs on those held-out images by the full EVAL.md protocol
(training/evaluation.py). Set5 is read once, after training, to record the exported weights' PSNR in the
metadata (psnr_set5, which the GPU test pins); Set14 and BSD100 are never read here.

A run lives in --out (default training/runs/{family}_{color}_x{scale}/): log.txt, last.pt (model,
optimizer, iteration, elapsed time, best PSNR, RNG states; written after every validation and on
SIGINT/SIGTERM) and best.pt (the weights with the best validation PSNR). Both are written atomically.
--resume continues from last.pt; without it, an existing last.pt stops the run rather than being
overwritten. The batches are a pure function of (seed, iteration), so a resumed run sees the batches
an uninterrupted one would.

Stopping and the learning rate: --budget-minutes bounds the wall clock of the whole run (data
preparation, training, validation, checkpoints; summed over resumes; the export comes after), and the
cosine schedule follows the elapsed fraction of it. --iterations instead fixes the length (the schedule
follows iterations, and the run is deterministic end to end); given both, the budget is only a hard stop.
With neither, the budget is 60 minutes.

At the end the best weights go to --export (default models/{family}_x{s}.onnx, models/{family}_rgb_x{s}.onnx
for RGB, relative to the repository root), checked as training/onnx_export.py describes.

--smoke: 200 iterations on small patches (batch 4, 16x16 LR) of four T91 images, validation on the two
smallest held-out images, export (default {out}/smoke.onnx, {out} defaulting to
training/runs/{family}_{color}_x{s}_smoke/); about 3 s on two cores.

--init-from MODEL.onnx: start the body (every layer before the head) from an exported model of the same
colour space and body shape (d, s, m), at any scale and of any family; the head starts from its own
initialisation. This is FSRCNN's transfer between scales (Dong et al. 2016, section 3.3: the convolution
layers are shared, only the deconvolution layer differs), here also between heads.

--list-data: prints the training and validation image paths of these settings as JSON and exits (the test
suite checks them against the held-out list and the test sets).

--init-only: no training; exports the randomly initialised network (metadata trained = "false"; default
{out}/init.onnx), to measure what a head does before any learning.
"""

import argparse
import ctypes
import json
import math
import os
import random
import signal
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from PIL import Image  # noqa: E402

from data import TrainingPatches  # noqa: E402
from evaluation import EvalImage, bicubic_psnr, list_images, psnr_uint8, sr_to_y_uint8  # noqa: E402
from networks import DEFAULT_HEAD_KERNEL, FAMILIES, SuperResolutionNet, count_cost  # noqa: E402
import onnx_export  # noqa: E402
import splits  # noqa: E402

REPO_ROOT = os.path.dirname(HERE)
DATASETS = splits.DATASETS
VALIDATION_SET = "General100-held-out"
TRAINING_DATA = ("T91+General100 less the held-out list, flips, rot90, downscale 0.6-1.0, MATLAB bicubic LR")
DEFAULT_PATCH = {2: 32, 3: 24, 4: 24}
DEFAULT_BUDGET_MINUTES = 60
CHECKPOINT_FORMAT = 1
# Settings a resumed run must share with the checkpoint; the others (budget, logging) may change.
RESUME_KEYS = ("family", "scale", "color", "d", "s", "m", "head_kernel", "patch", "batch", "lr", "loss",
               "seed", "smoke", "refresh_every", "warmup", "init_from")


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--family", required=True, choices=FAMILIES)
    p.add_argument("--scale", required=True, type=int, choices=(2, 3, 4))
    p.add_argument("--color", default="y", choices=("y", "rgb"),
                   help="y: studio-range luma / 255 in and out; rgb: RGB in [0, 1] in and out")
    p.add_argument("--budget-minutes", type=float, help="wall-clock budget of the run, validation included")
    p.add_argument("--iterations", type=int, help="train this many iterations (schedule over iterations)")
    p.add_argument("--out", help="run directory (checkpoints, log)")
    p.add_argument("--export", help="ONNX path for the best weights")
    p.add_argument("--resume", action="store_true", help="continue from {out}/last.pt")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--smoke", action="store_true", help="a tiny run that checks the whole path")
    p.add_argument("--init-only", action="store_true", help="export the untrained network")
    p.add_argument("-d", type=int, default=56, help="feature channels (FSRCNN d)")
    p.add_argument("-s", type=int, default=12, help="shrunk channels (FSRCNN s)")
    p.add_argument("-m", type=int, default=4, help="mapping layers (FSRCNN m)")
    p.add_argument("--head-kernel", type=int, help="head kernel size (default deconv 9, subpixel 3, resizeconv 5)")
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--patch", type=int, help="LR patch size (default 32 at x2, 24 at x3 and x4)")
    p.add_argument("--lr", type=float, default=1e-3, help="peak Adam learning rate")
    p.add_argument("--loss", default="l1", choices=("l1", "mse"))
    p.add_argument("--warmup", type=int, default=100, help="iterations of linear learning-rate warm-up")
    p.add_argument("--refresh-every", type=int, default=4,
                   help="re-augment one training image every this many iterations")
    p.add_argument("--val-every", type=int, default=500, help="validate (and checkpoint) every N iterations")
    p.add_argument("--patience", type=int, default=0,
                   help="stop after K validations in a row without a new best (0: never stop early)")
    p.add_argument("--log-every", type=int, default=100)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--init-from", help="ONNX model whose body (all layers before the head) starts this run")
    p.add_argument("--list-data", action="store_true", help="print the training and validation paths as JSON")
    args = p.parse_args(argv)
    if args.init_from is not None:
        args.init_from = os.path.abspath(args.init_from)
    if args.init_only and (args.smoke or args.resume):
        p.error("--init-only trains nothing: it takes neither --smoke nor --resume")
    for name in ("budget_minutes", "iterations", "d", "s", "batch", "patch", "lr", "val_every", "log_every",
                 "threads"):
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
    if args.head_kernel is None:
        args.head_kernel = DEFAULT_HEAD_KERNEL[args.family]
    suffix = "_smoke" if args.smoke else ""
    if args.out is None:
        args.out = os.path.join(HERE, "runs", f"{args.family}_{args.color}_x{args.scale}{suffix}")
    if args.export is None:
        if args.smoke:
            args.export = os.path.join(args.out, "smoke.onnx")
        elif args.init_only:
            args.export = os.path.join(args.out, "init.onnx")
        else:
            name = f"{args.family}_x{args.scale}" if args.color == "y" else f"{args.family}_rgb_x{args.scale}"
            args.export = os.path.join(REPO_ROOT, "models", name + ".onnx")
    return args


class Run:
    """Everything one invocation holds: network, optimizer, data, validation images, counters, log."""

    def __init__(self, args):
        self.args = args
        self.clock_start = time.monotonic()
        self.elapsed_before = 0.0
        os.makedirs(args.out, exist_ok=True)
        self.log_file = open(os.path.join(args.out, "log.txt"), "a", encoding="utf-8")
        self.config = {k: getattr(args, k) for k in RESUME_KEYS}
        self.channels = 1 if args.color == "y" else 3
        self.iteration = 0
        self.best_psnr = -math.inf
        self.best_iteration = -1
        self.last_validated = -1
        self.stale_validations = 0
        self.bicubic = None
        self.stop_signal = None

    def log(self, line):
        print(line, flush=True)
        self.log_file.write(line + "\n")
        self.log_file.flush()

    def elapsed(self):
        return self.elapsed_before + time.monotonic() - self.clock_start

    # ------------------------------------------------------------------ setup

    def build(self):
        a = self.args
        seed_everything(a.seed)
        self.model = SuperResolutionNet(a.family, a.scale, self.channels, a.d, a.s, a.m, a.head_kernel)
        self.params, self.macs = count_cost(self.model)
        self.optimizer = torch.optim.Adam(self.model.parameters(), lr=a.lr)
        self.log(f"{a.family} x{a.scale} {a.color}: {self.model.architecture()}, {self.params} parameters, "
                 f"{self.macs} multiply-adds per input pixel")
        if a.init_from:
            loaded = onnx_export.load_body(a.init_from, self.model)
            self.log(f"body from {a.init_from}: {loaded} tensors")

    def load_validation(self):
        paths = validation_paths(self.args)
        self.val_images = [EvalImage(p, self.args.scale, self.args.color) for p in paths]
        self.val_set = VALIDATION_SET if not self.args.smoke else \
            f"{VALIDATION_SET}[{','.join(im.name for im in self.val_images)}]"
        self.bicubic = float(np.mean([bicubic_psnr(im, self.args.scale, self.args.color) for im in self.val_images]))
        self.log(f"{self.val_set} x{self.args.scale} bicubic PSNR {self.bicubic:.2f} dB (reference)")

    def load_training(self):
        paths = training_paths(self.args)
        started = time.monotonic()
        self.data = TrainingPatches(paths, self.args.scale, self.args.color, self.args.patch, self.args.seed,
                                    refresh_every=self.args.refresh_every, log=self.log)
        self.data.prepare(self.iteration)
        self.log(f"data: {len(self.data)} images, LR patches {self.args.patch}x{self.args.patch}, "
                 f"batch {self.args.batch}, prepared in {time.monotonic() - started:.1f} s")

    # ------------------------------------------------------------ checkpoints

    def checkpoint_path(self, name):
        return os.path.join(self.args.out, name)

    def save_checkpoint(self):
        state = {
            "format": CHECKPOINT_FORMAT, "config": self.config, "model": self.model.state_dict(),
            "optimizer": self.optimizer.state_dict(), "iteration": self.iteration, "elapsed_s": self.elapsed(),
            "best_psnr": self.best_psnr, "best_iteration": self.best_iteration, "bicubic_psnr": self.bicubic,
            "last_validated": self.last_validated, "stale_validations": self.stale_validations,
            "rng": {"python": random.getstate(), "numpy": np.random.get_state(), "torch": torch.get_rng_state()},
        }
        atomic_save(state, self.checkpoint_path("last.pt"))

    def resume(self):
        path = self.checkpoint_path("last.pt")
        if not os.path.exists(path):
            raise SystemExit(f"--resume: no checkpoint at {path}")
        state = torch.load(path, map_location="cpu")
        if state.get("format") != CHECKPOINT_FORMAT:
            raise SystemExit(f"{path}: checkpoint format {state.get('format')}, expected {CHECKPOINT_FORMAT}")
        differ = {k: (state["config"].get(k), v) for k, v in self.config.items() if state["config"].get(k) != v}
        if differ:
            raise SystemExit(f"{path} was written with other settings (checkpoint, now): {differ}")
        self.model.load_state_dict(state["model"])
        self.optimizer.load_state_dict(state["optimizer"])
        self.iteration = state["iteration"]
        self.elapsed_before = state["elapsed_s"]
        self.clock_start = time.monotonic()
        self.best_psnr, self.best_iteration = state["best_psnr"], state["best_iteration"]
        self.last_validated = state["last_validated"]
        self.stale_validations = state.get("stale_validations", 0)
        random.setstate(state["rng"]["python"])
        np.random.set_state(state["rng"]["numpy"])
        torch.set_rng_state(state["rng"]["torch"])
        self.log(f"resumed at iteration {self.iteration}, {self.elapsed_before:.0f} s spent, "
                 f"best {self.best_psnr:.2f} dB at iteration {self.best_iteration}")

    # ------------------------------------------------------------- validation

    def validate(self, images=None):
        """Mean PSNR (dB, Y) of the current network on the held-out images (or `images`) by EVAL.md."""
        self.model.eval()
        values = []
        with torch.no_grad():
            for im in self.val_images if images is None else images:
                lr = im.lr[None, None] if self.args.color == "y" else im.lr.transpose(2, 0, 1)[None]
                sr = self.model(torch.from_numpy(np.ascontiguousarray(lr, dtype=np.float32)))[0].numpy()
                sr = sr[0] if self.args.color == "y" else sr.transpose(1, 2, 0)
                values.append(psnr_uint8(sr_to_y_uint8(sr, self.args.color), im.hr_y_uint8, self.args.scale))
        self.model.train()
        return float(np.mean(values))

    def validate_and_keep(self):
        started = time.monotonic()
        psnr = self.validate()
        improved = psnr > self.best_psnr
        if improved:
            self.best_psnr, self.best_iteration = psnr, self.iteration
            self.stale_validations = 0
            atomic_save({"model": self.model.state_dict(), "iteration": self.iteration, "psnr": psnr,
                         "config": self.config}, self.checkpoint_path("best.pt"))
        else:
            self.stale_validations += 1
        self.last_validated = self.iteration
        self.save_checkpoint()
        seconds = time.monotonic() - started
        self.log(f"val  it {self.iteration:7d}  {self.val_set} PSNR {psnr:.3f} dB  "
                 f"(bicubic {self.bicubic:.2f}, best {self.best_psnr:.3f} at {self.best_iteration})  "
                 f"elapsed {self.elapsed():.0f} s  [{seconds:.1f} s]")
        return seconds

    # --------------------------------------------------------------- training

    def progress(self):
        """Fraction of the run done, 0..1: by iterations when --iterations is set, else by wall clock."""
        if self.args.iterations:
            return self.iteration / self.args.iterations
        return min(1.0, self.elapsed() / (60 * self.args.budget_minutes))

    def learning_rate(self):
        """Linear warm-up, then cosine from --lr to --lr / 100 over the run."""
        peak = self.args.lr
        floor = peak / 100
        cosine = floor + 0.5 * (peak - floor) * (1 + math.cos(math.pi * self.progress()))
        if self.iteration < self.args.warmup:
            return cosine * (self.iteration + 1) / self.args.warmup
        return cosine

    def out_of_time(self, reserve):
        if self.args.iterations and self.iteration >= self.args.iterations:
            return True
        if self.args.budget_minutes and self.elapsed() + reserve >= 60 * self.args.budget_minutes:
            return True
        if self.early_stop():
            return True
        return self.stop_signal is not None

    def early_stop(self):
        return 0 < self.args.patience <= self.stale_validations

    def loss(self, sr, hr):
        # L1 by default: although PSNR is an L2 measure, L1 training reaches a higher PSNR on SR networks
        # (Zhao et al., "Loss Functions for Image Restoration with Neural Networks", 2017; Lim et al.,
        # EDSR, 2017): its gradient does not vanish as errors shrink, and it lets outliers pull less.
        return F.l1_loss(sr, hr) if self.args.loss == "l1" else F.mse_loss(sr, hr)

    def train(self):
        a = self.args
        self.model.train()
        reserve = 0.0
        if self.last_validated < 0:
            reserve = self.validate_and_keep()
        window_loss, window_count, window_start, window_iter = 0.0, 0, time.monotonic(), self.iteration
        while not self.out_of_time(reserve):
            lr_now = self.learning_rate()
            for group in self.optimizer.param_groups:
                group["lr"] = lr_now
            self.data.advance(self.iteration)
            lr_batch, hr_batch = self.data.batch(self.iteration, a.batch)
            loss = self.loss(self.model(torch.from_numpy(lr_batch)), torch.from_numpy(hr_batch))
            self.optimizer.zero_grad(set_to_none=True)
            loss.backward()
            self.optimizer.step()
            self.iteration += 1
            window_loss += float(loss)
            window_count += 1
            if self.iteration % a.log_every == 0:
                now = time.monotonic()
                speed = (self.iteration - window_iter) / (now - window_start)
                self.log(f"it {self.iteration:7d}  loss {window_loss / window_count:.6f}  lr {lr_now:.2e}  "
                         f"elapsed {self.elapsed():7.1f} s  {speed:.2f} it/s")
                window_loss, window_count, window_start, window_iter = 0.0, 0, now, self.iteration
            if self.iteration % a.val_every == 0:
                reserve = self.validate_and_keep()
                window_start += reserve  # the it/s figure counts training only
        if self.stop_signal is not None:
            self.save_checkpoint()
            self.log(f"stopped by signal {self.stop_signal} at iteration {self.iteration}; checkpoint written, "
                     "--resume continues")
            return False
        if self.early_stop():
            self.log(f"early stop: {self.stale_validations} validations without a new best")
        elif self.last_validated != self.iteration:
            self.validate_and_keep()
        self.log(f"done: {self.iteration} iterations in {self.elapsed():.0f} s "
                 f"({self.iteration / max(self.elapsed(), 1e-9):.2f} it/s overall); best {self.best_psnr:.3f} dB "
                 f"at iteration {self.best_iteration}")
        return True

    # ----------------------------------------------------------------- export

    def export(self, trained):
        a = self.args
        if trained:
            best = torch.load(self.checkpoint_path("best.pt"), map_location="cpu")
            self.model.load_state_dict(best["model"])
            psnr = best["psnr"]
        else:
            psnr = self.validate()
        # Set5 is read here only, once the weights are chosen: the figure the GPU test pins.
        set5 = [EvalImage(p, a.scale, a.color) for p in list_images(os.path.join(DATASETS, "Set5"))]
        set5_psnr = self.validate(set5)
        metadata = {
            "colorspace": a.color, "scale": a.scale, "family": a.family, "input_range": "0-1",
            "training_data": "none (untrained)" if not trained else
            TRAINING_DATA + (" (smoke run: 4 T91 images)" if a.smoke else ""),
            "val_psnr": f"{psnr:.3f}", "psnr_set5": f"{set5_psnr:.2f}", "params": self.params,
            "macs_per_input_pixel": self.macs,
            "iterations": self.iteration, "seed": a.seed, "trained": "true" if trained else "false",
            "architecture": self.model.architecture(), "loss": a.loss, "validation": self.val_set,
        }
        if a.init_from:
            metadata["body_init"] = os.path.basename(a.init_from)
        onnx_export.export(self.model, a.export, metadata)
        shown = os.path.relpath(a.export)
        shown = a.export if shown.startswith("..") else shown
        self.log(f"exported {shown} ({self.val_set} PSNR {psnr:.3f} dB, Set5 {set5_psnr:.2f}; checked: onnx.checker, "
                 f"supported ops, graph output equals the network's)")
        self.log("metadata " + json.dumps({k: str(v) for k, v in metadata.items()}))


def keep_freed_memory():
    """Stops glibc from returning each freed tensor buffer to the kernel.

    A training step allocates and frees megabyte-sized tensors; above glibc's mmap threshold each is a
    fresh mmap, zero-filled page by page and unmapped again. With the threshold at 32 MiB (glibc's
    maximum) and trimming only above 256 MiB, they are reused from the heap: deconv x2 went from 6 to
    17 iterations/s on two cores, and data preparation from 8.7 to 2.9 s. Elsewhere this does nothing.
    """
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:
        return
    m_trim_threshold, m_mmap_threshold = -1, -3
    libc.mallopt(m_mmap_threshold, 32 << 20)
    libc.mallopt(m_trim_threshold, 256 << 20)


def training_paths(args):
    if args.smoke:
        return list_images(os.path.join(DATASETS, "T91"))[:4]
    return splits.training_paths()


def validation_paths(args):
    paths = splits.validation_paths()
    # The two smallest held-out images keep the smoke run short.
    return sorted(paths, key=image_pixels)[:2] if args.smoke else paths


def image_pixels(path):
    with Image.open(path) as im:
        return im.size[0] * im.size[1]


def seed_everything(seed):
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def atomic_save(obj, path):
    temporary = path + ".tmp"
    torch.save(obj, temporary)
    os.replace(temporary, path)


def main(argv=None):
    args = parse_args(argv)
    if args.list_data:
        print(json.dumps({"training": training_paths(args), "validation": validation_paths(args)}))
        return 0
    keep_freed_memory()
    torch.set_num_threads(args.threads)
    torch.set_num_interop_threads(1)
    torch.use_deterministic_algorithms(True)
    run = Run(args)
    run.log(f"--- {' '.join(sys.argv)}")
    run.build()
    run.load_validation()
    if args.init_only:
        run.export(trained=False)
        return 0
    if args.resume:
        run.resume()
    elif os.path.exists(run.checkpoint_path("last.pt")) and not args.smoke:
        raise SystemExit(f"{run.checkpoint_path('last.pt')} exists: pass --resume to continue it, "
                         "or remove the run directory to start over")

    def on_signal(number, _frame):
        run.stop_signal = number

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    run.load_training()
    if not run.train():
        return 130
    run.export(trained=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
