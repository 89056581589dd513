"""Generate PyTorch golden data for the RealtimeUpscale operator tests.

Run from the repository root with an interpreter that has torch and numpy:

    /usr/bin/python3 tests/golden/generate.py

It writes tests/RealtimeUpscale.Tests/Golden/torch_golden.json. The output is
deterministic: every case draws its random tensors from a torch.Generator
seeded with the CRC-32 of the case name, all math is float32 on the CPU with
one thread, and batch size is 1. Running it twice gives the same bytes.

JSON format:

    {
      "generator": "tests/golden/generate.py",
      "torch_version": "<torch.__version__>",
      "cases": [ CASE, ... ]
    }

A tensor is {"shape": [...], "data": [row-major floats]}; floats are written
with 9 significant digits, which round-trips float32 exactly. Inputs and
outputs have shape [C, H, W] (batch dimension dropped). Random inputs are
uniform in [-1, 1], random weights and biases uniform in [-0.5, 0.5].

Every CASE has "name" (unique), "op", "input", "output", "params", plus the
op-specific tensors below. An "activation" object is
{"kind": "none" | "relu" | "tanh" | "sigmoid"},
{"kind": "prelu", "slope": s} (one shared slope),
{"kind": "prelu", "slopes": [...]} (one per output channel),
{"kind": "leaky_relu", "alpha": a} or {"kind": "clip", "min": a, "max": b}.

  conv2d            tensors "weight" [OC, IC/groups, KH, KW], "bias" [OC] or null.
                    params "stride" [sy, sx], "padding" [top, left, bottom, right],
                    "padding_mode" "zeros" | "replicate" | "reflect", "groups",
                    "dilation" [dy, dx], "activation".
  conv_transpose2d  tensors "weight" [IC, OC/groups, KH, KW], "bias" [OC] or null.
                    params "stride" [sy, sx], "padding" [py, px] (symmetric, as
                    PyTorch), "output_padding" [oy, ox], "groups", "activation".
  pixel_shuffle     params "scale" r, "order" "crd" (torch.pixel_shuffle) or
                    "dcr" (ONNX DepthToSpace default mode).
  interpolate       params "mode" "nearest" | "bilinear" | "bicubic",
                    "align_corners" true | false | null (null for nearest) and
                    either "scale_factor" [sy, sx] or "size" [oh, ow].
                    With scale_factor, torch (recompute_scale_factor=None) makes
                    the output floor(in * s) and, unless align_corners is true,
                    maps output to input coordinates with 1/s, not in/out;
                    "recompute_scale_factor": true (optional) maps with in/out.
                    "nearest" is PyTorch's legacy nearest:
                    src = min(floor(dst * scale), in - 1).
  blurpool          Zhang 2019 antialiased-cnns Downsample. params
                    "filter_size" 1..7, "stride", "padding_mode"
                    "reflect" | "replicate" | "zeros".
  resize_conv       interpolate then conv2d. params "upsample" (interpolate
                    params), "conv" (conv2d params; its "activation" is the
                    case's activation). tensors "weight", "bias".
  subpixel_conv     conv2d to C*r*r channels then pixel shuffle. params "conv"
                    (conv2d params; its "activation" applies per conv output
                    channel before the shuffle), "shuffle" {"scale", "order"}.
                    tensors "weight", "bias".
  add               tensor "input2" (same shape as input); params "activation".
  scale_bias        tensors "scale" [C] and "bias" [C];
                    output = activation(x * scale[c] + bias[c]).

  pool2d            params "mode" "max" | "average", "global" (F.adaptive_*_pool2d(1):
                    output [C, 1, 1]) or "kernel" [kh, kw], "stride" [sy, sx],
                    "padding" [top, left, bottom, right] (reads nothing: max
                    ignores it) and "count_include_pad" (average divides by the
                    window's size instead of the real pixels).
  fully_connected   tensors "weight" [OUT, IN], "bias" [OUT] or null; the input
                    flattened in (c, y, x) order; output [OUT, 1, 1];
                    params "activation".
  binary            tensor "input2", the same shape as the input or with a
                    size-1 channel axis or a 1 x 1 plane (either side);
                    params "op" "add" | "sub" | "mul" | "div", "activation".
  squeeze_excitation tensors "fc1_weight" [R, C], "fc1_bias" [R], "fc2_weight"
                    [C, R], "fc2_bias" [C]: x * sigmoid(fc2(relu(fc1(mean of x
                    over H x W)))) per channel.
  crop              params "top", "left", "bottom", "right", "channel_start",
                    "channel_count" (null: to the last channel).
  crop_to           tensor "input2" (only its shape counts); params "top",
                    "left", "channel_start": the input's window of input2's shape.
  concat            tensor "input2": the input's channels, then input2's.
  pad               params "padding" [top, left, bottom, right], "mode".
  activation        params "activation", on its own.
  ncnn              params "layers": the lines of an ncnn .param after its magic
                    and counts (the input layer "in" has 3 channels); tensor "bin":
                    the .bin as float32 values, each tagged weight blob preceded by
                    its tag 0 (four zero bytes: float32 data). The output is what
                    ncnn computes for that model (tests/golden/ncnn_ops.py).

The spec-level cases of the operators the ncnn importer brought in, and the
"ncnn" cases, are written by tests/golden/ncnn_ops.py.

"odena_deconv_k3_s2_constant" is an op "conv_transpose2d" case with a constant
input, showing the checkerboard pattern of Odena et al. 2016.
"""

