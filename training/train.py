"""Trains one of the project's super-resolution networks and exports it to ONNX.

    /usr/bin/python3 training/train.py --family deconv|subpixel|resizeconv --scale 2|3|4 [--color y|rgb]
        [--budget-minutes M] [--iterations N] [--out DIR] [--export PATH] [--resume] [--seed N]
        [--smoke] [--init-only] [--arch collapsible|fsrcnn] [--features 16] [--block ecb|linear]
        [--expansion 64] [-d 56] [-s 12] [-m 4] [--head-kernel K] [--batch 32] [--patch P] [--lr 1e-3]
        [--loss l1|mse] [--l2-after F] [--luma-weight W] [--teacher RUN.pt] [--distill W] [--val-every N] [--patience K]
        [--log-every N] [--threads 2] [--init-from MODEL.onnx|RUN.pt] [--checkpoint PATH] [--list-data]

The network: --arch collapsible (default; training/collapsible.py): SESR's collapsible linear blocks and
ECBSR's edge-oriented blocks, trained over-parameterised and exported collapsed, with a bicubic residual from
the input; --arch fsrcnn (training/networks.py): FSRCNN's body (d, s, m). Either with a deconv, subpixel or
resizeconv head.
Data (training/data.py): T91 + General100 from ../shared/datasets, random downscales in [0.6, 1.0], flips
and 90-degree rotations, LR made by the EVAL.md degradation (MATLAB bicubic, float), less the ten held-out
images of training/validation_general100.txt (training/splits.py). Validation, which picks the exported
checkpoint and may stop a run early (--patience), runs on those held-out images by the full EVAL.md protocol
(training/evaluation.py). Set5 is read once, after training, to record the exported weights' PSNR in the
metadata (psnr_set5, which the GPU test pins); Set14 and BSD100 are never read here.

A run lives in --out (default training/runs/{family}_{color}_x{scale}/): log.txt, last.pt (model,
optimizer, iteration, elapsed time, best PSNR, RNG states; written after every validation and on
SIGINT/SIGTERM) and best.pt (the weights with the best validation PSNR). Both are written atomically.
Every validation also writes the compact checkpoint and the record (--checkpoint, default
training/checkpoints/{family}_{color}_x{scale}.pt and .json; training/run_state.py), which are committed so a
run continues in another session. --resume continues from last.pt, or from the compact checkpoint when the
run directory has none; without it, an existing checkpoint stops the run rather than being overwritten. The
batches are a pure function of (seed, iteration), so a resumed run sees the batches an uninterrupted one
would (bit for bit from last.pt; from the compact checkpoint Adam's first moments restart).

Stopping and the learning rate: --budget-minutes bounds the wall clock of the whole run (data
preparation, training, validation, checkpoints; summed over resumes; the export comes after), and the
cosine schedule follows the elapsed fraction of it. --iterations instead fixes the length (the schedule
follows iterations, and the run is deterministic end to end); given both, the budget is only a hard stop.
With neither, the budget is 60 minutes.

At the end the best weights (collapsed) go to --export (default {out}/{family}_x{s}.onnx or
{out}/{family}_rgb_x{s}.onnx), checked as training/onnx_export.py describes. The shipped models in models/ are
replaced by hand, once a model has been measured on the GPU pipeline (models/README.md).

Loss: L1 (--loss l1), switched to MSE after the fraction --l2-after of the run (L1 then L2 fine-tuning).
--luma-weight W (RGB runs): the loss on R, G and B plus W times the same loss on the output's studio Y, for
an RGB model chosen and judged on Y, as the protocol measures.
--teacher RUN.pt distils a larger trained network of the same scale and colour (any checkpoint of a run,
e.g. training/checkpoints/teacher_y_x2.pt): the target is (1 - W) HR + W teacher(LR), W = --distill.

--smoke: 200 iterations on small patches (batch 4, 16x16 LR) of four T91 images, validation on the two
smallest held-out images, export (default {out}/smoke.onnx, {out} defaulting to
training/runs/{family}_{color}_x{s}_smoke/); about 3 s on two cores.

--init-from MODEL.onnx (fsrcnn) or RUN.pt (collapsible, a checkpoint of a run): start the body (every layer
before the head) from a network of the same colour space and body shape, at any scale and of any family; the
head starts from its own initialisation. This is FSRCNN's transfer between scales (Dong et al. 2016, section 3.3: the convolution
layers are shared, only the deconvolution layer differs), here also between heads.
From a luma checkpoint (.pt) into an RGB run of the same family, scale and body, the whole network is lifted
(run_state.lift_luma_to_rgb): the RGB run starts as exactly the luma network on Y with bicubic chroma, the
model it has to beat, and learns from there what colour adds.

--list-data: prints the training and validation image paths of these settings as JSON and exits (the test
suite checks them against the held-out list and the test sets).

--init-only: no training; exports the randomly initialised network (metadata trained = "false"; default
{out}/init.onnx), to measure what a head does before any learning.

--clip-grad N bounds the gradient's norm (0: off); --rollback (with --resume) takes the run back to the weights
of its best validation (best.pt in the run directory) with a fresh optimizer, after the run diverged.

--export-only (with --resume): no training; exports the best validated weights so far of a run that is going
on or was stopped (metadata best_iteration says where they are from), leaving its checkpoints as they are; a
long run's interim model, to measure before it may replace a shipped one.
"""

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
import collapsible  # noqa: E402
from networks import count_cost  # noqa: E402
import onnx_export  # noqa: E402
from options import (CHECKPOINT_FORMAT, DATASETS, REPO_ROOT, RESUME_KEYS, TRAINING_DATA,  # noqa: E402
                     VALIDATION_SET, parse_args)
