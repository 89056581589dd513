"""Each collapse is exact: the exported network computes what the over-parameterised one defines, within a
written bound on float32 rounding.

For every case (family, scale, colour, block) a CollapsibleNet gets random weights (its initialisation, then
every parameter perturbed, so every branch, edge scale and PReLU slope matters), is collapsed and exported to
ONNX (training/onnx_export.py, which also checks the file). The reference is the training network as defined:
`collapsible.branches()`, every block branch by branch and the heads' real operators, in float64, on random
float32 inputs of odd sizes. The export must match it within `float32_error_bound`, element by element:

  * through PyTorch: the ONNX graph run op by op by onnx_export.run_graph in float32 (here);
  * through the GPU pipeline: the C# test (tests/RealtimeUpscale.Tests/Training/CollapseTests.cs) runs this
    script with --out DIR, which writes each case's model, inputs, references and bounds, and runs the models
    on the Vulkan device.

The bound is a first-order running error analysis of the plain network in float32 (u = 2^-24,
gamma_n = n u / (1 - n u)). Each operation i of the exported graph, computed in float32 from exact inputs,
errs by at most a local bound d_i (Higham's bound for a sum of n products in any order, with or without FMA):
  * convolution / transposed convolution with n products and a bias per output, weights rounded to float32
    from the float64 collapse (one more u): d = gamma_{n+2} (|W| * |z| + |b|), * the layer's own operator with
    absolute weights on the layer's exact input z;
  * PReLU and addition: d = u |result|;
  * bicubic x r (16 taps, a = -0.75, tap weights computed in float32 from a source coordinate at most H + 1):
    d = (gamma_16 S^2 + 16 (8 u + D dt)) N(|x|), S the largest sum of |taps| on one axis, D the largest |slope|
    of the cubic, dt = 8 u (H + 2) the error of a tap's offset, N the 5x5 maximum around the output's nearest
    source pixel (every tap lies within 2 source pixels of it);
  * edge padding, pixel shuffle and nearest upsampling only move values.
An error e_i made at operation i reaches the output through the rest of the network, to first order, as
J_i e_i (J_i its Jacobian at the exact values), so |output - exact| <= sum_i |J_i| d_i + O(u^2), element by
element. The |J_i| come from autograd, in float64, with an error input added after every operation. The
bound uses the network's own signed Jacobians, not products of absolute weights (which grow like 15^depth
here and would allow anything); it is still a worst case, typically 100 to 1000 times the observed error, and
a wrong tap, phase or border in a collapse errs by far more than it.

It also lifts a random luma network of each family into RGB (run_state.lift_luma_to_rgb, an RGB run's warm
start), which must keep the luma network's Y and the bicubic chroma (checked in float64 by the lift itself).

    /usr/bin/python3 training/test_collapse.py            # PyTorch checks, a few seconds
    /usr/bin/python3 training/test_collapse.py --out DIR  # and the files the GPU test reads
"""

import argparse
import copy
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

import collapsible  # noqa: E402
import networks  # noqa: E402
import onnx_export  # noqa: E402
import run_state  # noqa: E402

U = 2.0 ** -24
CUBIC_A = -0.75
# (family, scale, colour, block): every family at an even and an odd scale with ECB blocks, every family at x4
# with SESR linear blocks, and the RGB models' shape.
CASES = [(f, r, "y", "ecb") for f in networks.FAMILIES for r in (2, 3)] + \
        [(f, 4, "y", "linear") for f in networks.FAMILIES] + [("subpixel", 2, "rgb", "ecb")]
# One odd size per scale, small enough for the Jacobians of the bound to take well under a second.
SIZES = {2: (13, 11), 3: (9, 7), 4: (7, 9)}


def gamma(n):
    return n * U / (1 - n * U)


def _cubic(t):
    t = abs(t)
    if t <= 1:
        return ((CUBIC_A + 2) * t - (CUBIC_A + 3)) * t * t + 1
    if t < 2:
        return ((CUBIC_A * t - 5 * CUBIC_A) * t + 8 * CUBIC_A) * t - 4 * CUBIC_A
    return 0.0