import math
import os
import sys
import zlib

import numpy as np
import torch
import torch.nn.functional as F

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT_PATH = os.path.join(REPO_ROOT, "tests", "RealtimeUpscale.Tests", "Golden", "torch_golden.json")

# Dyadic values, exact in float32, of both signs.
SLOPES = [0.25, -0.125, 0.5, 0.0625, -0.25, 0.375, 0.125, -0.5, 0.75, -0.0625, 0.1875, -0.375]

torch.manual_seed(0)
np.random.seed(0)
torch.set_num_threads(1)
torch.use_deterministic_algorithms(True)

cases = []


# ---------------------------------------------------------------- helpers

class F32Data:
    """A flat float32 array to be written with round-tripping precision."""

    def __init__(self, values):
        self.values = np.asarray(values, dtype=np.float32).reshape(-1)


def tensor_json(t):
    t = t.detach().to(torch.float32)
    a = t.numpy()
    assert np.all(np.isfinite(a))
    return {"shape": list(a.shape), "data": F32Data(a)}


def chw_json(t):
    assert t.dim() == 4 and t.shape[0] == 1
    return tensor_json(t[0])


def gen_for(name):
    return torch.Generator().manual_seed(zlib.crc32(name.encode("utf-8")))


def rand_input(g, c, h, w):
    return torch.rand((1, c, h, w), generator=g, dtype=torch.float32) * 2 - 1


def rand_weight(g, *shape):
    return torch.rand(shape, generator=g, dtype=torch.float32) - 0.5


def act_none():
    return {"kind": "none"}


def act_prelu_channels(n):
    return {"kind": "prelu", "slopes": [SLOPES[i % len(SLOPES)] for i in range(n)]}


def apply_activation(y, act):
    kind = act["kind"]
    if kind == "none":
        return y
    if kind == "relu":
        return F.relu(y)
    if kind == "prelu":
        # An activation whose negative branch matters must see negative inputs.
        assert (y < 0).any() and (y > 0).any()
        if "slopes" in act:
            assert len(act["slopes"]) == y.shape[1]
            w = torch.tensor(act["slopes"], dtype=torch.float32)
        else:
            w = torch.tensor([act["slope"]], dtype=torch.float32)
        return F.prelu(y, w)
    if kind == "leaky_relu":
        assert (y < 0).any() and (y > 0).any()
        return F.leaky_relu(y, act["alpha"])
    if kind == "tanh":
        return torch.tanh(y)
    if kind == "sigmoid":
        return torch.sigmoid(y)
    if kind == "clip":
        # Both bounds must be hit for the case to test them.
        assert (y < act["min"]).any() and (y > act["max"]).any()
        return torch.clamp(y, act["min"], act["max"])
    raise ValueError(kind)


