"""The committed state of a long run: a small checkpoint and a readable record, in training/checkpoints/.

A long run goes on across sessions of two CPU cores, so what it needs to continue is committed with the code:

    {name}.pt    the compact checkpoint: the trained parameters (float32), Adam's second moments (bfloat16;
                 the first moments, which Adam rebuilds within about ten steps, are left out), the iteration,
                 the wall time spent, the best validation PSNR and the plain (collapsed) weights that scored
                 it, the early-stopping count, the random generators' states and the settings. A few hundred
                 kilobytes for the default networks.
    {name}.json  the record: settings, data, iterations, wall time and the whole validation curve
                 (iteration, elapsed seconds, held-out PSNR), rewritten at every validation.

`--resume` continues from the run directory's exact last.pt when there is one (same machine, same session
or not), else from the compact checkpoint: the same batches follow (they are a function of the seed and the
iteration), the optimizer restarts its first moments. Both are written atomically.
"""

import copy
import json
import os

import torch

import collapsible
from networks import SuperResolutionNet

FORMAT = 1
HERE = os.path.dirname(os.path.abspath(__file__))
DIRECTORY = os.path.join(HERE, "checkpoints")


def _atomic(write, path):
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    temporary = path + ".tmp"
    write(temporary)
    os.replace(temporary, path)


def compact_optimizer(state):
    """Adam's state with exp_avg dropped and exp_avg_sq in bfloat16."""
    out = {"param_groups": state["param_groups"], "state": {}}
    for key, value in state["state"].items():
        out["state"][key] = {"step": value["step"], "exp_avg_sq": value["exp_avg_sq"].to(torch.bfloat16)}
    return out


def expand_optimizer(state):
    """The inverse of compact_optimizer, first moments zero."""
    out = {"param_groups": state["param_groups"], "state": {}}
    for key, value in state["state"].items():
        sq = value["exp_avg_sq"].float()
        out["state"][key] = {"step": value["step"], "exp_avg": torch.zeros_like(sq), "exp_avg_sq": sq}
    return out


def save(path, state, best_plain):
    """Writes the compact form of a full checkpoint `state` (train.py's last.pt) and the best plain weights."""
    compact = dict(state)
    compact["format"] = FORMAT
    compact["optimizer"] = compact_optimizer(state["optimizer"])
    compact["best_plain"] = best_plain
    _atomic(lambda p: torch.save(compact, p), path)


def load(path):
    """A full checkpoint state (as train.py's last.pt holds) from the compact file, and the best plain weights."""
    state = torch.load(path, map_location="cpu")
    if state.get("format") != FORMAT:
        raise SystemExit(f"{path}: compact checkpoint format {state.get('format')}, expected {FORMAT}")
    best_plain = state.pop("best_plain")
    state["optimizer"] = expand_optimizer(state["optimizer"])
    return state, best_plain


def write_record(path, record):
    """JSON, one validation a line (the curve's rows), everything else indented."""
    rows = record["curve"]["rows"]
    placeholder = "\u0000rows"
    text = json.dumps({**record, "curve": {**record["curve"], "rows": placeholder}}, indent=1)
    text = text.replace(json.dumps(placeholder), "[\n" + ",\n".join("   " + json.dumps(r) for r in rows) + "\n  ]")

    def write(p):
        with open(p, "w", encoding="utf-8") as f:
            f.write(text + "\n")
    _atomic(write, path)


def read_record(path):
    if not os.path.exists(path):
        return None
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def build_network(config):
    """The network a run's settings (or a checkpoint's) describe, at its initialisation."""
    channels = 1 if config["color"] == "y" else 3
    if config.get("arch", "fsrcnn") == "fsrcnn":
        return SuperResolutionNet(config["family"], config["scale"], channels, config["d"], config["s"], config["m"],
                                  config["head_kernel"])
    return collapsible.CollapsibleNet(config["family"], config["scale"], channels, config["features"], config["m"],
                                      config["block"], config["expansion"], config["head_kernel"])


def _checkpoint_state(path):
    """(config, model state, best collapsed weights or None) of a run's last.pt, best.pt or compact checkpoint."""
    if not os.path.exists(path):
        raise SystemExit(f"{path}: no such checkpoint")
    state = torch.load(path, map_location="cpu")
    return state["config"], state["model"], state.get("best_plain")


def load_body_from_checkpoint(path, model, config):
    """Copies every parameter but the head's from a collapsible run's checkpoint (any scale or family):
    the warm start between scales of FSRCNN and SESR. From a luma checkpoint into an RGB run of the same family
    and scale, the whole network is lifted instead (lift_luma_to_rgb). Returns the tensor count."""
    source_config, state, _ = _checkpoint_state(path)
    if source_config.get("color") == "y" and config["color"] == "rgb":
        shape_keys = ("arch", "family", "scale", "features", "m", "block", "expansion", "head_kernel")
        differ = {k: (source_config.get(k), config[k]) for k in shape_keys if source_config.get(k) != config[k]}
        if differ or config["arch"] != "collapsible":
            raise SystemExit(f"--init-from {path}: a luma network lifts only into the same collapsible network "
                             f"(checkpoint, now): {differ or {'arch': (source_config.get('arch'), config['arch'])}}")
        luma = build_network(source_config)
        luma.load_state_dict(state)
        lift_luma_to_rgb(luma, model)
        return len(state)
    shape_keys = ("arch", "color", "features", "m", "block", "expansion")
    differ = {k: (source_config.get(k), config[k]) for k in shape_keys if source_config.get(k) != config[k]}
    if differ:
        raise SystemExit(f"--init-from {path}: another body (checkpoint, now): {differ}")
    body = {k: v for k, v in state.items() if not k.startswith("head.")}
    missing, unexpected = model.load_state_dict(body, strict=False)
    if unexpected or any(not k.startswith("head.") for k in missing):
        raise SystemExit(f"--init-from {path}: parameters do not match ({missing}, {unexpected})")
    return len(body)