def _cubic_constants(r):
    """S: the largest sum of |taps| over the phases of x r; D: the largest |slope| of the cubic."""
    s = 0.0
    for i in range(r):
        source = (i + 0.5) / r - 0.5
        frac = source - np.floor(source)
        s = max(s, sum(abs(_cubic(frac - j)) for j in (-1, 0, 1, 2)))
    grid = np.linspace(0, 2, 20001)
    d = max(abs(_cubic(t + 1e-7) - _cubic(t - 1e-7)) / 2e-7 for t in grid)
    return s, d


def _abs_conv(z, conv):
    """(|W| * |z| + |b|, n) for a Conv2d with edge padding: the magnitude its float32 sums are bounded by."""
    k = conv.kernel_size[0] // 2
    magnitude = F.conv2d(F.pad(z.abs(), (k, k, k, k), mode="replicate"), conv.weight.abs(), conv.bias.abs())
    return magnitude, conv.weight[0].numel()


def _abs_head(z, head, family, r):
    if family == "subpixel":
        magnitude, n = _abs_conv(z, head[0])
        return F.pixel_shuffle(magnitude, r), n
    if family == "resizeconv":
        return _abs_conv(F.interpolate(z, scale_factor=float(r), mode="nearest"), head.conv)
    k = head.kernel_size[0]
    magnitude = F.conv_transpose2d(z.abs(), head.weight.abs(), head.bias.abs(), stride=r, padding=k // 2,
                                   output_padding=r - 1)
    return magnitude, head.in_channels * (-(-k // r)) ** 2


def _bicubic_local(x, r):
    s, d = _cubic_constants(r)
    dt = 8 * U * (x.shape[2] + 2)
    envelope = F.interpolate(F.max_pool2d(x.abs(), 5, stride=1, padding=2), scale_factor=float(r), mode="nearest")
    return (gamma(16) * s * s + 16 * (8 * U + d * dt)) * envelope


def _forward_with_errors(plain, x, errors, local):
    """The plain network in float64 with errors[i] added after operation i; appends each local bound d_i."""
    it = iter(errors)

    def record(value, bound):
        local.append(bound.detach())
        return value + next(it)

    def conv(layer, z):
        k = layer.kernel_size[0] // 2
        value = F.conv2d(F.pad(z, (k, k, k, k), mode="replicate"), layer.weight, layer.bias)
        magnitude, n = _abs_conv(z.detach(), layer)
        return record(value, gamma(n + 2) * magnitude)

    def act(a, z):
        value = a(z)
        return record(value, U * value.abs())

    features = act(plain.first_act, conv(plain.first, x))
    y = features
    for layer, a in zip(plain.layers, plain.acts):
        y = act(a, conv(layer, y))
    z = record(y + features, U * (y + features).abs())
    magnitude, n = _abs_head(z.detach(), plain.head, plain.family, plain.scale)
    head = record(plain.head(z), gamma(n + 2) * magnitude)
    residual = record(collapsible.upsample_input(x, plain.scale), _bicubic_local(x, plain.scale))
    return record(head + residual, U * (head + residual).abs())


def float32_error_bound(plain, x, chunk=256):
    """Element-wise first-order bound on |plain network in float32 - exact| for float32 input x (docstring)."""
    plain = copy.deepcopy(plain).double()
    x = x.double()
    with torch.no_grad(), networks.explicit_ops():
        local = []
        probe = _forward_with_errors(plain, x, [0.0] * 64, local)
    errors = [torch.zeros_like(d, requires_grad=True) for d in local]
    local = []
    with networks.explicit_ops():
        y = _forward_with_errors(plain, x, errors, local).reshape(-1)
    bound = torch.zeros(y.numel(), dtype=torch.float64)
    for start in range(0, y.numel(), chunk):
        rows = torch.arange(start, min(y.numel(), start + chunk))
        seeds = torch.zeros(len(rows), y.numel(), dtype=torch.float64)
        seeds[torch.arange(len(rows)), rows] = 1
        grads = torch.autograd.grad(y, errors, seeds, retain_graph=True, is_grads_batched=True)
        bound[rows] = sum((g.abs() * d).flatten(1).sum(1) for g, d in zip(grads, local))
    return bound.reshape(probe.shape)


def random_network(family, scale, color, block, seed):
    torch.manual_seed(seed)
    net = collapsible.CollapsibleNet(family, scale, 1 if color == "y" else 3, block=block)
    with torch.no_grad():
        for name, p in net.named_parameters():
            # Perturb relative to each tensor's own scale; edge scales and PReLU slopes get an absolute spread
            # (slopes of both signs and beyond 1, so the bound's Lipschitz factors are exercised).
            spread = 0.3 if ("edge_scale" in name or "act" in name) else 0.3 * float(p.abs().mean()) + 1e-3
            p.add_(torch.randn_like(p) * spread)
    return net


def run_case(family, scale, color, block, seed, out_dir=None):
    """Checks one case through PyTorch; returns (worst error / bound ratio, case record for the GPU test)."""
    net = random_network(family, scale, color, block, seed)
    plain = net.deploy()
    name = f"{family}_x{scale}_{color}_{block}"
    params, macs = collapsible.count_cost(net)
    # FSRCNN's 12.5 k multiply-adds per input pixel bound every luma network; RGB stays within 1.5x a luma one.
    if macs > (12_500 if color == "y" else 15_000):
        raise AssertionError(f"{name}: {macs} multiply-adds per input pixel")
    path = os.path.join(out_dir or "/tmp", name + ".onnx")
    metadata = {"colorspace": color, "scale": scale, "family": family, "input_range": "0-1",
                "architecture": net.architecture(), "trained": "false"}
    proto = onnx_export.export(plain, path, metadata, reference=net)
    if out_dir is None:
        os.remove(path)
    reference_net = copy.deepcopy(net).double()
    worst, inputs = 0.0, []
    for i, (h, w) in enumerate([SIZES[scale]]):
        x = torch.rand(1, net.channels, h, w, generator=torch.Generator().manual_seed(seed * 10 + i))
        with torch.no_grad(), collapsible.branches():
            reference = reference_net(x.double())
        bound = float32_error_bound(plain, x)
        got = torch.from_numpy(onnx_export.run_graph(proto, x.numpy())).double()
        if got.shape != reference.shape:
            raise AssertionError(f"{name}: ONNX output {tuple(got.shape)}, reference {tuple(reference.shape)}")
        ratio = float(((got - reference).abs() / bound).max())
        if not ratio <= 1:
            raise AssertionError(f"{name} at {h}x{w}: the ONNX graph in PyTorch exceeds the bound ({ratio:.2f} of it)")
        worst = max(worst, ratio)
        if out_dir is not None:
            stem = f"{name}_{h}x{w}"
            x.numpy().astype("<f4").tofile(os.path.join(out_dir, stem + ".input.f32"))
            reference.numpy().astype("<f8").tofile(os.path.join(out_dir, stem + ".reference.f64"))
            bound.numpy().astype("<f8").tofile(os.path.join(out_dir, stem + ".bound.f64"))
            inputs.append({"stem": stem, "channels": net.channels, "height": h, "width": w,
                           "out_height": h * scale, "out_width": w * scale})
    return worst, {"name": name, "model": name + ".onnx", "params": params, "macs": macs, "inputs": inputs}


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--out", help="write each case's model, inputs, references and bounds here")
    args = p.parse_args(argv)
    torch.set_num_threads(1)
    if args.out:
        os.makedirs(args.out, exist_ok=True)
    records = []
    for seed, case in enumerate(CASES, start=1):
        worst, record = run_case(*case, seed, args.out)
        records.append(record)
        print(f"{record['name']}: {record['params']} parameters, {record['macs']} multiply-adds per input pixel; "
              f"the ONNX graph in PyTorch errs by at most {worst:.2e} of the float32 bound")
    for seed, family in enumerate(networks.FAMILIES, start=len(CASES) + 1):
        # Lifting a luma network into RGB (run_state.lift_luma_to_rgb, an RGB run's warm start) keeps its Y and
        # the bicubic chroma; the lift checks itself in float64 and stops with the errors when it is not exact.
        run_state.lift_luma_to_rgb(random_network(family, 2, "y", "ecb", seed),
                                   collapsible.CollapsibleNet(family, 2, 3))
        print(f"{family} x2: the luma network lifted into RGB keeps its Y and the bicubic chroma")
    if args.out:
        with open(os.path.join(args.out, "cases.json"), "w", encoding="utf-8") as f:
            json.dump({"cases": records}, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