def add_case(name, op, x, y, params, **tensors):
    assert all(c["name"] != name for c in cases), name
    case = {"name": name, "op": op, "input": chw_json(x), "output": chw_json(y), "params": params}
    for key, value in tensors.items():
        case[key] = None if value is None else tensor_json(value)
    cases.append(case)


def check_signs(y, act):
    """Outputs must have both signs unless the activation rules that out."""
    if act["kind"] in ("relu", "sigmoid"):
        return
    if act["kind"] == "clip" and act["min"] >= 0:
        return
    # A negative slope maps negatives to positives.
    if act.get("alpha", 0) < 0 or act.get("slope", 0) < 0:
        return
    assert (y < 0).any() and (y > 0).any()


# ---------------------------------------------------------------- reference ops

def conv2d_ref(x, weight, bias, p):
    top, left, bottom, right = p["padding"]
    mode = {"zeros": "constant", "replicate": "replicate", "reflect": "reflect"}[p["padding_mode"]]
    if top or left or bottom or right:
        x = F.pad(x, (left, right, top, bottom), mode=mode)
    y = F.conv2d(x, weight, bias, stride=tuple(p["stride"]), padding=0,
                 dilation=tuple(p["dilation"]), groups=p["groups"])
    return apply_activation(y, p["activation"])


def conv_transpose2d_ref(x, weight, bias, p):
    y = F.conv_transpose2d(x, weight, bias, stride=tuple(p["stride"]), padding=tuple(p["padding"]),
                           output_padding=tuple(p["output_padding"]), groups=p["groups"])
    return apply_activation(y, p["activation"])


def pixel_shuffle_ref(x, p):
    r = p["scale"]
    if p["order"] == "crd":
        return F.pixel_shuffle(x, r)
    n, c, h, w = x.shape
    c_out = c // (r * r)
    return x.reshape(n, r, r, c_out, h, w).permute(0, 3, 4, 1, 5, 2).reshape(n, c_out, h * r, w * r)


def interpolate_ref(x, p):
    if "scale_factor" in p:
        return F.interpolate(x, scale_factor=tuple(p["scale_factor"]), mode=p["mode"],
                             align_corners=p["align_corners"],
                             recompute_scale_factor=p.get("recompute_scale_factor"))
    return F.interpolate(x, size=tuple(p["size"]), mode=p["mode"], align_corners=p["align_corners"])


def blurpool_ref(x, p):
    """antialiased_cnns.Downsample with pad_off=0."""
    k, stride = p["filter_size"], p["stride"]
    if k == 1:
        return x[:, :, ::stride, ::stride]
    a = torch.tensor([math.comb(k - 1, i) for i in range(k)], dtype=torch.float32)
    filt = a[:, None] * a[None, :]
    filt = filt / torch.sum(filt)
    c = x.shape[1]
    filt = filt[None, None, :, :].repeat(c, 1, 1, 1)
    lo, hi = (k - 1) // 2, int(math.ceil((k - 1) / 2))
    mode = {"zeros": "constant", "replicate": "replicate", "reflect": "reflect"}[p["padding_mode"]]
    return F.conv2d(F.pad(x, (lo, hi, lo, hi), mode=mode), filt, stride=stride, groups=c)


# ---------------------------------------------------------------- case builders

def conv_params(stride=(1, 1), padding=(0, 0, 0, 0), padding_mode="zeros", groups=1,
                dilation=(1, 1), activation=None):
    return {"stride": list(stride), "padding": list(padding), "padding_mode": padding_mode,
            "groups": groups, "dilation": list(dilation), "activation": activation or act_none()}