# BT.601 studio-range luma of RGB in [0, 1], as the evaluation computes it (training/evaluation.py, studio_y,
# divided by 255): Y = LUMA_OFFSET + sum_c LUMA_WEIGHTS[c] RGB_c. A luma network's input and output are this Y.
LUMA_OFFSET = 16 / 255
LUMA_WEIGHTS = (65.481 / 255, 128.553 / 255, 24.966 / 255)


def lift_luma_to_rgb(luma, rgb):
    """Sets the collapsible RGB network `rgb` (same family, scale and body as the luma network `luma`) to
    compute exactly the luma network with bicubic chroma: the Y of its output is the luma network's output for
    the input's Y, and its chroma is the bicubic upsampling's. The RGB run then starts from the luma model it
    has to beat, and training adds what colour can.

    Why it is exact. The first layer is linear in its input, so its kernel on R, G, B is the luma kernel times
    LUMA_WEIGHTS[c], and the constant LUMA_OFFSET, through edge padding, adds LUMA_OFFSET times the kernel's sum
    to each output channel's bias: the features are those of the luma network. The head's weights and bias
    for each of R, G and B are the luma head's divided by s = sum(LUMA_WEIGHTS), so the network adds the same
    detail d / s to the bicubic upsampling of every channel: Y rises by exactly d (bicubic is linear and
    preserves constants, so the Y of the bicubic RGB is the bicubic Y), and Cb and Cr, whose RGB weights sum
    to zero, keep the bicubic values. Exact but for rounding the lifted parameters to float32; checked on a
    random input in float64 before returning."""
    if luma.channels != 1 or rgb.channels != 3:
        raise ValueError("lifting takes a luma network into an RGB network")
    state = {k: v.clone() for k, v in luma.state_dict().items()}
    weights = torch.tensor(LUMA_WEIGHTS, dtype=torch.float64)
    s = float(weights.sum())
    expand, project = state["first.expand"].double(), state["first.project"].double()
    kernel_sum = torch.einsum("op,pikl->o", project, expand)
    state["first.expand"] = (expand * weights[None, :, None, None]).float()
    state["first.bias"] = (state["first.bias"].double() + LUMA_OFFSET * kernel_sum).float()
    # The head's output channels: axis 1 of ConvTranspose's (P, C, k, k); else axis 0, (C, P, k, k), or for
    # sub-pixel (C r^2, P, k, k) with channel c's r^2 phases consecutive (PixelShuffle's order).
    copies = (1, 3, 1, 1) if luma.family == "deconv" else (3, 1, 1, 1)
    state["head.weight"] = state["head.weight"].repeat(*copies) / s
    state["head.bias"] = state["head.bias"].repeat(3) / s
    rgb.load_state_dict(state)
    _check_lift(luma, rgb, weights)


def _check_lift(luma, rgb, weights):
    """The lift's promise on a random input of odd size, run in float64: Y and chroma within 1e-5 (the lifted
    parameters are float32, each within 2^-24 of its exact value; observed errors are near 1e-6 at most)."""
    generator = torch.Generator().manual_seed(0)
    x = torch.rand(1, 3, 13, 11, generator=generator, dtype=torch.float64)
    y_in = LUMA_OFFSET + torch.einsum("c,nchw->nhw", weights, x)[:, None]
    luma64, rgb64 = copy.deepcopy(luma).double(), copy.deepcopy(rgb).double()
    with torch.no_grad():
        out = rgb64(x)
        expected_y = luma64(y_in)
        bicubic = collapsible.upsample_input(x, rgb.scale)
    out_y = LUMA_OFFSET + torch.einsum("c,nchw->nhw", weights, out)[:, None]
    # Cb and Cr up to their offsets and scales: B - Y and R - Y directions, whose luma weights sum to zero.
    chroma = torch.tensor([[-37.797, -74.203, 112.0], [112.0, -93.786, -18.214]], dtype=torch.float64) / 255
    errors = {"Y": float((out_y - expected_y).abs().max()),
              "chroma": float(torch.einsum("kc,nchw->nkhw", chroma, out - bicubic).abs().max())}
    if max(errors.values()) > 1e-5:
        raise SystemExit(f"lifting the luma network into RGB is not exact: largest errors {errors}")


def load_trained(path, config):
    """A trained network from a checkpoint, in eval mode (collapsed when collapsible): a teacher. The weights
    of its best validation when the checkpoint holds them (last.pt, compact), else its weights."""
    source_config, state, best_plain = _checkpoint_state(path)
    for k in ("scale", "color"):
        if source_config[k] != config[k]:
            raise SystemExit(f"--teacher {path}: {k} {source_config[k]}, this run {config[k]}")
    network = build_network(source_config)
    network.load_state_dict(state)
    network = network.deploy() if isinstance(network, collapsible.CollapsibleNet) else network
    if best_plain is not None:
        network.load_state_dict(best_plain)
    for p in network.parameters():
        p.requires_grad_(False)
    return network.eval()