import run_state  # noqa: E402
from run_state import build_network, load_body_from_checkpoint, load_trained  # noqa: E402
import splits  # noqa: E402

class Run:
    """Everything one invocation holds: network, optimizer, data, validation images, counters, log."""

    def __init__(self, args):
        self.args = args
        self.clock_start = time.monotonic()
        self.elapsed_before = 0.0
        os.makedirs(args.out, exist_ok=True)
        self.log_file = open(os.path.join(args.out, "log.txt"), "a", encoding="utf-8")
        self.config = {k: getattr(args, k) for k in RESUME_KEYS}
        self.target = {"teacher": args.teacher, "distill": args.distill, "l2_after": args.l2_after,
                       "luma_weight": args.luma_weight}
        self.channels = 1 if args.color == "y" else 3
        self.iteration = 0
        self.best_psnr = -math.inf
        self.best_iteration = -1
        self.last_validated = -1
        self.stale_validations = 0
        self.curve = []
        self.sessions = []
        self.best_plain = None
        self.warm_from = 0  # the iteration the learning rate's warm-up starts from (a rollback restarts it)
        self.teacher = None
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
        self.model = build_network(self.config)
        self.collapsible = a.arch == "collapsible"
        if self.collapsible:
            self.params, self.macs = collapsible.count_cost(self.model)
            self.trained_params = sum(p.numel() for p in self.model.parameters())
        else:
            self.params, self.macs = count_cost(self.model)
            self.trained_params = self.params
        self.optimizer = torch.optim.Adam(self.model.parameters(), lr=a.lr)
        self.log(f"{a.family} x{a.scale} {a.color}: {self.model.architecture()}, {self.params} parameters "
                 f"({self.trained_params} trained), {self.macs} multiply-adds per input pixel")
        if a.init_from:
            path = os.path.join(REPO_ROOT, a.init_from)
            if a.init_from.endswith(".onnx"):
                loaded = onnx_export.load_body(path, self.model)
            else:
                loaded = load_body_from_checkpoint(path, self.model, self.config)
            self.log(f"body from {a.init_from}: {loaded} tensors")
        if a.teacher:
            self.teacher = load_trained(os.path.join(REPO_ROOT, a.teacher), self.config)
            self.log(f"teacher {a.teacher}: {self.teacher.architecture()}, target = {1 - a.distill:g} HR + "
                     f"{a.distill:g} teacher")

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
            "curve": self.curve, "sessions": self.sessions, "best_plain": self.best_plain,
            "rng": {"python": random.getstate(), "numpy": np.random.get_state(), "torch": torch.get_rng_state()},
        }
        atomic_save(state, self.checkpoint_path("last.pt"))
        if self.args.checkpoint:
            compact = dict(state)
            compact.pop("best_plain")
            run_state.save(self.args.checkpoint, compact, self.best_plain)
            run_state.write_record(os.path.splitext(self.args.checkpoint)[0] + ".json", self.record())

    def record(self):
        """What the run did, for training/checkpoints/{run}.json (see run_state.py)."""
        a = self.args
        return {
            "settings": self.config, "target": self.target, "architecture": self.model.architecture(),
            "params_deployed": self.params, "params_trained": self.trained_params,
            "macs_per_input_pixel": self.macs, "training_data": TRAINING_DATA,
            "validation": self.val_set, "validation_bicubic_psnr": round(self.bicubic, 3),
            "schedule": {"budget_minutes": a.budget_minutes, "iterations": a.iterations, "l2_after": a.l2_after,
                         "patience": a.patience, "val_every": a.val_every, "clip_grad": a.clip_grad},
            "iterations": self.iteration, "elapsed_s": round(self.elapsed()), "threads": a.threads,
            "sessions": self.sessions,
            "best": {"psnr": round(self.best_psnr, 3), "iteration": self.best_iteration},
            "stale_validations": self.stale_validations,
            "curve": {"columns": ["iteration", "elapsed_s", "val_psnr"], "rows": self.curve},
        }

    def existing_checkpoint(self):
        """last.pt of the run directory, else the compact checkpoint, else None."""
        for path in (self.checkpoint_path("last.pt"), self.args.checkpoint):
            if path and os.path.exists(path):
                return path
        return None

    def resume(self):
        path = self.existing_checkpoint()
        if path is None:
            raise SystemExit(f"--resume: no checkpoint at {self.checkpoint_path('last.pt')} or {self.args.checkpoint}")
        if path == self.args.checkpoint:
            state, best_plain = run_state.load(path)
            state["best_plain"] = best_plain
        else:
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
        self.curve = state.get("curve", [])
        self.sessions = state.get("sessions", [])
        self.best_plain = state.get("best_plain")
        random.setstate(state["rng"]["python"])
        np.random.set_state(state["rng"]["numpy"])
        torch.set_rng_state(state["rng"]["torch"])
        self.log(f"resumed from {os.path.relpath(path)} at iteration {self.iteration}, {self.elapsed_before:.0f} s spent, "
                 f"best {self.best_psnr:.2f} dB at iteration {self.best_iteration}")
        if self.args.rollback:
            self.roll_back()

    def roll_back(self):
        """The weights of the best validation (best.pt), with Adam's moments started afresh; the iteration count,
        the clock and the schedule go on, so the learning rate is where the run is, not where the best was."""
        path = self.checkpoint_path("best.pt")
        if not os.path.exists(path):
            raise SystemExit(f"--rollback: no {path} (the best weights are kept in the run directory only)")
        best = torch.load(path, map_location="cpu")
        if best.get("config") != self.config:
            raise SystemExit(f"--rollback: {path} was written with other settings")
        self.model.load_state_dict(best["model"])
        self.optimizer = torch.optim.Adam(self.model.parameters(), lr=self.args.lr)
        # A fresh Adam's first steps move every parameter by about the learning rate: warm up again.
        self.warm_from = self.iteration
        self.log(f"rolled back to the weights of iteration {best['iteration']} ({best['psnr']:.3f} dB) at iteration "
                 f"{self.iteration}; Adam's moments restart, with {self.args.warmup} iterations of warm-up")

    # ------------------------------------------------------------- validation

    def validate(self, images=None, model=None):
        """Mean PSNR (dB, Y) of the network (or `model`) on the held-out images (or `images`) by EVAL.md."""
        model = self.model if model is None else model
        model.eval()
        values = []
        with torch.no_grad():
            for im in self.val_images if images is None else images:
                lr = im.lr[None, None] if self.args.color == "y" else im.lr.transpose(2, 0, 1)[None]
                sr = model(torch.from_numpy(np.ascontiguousarray(lr, dtype=np.float32)))[0].numpy()
                sr = sr[0] if self.args.color == "y" else sr.transpose(1, 2, 0)
                values.append(psnr_uint8(sr_to_y_uint8(sr, self.args.color), im.hr_y_uint8, self.args.scale))
        self.model.train()
        return float(np.mean(values))

    def shipped_network(self):
        """What the export writes for the current weights: the collapsed plain network, or the network."""
        return self.model.deploy() if self.collapsible else self.model

    def validate_and_keep(self):
        started = time.monotonic()
        psnr = self.validate()
        improved = psnr > self.best_psnr
        if improved:
            self.best_psnr, self.best_iteration = psnr, self.iteration
            self.stale_validations = 0
            self.best_plain = {k: v.clone() for k, v in self.shipped_network().state_dict().items()}
            atomic_save({"model": self.model.state_dict(), "iteration": self.iteration, "psnr": psnr,
                         "config": self.config}, self.checkpoint_path("best.pt"))
        else:
            self.stale_validations += 1
        self.curve.append([self.iteration, round(self.elapsed(), 1), round(psnr, 4)])
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
        if self.iteration - self.warm_from < self.args.warmup:
            return cosine * (self.iteration - self.warm_from + 1) / self.args.warmup
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

    def loss(self, sr, hr, lr):
        # L1 by default: although PSNR is an L2 measure, L1 training reaches a higher PSNR on SR networks
        # (Zhao et al., "Loss Functions for Image Restoration with Neural Networks", 2017; Lim et al.,
        # EDSR, 2017): its gradient does not vanish as errors shrink, and it lets outliers pull less. After
        # --l2-after of the run the loss is MSE, the measure PSNR takes: the L1-then-L2 fine-tuning of EDSR's
        # successors (and of SESR), which gains a few hundredths of a dB at the end of the schedule.
        target = hr
        if self.teacher is not None:
            # Distillation from a larger network's output (Hinton et al. 2015, for regression): the target
            # mixes the HR patch and what the teacher makes of the same LR patch.
            with torch.no_grad():
                target = (1 - self.args.distill) * hr + self.args.distill * self.teacher(lr)
        measure = F.mse_loss if self.args.loss == "mse" or self.progress() >= self.args.l2_after else F.l1_loss
        loss = measure(sr, target)
        if self.args.luma_weight > 0:
            # RGB runs judged on Y (the protocol's measure) weigh its error on top of R, G and B's.
            weights = torch.tensor(run_state.LUMA_WEIGHTS, dtype=sr.dtype)[None, :, None, None]
            loss = loss + self.args.luma_weight * measure((sr * weights).sum(1), (target * weights).sum(1))
        return loss

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
            lr_tensor = torch.from_numpy(lr_batch)
            loss = self.loss(self.model(lr_tensor), torch.from_numpy(hr_batch), lr_tensor)
            self.optimizer.zero_grad(set_to_none=True)
            loss.backward()
            if a.clip_grad > 0:
                # A bound on the whole gradient's norm: one outlying batch at the peak learning rate threw the
                # ECB networks off (the loss doubled, and the held-out PSNR fell 1.5 dB for thousands of
                # iterations); the bound is a few times the norm of a healthy step (0.02 to 0.03 at x2).
                torch.nn.utils.clip_grad_norm_(self.model.parameters(), a.clip_grad)
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
        shipped = self.shipped_network()
        if trained:
            shipped.load_state_dict(self.best_plain)
            psnr = self.best_psnr
        else:
            psnr = self.validate(model=shipped)
        # Set5 is read here only, once the weights are chosen: the figure the GPU test pins.
        set5 = [EvalImage(p, a.scale, a.color) for p in list_images(os.path.join(DATASETS, "Set5"))]
        set5_psnr = self.validate(set5, model=shipped)
        loss = a.loss if a.loss == "mse" or a.l2_after >= 1 else f"l1, mse after {a.l2_after:g} of the run"
        if a.luma_weight > 0:
            loss += f"; plus {a.luma_weight:g} times that of Y"
        metadata = {
            "colorspace": a.color, "scale": a.scale, "family": a.family, "input_range": "0-1",
            "training_data": "none (untrained)" if not trained else
            TRAINING_DATA + (" (smoke run: 4 T91 images)" if a.smoke else ""),
            "val_psnr": f"{psnr:.3f}", "psnr_set5": f"{set5_psnr:.2f}", "params": self.params,
            "params_trained": self.trained_params, "macs_per_input_pixel": self.macs,
            "iterations": self.iteration, "best_iteration": self.best_iteration if trained else 0, "seed": a.seed,
            "trained": "true" if trained else "false",
            "architecture": self.model.architecture(), "loss": loss, "validation": self.val_set,
        }
        if a.init_from:
            metadata["body_init"] = os.path.basename(a.init_from)
        if a.teacher:
            metadata["teacher"] = f"{os.path.basename(a.teacher)}, weight {a.distill:g}"
        # Untrained, the over-parameterised network is at hand: the graph must reproduce it too.
        reference = self.model if self.collapsible and not trained else None
        onnx_export.export(shipped, a.export, metadata, reference=reference)
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
    args = parse_args(argv, __doc__.split("\n\n")[0])
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
        if args.export_only:
            if run.best_plain is None:
                raise SystemExit("--export-only: the run has no validated weights yet")
            run.export(trained=True)
            return 0
    elif run.existing_checkpoint() and not args.smoke:
        raise SystemExit(f"{run.existing_checkpoint()} exists: pass --resume to continue it, "
                         "or remove it (and the run directory) to start over")

    def on_signal(number, _frame):
        run.stop_signal = number

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    run.sessions.append({"started_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                         "from_iteration": run.iteration, "command": " ".join(sys.argv[1:]), "threads": args.threads})
    run.load_training()
    if not run.train():
        return 130
    run.export(trained=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