def conv2d_case(name, ic, oc, hw, k, bias=True, **kw):
    g = gen_for(name)
    kh, kw_ = (k, k) if isinstance(k, int) else k
    p = conv_params(**kw)
    x = rand_input(g, ic, *hw)
    weight = rand_weight(g, oc, ic // p["groups"], kh, kw_)
    b = rand_weight(g, oc) if bias else None
    y = conv2d_ref(x, weight, b, p)
    check_signs(y, p["activation"])
    add_case(name, "conv2d", x, y, p, weight=weight, bias=b)


def deconv_case(name, ic, oc, hw, k, stride, padding, output_padding=(0, 0), groups=1,
                bias=True, activation=None):
    g = gen_for(name)
    kh, kw_ = (k, k) if isinstance(k, int) else k
    p = {"stride": list(stride), "padding": list(padding), "output_padding": list(output_padding),
         "groups": groups, "activation": activation or act_none()}
    x = rand_input(g, ic, *hw)
    weight = rand_weight(g, ic, oc // groups, kh, kw_)
    b = rand_weight(g, oc) if bias else None
    y = conv_transpose2d_ref(x, weight, b, p)
    check_signs(y, p["activation"])
    add_case(name, "conv_transpose2d", x, y, p, weight=weight, bias=b)


def pixel_shuffle_case(name, c_out, hw, r, order):
    g = gen_for(name)
    p = {"scale": r, "order": order}
    x = rand_input(g, c_out * r * r, *hw)
    add_case(name, "pixel_shuffle", x, pixel_shuffle_ref(x, p), p)


def interpolate_case(name, c, hw, mode, align_corners=None, scale_factor=None, size=None, recompute=False):
    g = gen_for(name)
    p = {"mode": mode, "align_corners": align_corners}
    if scale_factor is not None:
        p["scale_factor"] = [float(s) for s in scale_factor]
        if recompute:
            p["recompute_scale_factor"] = True
    else:
        p["size"] = list(size)
    x = rand_input(g, c, *hw)
    add_case(name, "interpolate", x, interpolate_ref(x, p), p)


def blurpool_case(name, c, hw, k, stride, padding_mode):
    g = gen_for(name)
    p = {"filter_size": k, "stride": stride, "padding_mode": padding_mode}
    x = rand_input(g, c, *hw)
    add_case(name, "blurpool", x, blurpool_ref(x, p), p)


def resize_conv_case(name, ic, oc, hw, up, k, **conv_kw):
    g = gen_for(name)
    p = {"upsample": up, "conv": conv_params(**conv_kw)}
    x = rand_input(g, ic, *hw)
    weight = rand_weight(g, oc, ic // p["conv"]["groups"], k, k)
    b = rand_weight(g, oc)
    y = conv2d_ref(interpolate_ref(x, up), weight, b, p["conv"])
    check_signs(y, p["conv"]["activation"])
    add_case(name, "resize_conv", x, y, p, weight=weight, bias=b)


def subpixel_conv_case(name, ic, c_out, hw, r, order, k, **conv_kw):
    g = gen_for(name)
    p = {"conv": conv_params(**conv_kw), "shuffle": {"scale": r, "order": order}}
    x = rand_input(g, ic, *hw)
    oc = c_out * r * r
    weight = rand_weight(g, oc, ic // p["conv"]["groups"], k, k)
    b = rand_weight(g, oc)
    y = pixel_shuffle_ref(conv2d_ref(x, weight, b, p["conv"]), p["shuffle"])
    add_case(name, "subpixel_conv", x, y, p, weight=weight, bias=b)


# ---------------------------------------------------------------- cases

# conv2d
conv2d_case("conv2d_k1_s1_zeros_g1_none", 3, 5, (13, 7), 1)
conv2d_case("conv2d_k1_s2_zeros_g1_nobias", 5, 3, (9, 5), 1, bias=False, stride=(2, 2))
conv2d_case("conv2d_k3_s1_zeros_g1_relu", 3, 4, (13, 7), 3, padding=(1, 1, 1, 1),
            activation={"kind": "relu"})
conv2d_case("conv2d_k3_s1_valid_g1_clip", 3, 4, (9, 11), 3,
            activation={"kind": "clip", "min": -0.5, "max": 0.75})
conv2d_case("conv2d_k3_s2_reflect_g1_prelu_shared", 5, 3, (13, 7), 3, stride=(2, 2),
            padding=(1, 1, 1, 1), padding_mode="reflect", activation={"kind": "prelu", "slope": 0.25})
conv2d_case("conv2d_k3_s2_replicate_g1_prelu_channel", 3, 6, (13, 7), 3, stride=(2, 2),
            padding=(1, 1, 1, 1), padding_mode="replicate", activation=act_prelu_channels(6))
conv2d_case("conv2d_k3_s3_reflect_g1_leaky", 5, 4, (13, 11), 3, stride=(3, 3),
            padding=(1, 1, 1, 1), padding_mode="reflect",
            activation={"kind": "leaky_relu", "alpha": -0.125})
conv2d_case("conv2d_k3_s1_zeros_g1_nobias", 3, 3, (7, 11), 3, bias=False, padding=(1, 1, 1, 1))
conv2d_case("conv2d_k5_s1_zeros_g1_tanh", 3, 4, (7, 11), 5, padding=(2, 2, 2, 2),
            activation={"kind": "tanh"})
conv2d_case("conv2d_k5_s2_replicate_g1_sigmoid", 5, 3, (9, 5), 5, stride=(2, 2),
            padding=(2, 2, 2, 2), padding_mode="replicate", activation={"kind": "sigmoid"})
conv2d_case("conv2d_k5_s3_reflect_g1_leaky", 3, 5, (13, 11), 5, stride=(3, 3),
            padding=(2, 2, 2, 2), padding_mode="reflect", activation={"kind": "leaky_relu", "alpha": 0.25})
conv2d_case("conv2d_k9_s1_zeros_g1_prelu_shared", 3, 4, (13, 11), 9, padding=(4, 4, 4, 4),
            activation={"kind": "prelu", "slope": -0.125})
conv2d_case("conv2d_k9_s1_reflect_g1_clip", 3, 2, (13, 7), 9, padding=(4, 4, 4, 4),
            padding_mode="reflect", activation={"kind": "clip", "min": -1.0, "max": 1.5})
conv2d_case("conv2d_k3x5_s1_zeros_g1_none", 3, 4, (7, 11), (3, 5), padding=(1, 2, 1, 2))
conv2d_case("conv2d_k3x5_s1_replicate_asympad_g1_none", 5, 3, (9, 5), (3, 5), padding=(0, 1, 2, 3),
            padding_mode="replicate")
conv2d_case("conv2d_k3_s1x2_reflect_g1_none", 3, 4, (13, 7), 3, stride=(1, 2), padding=(1, 1, 1, 1),
            padding_mode="reflect")
# TF "SAME" style: extra padding at bottom/right only.
conv2d_case("conv2d_k3_s2x1_zeros_asympad_g1_relu", 5, 4, (9, 5), 3, stride=(2, 1),
            padding=(0, 1, 1, 1), activation={"kind": "relu"})
conv2d_case("conv2d_k3_s1_zeros_g2_ic4_oc6_relu", 4, 6, (7, 11), 3, groups=2,
            padding=(1, 1, 1, 1), activation={"kind": "relu"})
conv2d_case("conv2d_k3_s2_replicate_g2_ic4_oc6_prelu_channel", 4, 6, (9, 5), 3, groups=2,
            stride=(2, 2), padding=(1, 1, 1, 1), padding_mode="replicate", activation=act_prelu_channels(6))
conv2d_case("conv2d_k3_s1_reflect_depthwise_c5_none", 5, 5, (13, 7), 3, groups=5,
            padding=(1, 1, 1, 1), padding_mode="reflect")
conv2d_case("conv2d_k3_s2_zeros_depthwise_mult2_ic3_oc6_none", 3, 6, (9, 11), 3, groups=3,
            stride=(2, 2), padding=(1, 1, 1, 1))
conv2d_case("conv2d_k3_s1_zeros_d2_g1_none", 3, 4, (13, 7), 3, dilation=(2, 2), padding=(2, 2, 2, 2))
conv2d_case("conv2d_k3_s1_reflect_d2x1_depthwise_c5_prelu_channel", 5, 5, (9, 11), 3, groups=5,
            dilation=(2, 1), padding=(2, 1, 2, 1), padding_mode="reflect",
            activation=act_prelu_channels(5))

# conv_transpose2d
deconv_case("deconv_k3_s2_p1_op1_g1_none", 3, 4, (7, 5), 3, (2, 2), (1, 1), (1, 1))
deconv_case("deconv_k3_s2_p0_op0_g1_leaky", 3, 2, (5, 7), 3, (2, 2), (0, 0),
            activation={"kind": "leaky_relu", "alpha": 0.25})
deconv_case("deconv_k9_s2_p4_op1_g1_prelu_shared", 5, 3, (7, 5), 9, (2, 2), (4, 4), (1, 1),
            activation={"kind": "prelu", "slope": 0.25})
deconv_case("deconv_k9_s3_p4_op2_g1_none", 5, 1, (7, 5), 9, (3, 3), (4, 4), (2, 2))
deconv_case("deconv_k9_s4_p4_op3_g1_prelu_channel", 3, 3, (5, 7), 9, (4, 4), (4, 4), (3, 3),
            activation=act_prelu_channels(3))
deconv_case("deconv_k4_s2_p1_op0_g1_relu", 3, 4, (7, 5), 4, (2, 2), (1, 1),
            activation={"kind": "relu"})
deconv_case("deconv_k2_s2_p0_op0_g1_nobias", 5, 3, (5, 7), 2, (2, 2), (0, 0), bias=False)
deconv_case("deconv_k3_s2_p1_op1_g2_ic4_oc6_none", 4, 6, (5, 7), 3, (2, 2), (1, 1), (1, 1), groups=2)
deconv_case("deconv_k3x5_s1x2_p1x2_op0x1_g1_tanh", 3, 4, (7, 5), (3, 5), (1, 2), (1, 2), (0, 1),
            activation={"kind": "tanh"})
deconv_case("deconv_k3_s3_p1_op1_g1_nobias_none", 3, 2, (5, 7), 3, (3, 3), (1, 1), (1, 1), bias=False)

# Odena et al. 2016: stride 2 with kernel 3 overlaps unevenly, so a constant
# input gives a checkerboard of 1, 2 and 4.
x_ones = torch.ones((1, 1, 8, 8), dtype=torch.float32)
w_ones = torch.ones((1, 1, 3, 3), dtype=torch.float32)
odena_params = {"stride": [2, 2], "padding": [0, 0], "output_padding": [0, 0], "groups": 1,
                "activation": act_none()}
add_case("odena_deconv_k3_s2_constant", "conv_transpose2d", x_ones,
         conv_transpose2d_ref(x_ones, w_ones, None, odena_params), odena_params, weight=w_ones, bias=None)

# pixel_shuffle
pixel_shuffle_case("pixel_shuffle_r2_crd_c2", 2, (7, 5), 2, "crd")
pixel_shuffle_case("pixel_shuffle_r2_dcr_c3", 3, (5, 7), 2, "dcr")
pixel_shuffle_case("pixel_shuffle_r3_crd_c3", 3, (5, 3), 3, "crd")
pixel_shuffle_case("pixel_shuffle_r3_dcr_c2", 2, (3, 5), 3, "dcr")
pixel_shuffle_case("pixel_shuffle_r4_crd_c2", 2, (3, 5), 4, "crd")
pixel_shuffle_case("pixel_shuffle_r4_dcr_c3", 3, (5, 3), 4, "dcr")

# interpolate
interpolate_case("interp_nearest_sf2", 3, (7, 5), "nearest", scale_factor=(2, 2))
interpolate_case("interp_nearest_sf3", 3, (5, 7), "nearest", scale_factor=(3, 3))
interpolate_case("interp_nearest_sf1.5", 3, (7, 5), "nearest", scale_factor=(1.5, 1.5))
interpolate_case("interp_nearest_size_17x12", 3, (7, 5), "nearest", size=(17, 12))
interpolate_case("interp_bilinear_sf2_ac0", 3, (7, 5), "bilinear", False, scale_factor=(2, 2))
interpolate_case("interp_bilinear_sf2_ac1", 3, (7, 5), "bilinear", True, scale_factor=(2, 2))
interpolate_case("interp_bilinear_sf3_ac0", 5, (5, 7), "bilinear", False, scale_factor=(3, 3))
interpolate_case("interp_bilinear_sf2.5_ac0", 3, (7, 5), "bilinear", False, scale_factor=(2.5, 2.5))
interpolate_case("interp_bilinear_sf2x3_ac0", 3, (5, 7), "bilinear", False, scale_factor=(2, 3))
interpolate_case("interp_bilinear_size_17x12_ac1", 3, (7, 5), "bilinear", True, size=(17, 12))
interpolate_case("interp_bicubic_sf2_ac0", 3, (7, 5), "bicubic", False, scale_factor=(2, 2))
interpolate_case("interp_bicubic_sf2_ac1", 3, (7, 5), "bicubic", True, scale_factor=(2, 2))
interpolate_case("interp_bicubic_sf3_ac0", 3, (5, 7), "bicubic", False, scale_factor=(3, 3))
interpolate_case("interp_bicubic_sf1.5_ac0", 5, (7, 5), "bicubic", False, scale_factor=(1.5, 1.5))
interpolate_case("interp_bicubic_size_17x12_ac0", 3, (7, 5), "bicubic", False, size=(17, 12))
# recompute_scale_factor=True: output floor(in * s), coordinates mapped with in / out (as ncnn's Interp).
interpolate_case("interp_bilinear_sf1.5x2.5_ac0_recompute", 3, (7, 5), "bilinear", False, scale_factor=(1.5, 2.5),
                 recompute=True)
interpolate_case("interp_bicubic_sf1.5_ac0_recompute", 5, (7, 5), "bicubic", False, scale_factor=(1.5, 1.5),
                 recompute=True)

# blurpool
blurpool_case("blurpool_k1_s2_reflect", 3, (9, 11), 1, 2, "reflect")
blurpool_case("blurpool_k2_s2_replicate", 3, (9, 11), 2, 2, "replicate")
blurpool_case("blurpool_k3_s2_reflect", 3, (9, 11), 3, 2, "reflect")
blurpool_case("blurpool_k4_s2_zeros", 5, (11, 9), 4, 2, "zeros")
blurpool_case("blurpool_k4_s2_reflect", 3, (9, 11), 4, 2, "reflect")
blurpool_case("blurpool_k5_s2_reflect", 3, (11, 13), 5, 2, "reflect")
blurpool_case("blurpool_k6_s2_replicate", 3, (9, 11), 6, 2, "replicate")
blurpool_case("blurpool_k7_s2_reflect", 3, (9, 11), 7, 2, "reflect")
blurpool_case("blurpool_k7_s2_zeros", 5, (11, 9), 7, 2, "zeros")
blurpool_case("blurpool_k3_s3_zeros", 3, (13, 11), 3, 3, "zeros")
blurpool_case("blurpool_k5_s1_replicate", 3, (9, 11), 5, 1, "replicate")
blurpool_case("blurpool_k1_s3_zeros", 3, (11, 13), 1, 3, "zeros")

# resize_conv
resize_conv_case("resize_conv_nearest_x2_k3_zeros_p1_none", 3, 4, (7, 5),
                 {"mode": "nearest", "align_corners": None, "scale_factor": [2.0, 2.0]}, 3,
                 padding=(1, 1, 1, 1))
resize_conv_case("resize_conv_bilinear_x2_ac0_k3_replicate_p1_none", 3, 3, (5, 7),
                 {"mode": "bilinear", "align_corners": False, "scale_factor": [2.0, 2.0]}, 3,
                 padding=(1, 1, 1, 1), padding_mode="replicate")
resize_conv_case("resize_conv_bicubic_x3_ac0_k5_reflect_p2_relu", 3, 2, (5, 3),
                 {"mode": "bicubic", "align_corners": False, "scale_factor": [3.0, 3.0]}, 5,
                 padding=(2, 2, 2, 2), padding_mode="reflect", activation={"kind": "relu"})

# subpixel_conv
subpixel_conv_case("subpixel_conv_k3_zeros_r2_crd_none", 3, 3, (7, 5), 2, "crd", 3, padding=(1, 1, 1, 1))
subpixel_conv_case("subpixel_conv_k3_reflect_r3_dcr_relu", 5, 2, (5, 7), 3, "dcr", 3,
                   padding=(1, 1, 1, 1), padding_mode="reflect", activation={"kind": "relu"})
subpixel_conv_case("subpixel_conv_k3_replicate_r2_dcr_prelu_channel", 3, 3, (5, 3), 2, "dcr", 3,
                   padding=(1, 1, 1, 1), padding_mode="replicate", activation=act_prelu_channels(12))

# add
for act in (act_none(), {"kind": "relu"}):
    name = "add_c5_13x7_" + act["kind"]
    g = gen_for(name)
    x, x2 = rand_input(g, 5, 13, 7), rand_input(g, 5, 13, 7)
    add_case(name, "add", x, apply_activation(x + x2, act), {"activation": act}, input2=x2[0])

# scale_bias
for act in (act_none(), {"kind": "prelu", "slope": -0.125}):
    name = "scale_bias_c3_7x11_" + act["kind"]
    g = gen_for(name)
    x = rand_input(g, 3, 7, 11)
    scale = rand_weight(g, 3)
    bias = rand_weight(g, 3)
    y = apply_activation(x * scale[None, :, None, None] + bias[None, :, None, None], act)
    check_signs(y, act)
    add_case(name, "scale_bias", x, y, {"activation": act}, scale=scale, bias=bias)


import ncnn_ops  # noqa: E402 (its cases use the helpers above)

ncnn_ops.add_cases(sys.modules[__name__])


# ---------------------------------------------------------------- output

def dump(obj, indent=0):
    pad = "  " * indent
    if isinstance(obj, F32Data):
        text = ["%.9g" % v for v in obj.values.tolist()]
        assert np.array_equal(np.array(text, dtype=np.float64).astype(np.float32), obj.values)
        return "[" + ",".join(text) + "]"
    if isinstance(obj, dict):
        if not obj:
            return "{}"
        # Tensors and small parameter objects fit on one line.
        if "data" in obj or all(not isinstance(v, (dict, list)) or
                                (isinstance(v, list) and not any(isinstance(e, dict) for e in v))
                                for v in obj.values()):
            return "{" + ", ".join('"%s": %s' % (k, dump(v)) for k, v in obj.items()) + "}"
        inner = ",\n".join('%s  "%s": %s' % (pad, k, dump(v, indent + 1)) for k, v in obj.items())
        return "{\n" + inner + "\n" + pad + "}"
    if isinstance(obj, (list, tuple)):
        if any(isinstance(v, dict) for v in obj):
            inner = ",\n".join(pad + "  " + dump(v, indent + 1) for v in obj)
            return "[\n" + inner + "\n" + pad + "]"
        return "[" + ", ".join(dump(v) for v in obj) + "]"
    if obj is None:
        return "null"
    if isinstance(obj, bool):
        return "true" if obj else "false"
    if isinstance(obj, int):
        return str(obj)
    if isinstance(obj, float):
        assert math.isfinite(obj)
        return repr(obj)
    if isinstance(obj, str):
        assert '"' not in obj and "\\" not in obj
        return '"' + obj + '"'
    raise TypeError(type(obj))


doc = {"generator": "tests/golden/generate.py", "torch_version": torch.__version__, "cases": cases}
os.makedirs(os.path.dirname(OUT_PATH), exist_ok=True)
with open(OUT_PATH, "w", encoding="utf-8", newline="\n") as f:
    f.write(dump(doc) + "\n")
print("wrote %d cases to %s" % (len(cases), os.path.relpath(OUT_PATH, REPO_ROOT)))
