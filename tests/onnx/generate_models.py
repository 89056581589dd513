"""Generate small ONNX models that exercise every operator and option of the ONNX importer.

Run from the repository root with an interpreter that has torch (1.13), onnx (1.12) and numpy:

    /usr/bin/python3 tests/onnx/generate_models.py

It writes tests/RealtimeUpscale.Tests/Models/*.onnx and Models/manifest.json. The C# tests run each
model on the GPU and on ONNX Runtime at the listed test sizes and compare the outputs.

Every model has one float32 input named "input" of shape [1, C, h, w] and one output named "output"
of shape [1, OC, oh, ow]; h, w, oh and ow are symbolic (dynamic) dimensions. Weights are random but
fixed: each model draws them from a torch.Generator seeded with the CRC-32 of the model's name, so
running the script twice writes the same bytes. Weights are scaled by fan-in so that activations stay
in a useful range; PReLU slopes and BatchNormalization statistics are random too, never the defaults.

Two kinds of model:
  * exported with torch.onnx.export, so the files contain exactly what PyTorch 1.13 writes (reflect
    and replicate padding as a Pad fed by a small constant-only subgraph, PixelShuffle as
    DepthToSpace CRD, interpolate as Resize with Constant-node scales, BatchNormalization kept
    after ConvTranspose);
  * built node by node with onnx.helper, for encodings PyTorch does not write (DepthToSpace DCR,
    Upsample and attribute-form Pad at opset 9, Resize with initializer scales and
    pytorch_half_pixel, asymmetric Conv pads, Pad/Slice/Clip with input operands, float16
    initializers behind Cast, tensors stored in float_data/int64_data/int32_data instead of
    raw_data, Constant nodes with value_float).

All models but one carry metadata_props "colorspace" ("y" or "rgb"), "scale", "input_range"
("0-1") and "family"; no_metadata_luma_x2 has none, to test inference when it is absent.

Before a model is written it is checked with onnx.checker (full check, with shape inference) and run
at both test sizes by the small reference interpreter below (numpy and torch.nn.functional); its
output must match an independent PyTorch forward of the same network, be finite and not constant.

manifest.json:

    {
      "generator": "tests/onnx/generate_models.py",
      "torch_version": ..., "onnx_version": ...,
      "models": [
        {"file": "fsrcnn_like_x2.onnx", "description": "...",
         "input_channels": C, "output_channels": OC,
         "scale": output size / input size (2, 3, 0.5, 8, 1),
         "colorspace": "y" | "rgb" | null (null: the model has no metadata),
         "family": ... | null, "metadata": {key: value} (as stored in the file),
         "opset": N, "ops": [sorted unique op types],
         "test_sizes": [[h, w], [h, w]],
         "output_sizes": [[oh, ow], [oh, ow]] (the output size for each test size)},
        ...
      ],
      "ops_covered": [sorted union of all op types]
    }

For blurpool_down the output size is ceil(in / 2), not in * 0.5, at odd sizes.
"""

import io
import json
import math
import os
import sys
import warnings
import zlib

import numpy as np
import onnx
import torch
import torch.nn as nn
import torch.nn.functional as F
from onnx import TensorProto, helper, numpy_helper

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT_DIR = os.path.join(REPO_ROOT, "tests", "RealtimeUpscale.Tests", "Models")
GENERATOR = "tests/onnx/generate_models.py"

DYNAMIC_AXES = {"input": {2: "h", 3: "w"}, "output": {2: "oh", 3: "ow"}}
DEFAULT_TEST_SIZES = [[13, 7], [9, 11]]

# Op types the importer must meet in at least one model.
REQUIRED_OPS = [
    "Conv", "ConvTranspose", "DepthToSpace", "Resize", "Upsample", "Pad", "Slice", "Relu", "PRelu",
    "LeakyRelu", "Tanh", "Sigmoid", "Clip", "Add", "Sub", "Mul", "Div", "Identity", "Constant",
    "Concat", "BatchNormalization", "Cast",
]

torch.set_num_threads(1)
torch.use_deterministic_algorithms(True)


# ---------------------------------------------------------------- random weights

def gen_for(name):
    return torch.Generator().manual_seed(zlib.crc32(name.encode("utf-8")))


def uniform(g, shape, lo, hi):
    return torch.rand(tuple(shape), generator=g, dtype=torch.float32) * (hi - lo) + lo


def conv_bound(fan_in):
    # uniform(-b, b) has variance b^2 / 3; b = sqrt(3 / fan_in) keeps a linear layer's output
    # variance near its input's.
    return math.sqrt(3.0 / fan_in)


def randomize(module, g):
    """Overwrites every parameter and BatchNorm statistic with seeded random values.

    Modules with a `fixed` attribute (the BlurPool filter) keep their weights."""
    with torch.no_grad():
        for m in module.modules():
            if getattr(m, "fixed", False):
                continue
            if isinstance(m, nn.Conv2d):
                fan_in = m.in_channels // m.groups * m.kernel_size[0] * m.kernel_size[1]
                b = conv_bound(fan_in)
                m.weight.copy_(uniform(g, m.weight.shape, -b, b))
                if m.bias is not None:
                    m.bias.copy_(uniform(g, m.bias.shape, -0.2, 0.2))
            elif isinstance(m, nn.ConvTranspose2d):
                # Each output pixel sees about in * kh * kw / (sy * sx) weighted inputs.
                fan_in = m.in_channels // m.groups * m.kernel_size[0] * m.kernel_size[1]
                fan_in /= m.stride[0] * m.stride[1]
                b = conv_bound(fan_in)
                m.weight.copy_(uniform(g, m.weight.shape, -b, b))
                if m.bias is not None:
                    m.bias.copy_(uniform(g, m.bias.shape, -0.2, 0.2))
            elif isinstance(m, nn.PReLU):
                m.weight.copy_(uniform(g, m.weight.shape, -0.3, 0.6))
            elif isinstance(m, nn.BatchNorm2d):
                m.weight.copy_(uniform(g, m.weight.shape, 0.5, 1.5))
                m.bias.copy_(uniform(g, m.bias.shape, -0.3, 0.3))
                m.running_mean.copy_(uniform(g, m.running_mean.shape, -0.3, 0.3))
                m.running_var.copy_(uniform(g, m.running_var.shape, 0.5, 2.0))
    return module.eval()


# ---------------------------------------------------------------- torch export

def export(module, channels, opset, sample_hw=(16, 16), **kwargs):
    """Exports an eval-mode module with dynamic H and W; returns the ModelProto."""
    x = torch.rand((1, channels) + tuple(sample_hw), generator=torch.Generator().manual_seed(0))
    f = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(module, x, f, opset_version=opset, input_names=["input"],
                          output_names=["output"], dynamic_axes=DYNAMIC_AXES, **kwargs)
    return onnx.load_from_string(f.getvalue())


# ---------------------------------------------------------------- hand-built graphs

class GraphBuilder:
    """Builds a graph node by node.

    A node and its output are named "<op>_<n>" unless the output is given (the last node writes
    "output"); initializers keep the names they are given, which must be unique."""

    def __init__(self, name, gen):
        self.name = name
        self.gen = gen
        self.nodes = []
        self.initializers = []
        self.counts = {}

    def _fresh(self, prefix):
        n = self.counts.get(prefix, 0)
        self.counts[prefix] = n + 1
        return f"{prefix}_{n}"

    def init(self, name, array, tensor=None):
        """Adds an initializer (raw_data unless a ready TensorProto is given); returns its name."""
        assert all(i.name != name for i in self.initializers), name
        if tensor is None:
            tensor = numpy_helper.from_array(np.asarray(array), name)
        tensor.name = name
        self.initializers.append(tensor)
        return name

    def rand(self, shape, lo, hi):
        return uniform(self.gen, shape, lo, hi).numpy()

    def conv_weights(self, oc, ic_per_group, kh, kw, bias=True):
        b = conv_bound(ic_per_group * kh * kw)
        w = self.rand((oc, ic_per_group, kh, kw), -b, b)
        return w, (self.rand((oc,), -0.2, 0.2) if bias else None)

    def node(self, op, inputs, output=None, **attrs):
        name = self._fresh(op)
        out = output or name
        self.nodes.append(helper.make_node(op, inputs, [out], name=name, **attrs))
        return out

    def model(self, in_channels, out_channels, opset, ir_version=None):
        graph = helper.make_graph(
            self.nodes, self.name,
            [helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, in_channels, "h", "w"])],
            [helper.make_tensor_value_info("output", TensorProto.FLOAT, [1, out_channels, "oh", "ow"])],
            initializer=self.initializers)
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)],
                                  producer_name="RealtimeUpscale " + GENERATOR)
        if ir_version is not None:
            model.ir_version = ir_version
        return model


def t(a):
    return torch.from_numpy(np.array(a, dtype=np.float32))


def float_data_tensor(array):
    """A float32 TensorProto with its values in float_data instead of raw_data."""
    a = np.asarray(array, dtype=np.float32)
    return helper.make_tensor("", TensorProto.FLOAT, a.shape, a.reshape(-1).tolist(), raw=False)


# ---------------------------------------------------------------- reference interpreter

def _attrs(node):
    return {a.name: helper.get_attribute_value(a) for a in node.attribute}


def _s(v):
    return v.decode() if isinstance(v, bytes) else v


def _depth_to_space(x, b, mode):
    n, c, h, w = x.shape
    if mode == "DCR":
        y = x.reshape(n, b, b, c // (b * b), h, w).transpose(0, 3, 4, 1, 5, 2)
    else:
        y = x.reshape(n, c // (b * b), b, b, h, w).transpose(0, 1, 4, 2, 5, 3)
    return y.reshape(n, c // (b * b), h * b, w * b)


def _resize(x, scales, mode, ctm, nearest_mode, cubic_a, exclude_outside):
    """The Resize variants the importer meets, mapped onto F.interpolate with the same maths."""
    assert list(scales[:2]) == [1.0, 1.0], scales
    sf = (float(scales[2]), float(scales[3]))
    xt = t(x)
    assert exclude_outside == 0
    if mode == "nearest":
        # torch's legacy nearest: src = floor(dst / scale), clamped.
        assert ctm == "asymmetric" and nearest_mode == "floor", (ctm, nearest_mode)
        y = F.interpolate(xt, scale_factor=sf, mode="nearest")
    elif mode == "linear":
        assert ctm in ("half_pixel", "pytorch_half_pixel", "align_corners"), ctm
        y = F.interpolate(xt, scale_factor=sf, mode="bilinear", align_corners=ctm == "align_corners")
    elif mode == "cubic":
        assert ctm in ("half_pixel", "align_corners") and abs(cubic_a + 0.75) < 1e-6, (ctm, cubic_a)
        y = F.interpolate(xt, scale_factor=sf, mode="bicubic", align_corners=ctm == "align_corners")
    else:
        raise AssertionError(mode)
    return y.numpy()


def _slice(x, starts, ends, axes, steps):
    axes = list(range(len(starts))) if axes is None else [int(a) % x.ndim for a in axes]
    steps = [1] * len(starts) if steps is None else steps
    index = [slice(None)] * x.ndim
    for a, s, e, st in zip(axes, starts, ends, steps):
        index[a] = slice(int(s), int(e), int(st))
    return x[tuple(index)]


def _pad(x, pads, mode, value):
    n = x.ndim
    widths = [(int(pads[i]), int(pads[i + n])) for i in range(n)]
    assert all(a >= 0 and b >= 0 for a, b in widths), pads
    if mode == "constant":
        return np.pad(x, widths, mode="constant", constant_values=value)
    return np.pad(x, widths, mode={"reflect": "reflect", "edge": "edge"}[mode])


def run_graph(model, x):
    """Runs a model on numpy input x with numpy and torch.nn.functional; returns the output."""
    opset = next(o.version for o in model.opset_import if o.domain in ("", "ai.onnx"))
    env = {"": None, "input": x}
    for init in model.graph.initializer:
        env[init.name] = numpy_helper.to_array(init)
    for node in model.graph.node:
        a = _attrs(node)
        ins = [env[i] if i else None for i in node.input]
        op = node.op_type
        if op == "Conv":
            assert _s(a.get("auto_pad", "NOTSET")) == "NOTSET"
            w = ins[1]
            pt, pl, pb, pr = a.get("pads", [0, 0, 0, 0])
            xt = F.pad(t(ins[0]), (pl, pr, pt, pb))
            y = F.conv2d(xt, t(w), None if len(ins) < 3 or ins[2] is None else t(ins[2]),
                         stride=a.get("strides", [1, 1]), dilation=a.get("dilations", [1, 1]),
                         groups=a.get("group", 1))
            assert list(y.shape[1:2]) == [w.shape[0]]
            out = y.numpy()
        elif op == "ConvTranspose":
            assert _s(a.get("auto_pad", "NOTSET")) == "NOTSET" and "output_shape" not in a
            s = a.get("strides", [1, 1])
            d = a.get("dilations", [1, 1])
            op_ = a.get("output_padding", [0, 0])
            y = F.conv_transpose2d(t(ins[0]), t(ins[1]), None if len(ins) < 3 or ins[2] is None else t(ins[2]),
                                   stride=s, output_padding=op_, groups=a.get("group", 1), dilation=d)
            pt, pl, pb, pr = a.get("pads", [0, 0, 0, 0])
            out = y.numpy()[:, :, pt:y.shape[2] - pb, pl:y.shape[3] - pr]
        elif op == "BatchNormalization":
            xx, scale, bias, mean, var = ins
            eps = a.get("epsilon", 1e-5)
            r = lambda v: v.reshape(1, -1, 1, 1)
            out = ((xx - r(mean)) / np.sqrt(r(var) + eps) * r(scale) + r(bias)).astype(np.float32)
        elif op == "DepthToSpace":
            out = _depth_to_space(ins[0], a["blocksize"], _s(a.get("mode", "DCR")))
        elif op == "Resize":
            assert opset >= 11
            assert len(ins) < 4 or ins[3] is None, "sizes input is not used by these models"
            out = _resize(ins[0], ins[2], _s(a.get("mode", "nearest")),
                          _s(a.get("coordinate_transformation_mode", "half_pixel")),
                          _s(a.get("nearest_mode", "round_prefer_floor")), a.get("cubic_coeff_a", -0.75),
                          a.get("exclude_outside", 0))
        elif op == "Upsample":
            assert _s(a.get("mode", "nearest")) == "nearest"
            out = _resize(ins[0], ins[1], "nearest", "asymmetric", "floor", -0.75, 0)
        elif op == "Pad":
            if opset < 11:
                out = _pad(ins[0], a["pads"], _s(a.get("mode", "constant")), a.get("value", 0.0))
            else:
                value = 0.0 if len(ins) < 3 or ins[2] is None else float(ins[2])
                out = _pad(ins[0], ins[1], _s(a.get("mode", "constant")), value)
        elif op == "Slice":
            if opset < 10:
                out = _slice(ins[0], a["starts"], a["ends"], a.get("axes"), None)
            else:
                out = _slice(ins[0], ins[1], ins[2], ins[3] if len(ins) > 3 else None,
                             ins[4] if len(ins) > 4 else None)
        elif op == "Relu":
            out = np.maximum(ins[0], 0)
        elif op == "PRelu":
            out = np.where(ins[0] < 0, ins[0] * ins[1], ins[0])
        elif op == "LeakyRelu":
            out = np.where(ins[0] < 0, ins[0] * np.float32(a.get("alpha", 0.01)), ins[0])
        elif op == "Tanh":
            out = np.tanh(ins[0])
        elif op == "Sigmoid":
            out = torch.sigmoid(t(ins[0])).numpy()
        elif op == "Clip":
            if opset < 11:
                lo, hi = a.get("min", -np.inf), a.get("max", np.inf)
            else:
                lo = -np.inf if len(ins) < 2 or ins[1] is None else ins[1]
                hi = np.inf if len(ins) < 3 or ins[2] is None else ins[2]
            out = np.minimum(np.maximum(ins[0], lo), hi)
        elif op in ("Add", "Sub", "Mul", "Div"):
            fn = {"Add": np.add, "Sub": np.subtract, "Mul": np.multiply, "Div": np.divide}[op]
            out = fn(ins[0], ins[1])
        elif op == "Identity":
            out = ins[0]
        elif op == "Constant":
            if "value" in a:
                out = numpy_helper.to_array(a["value"])
            elif "value_float" in a:
                out = np.array(a["value_float"], dtype=np.float32)
            elif "value_floats" in a:
                out = np.array(a["value_floats"], dtype=np.float32)
            elif "value_int" in a:
                out = np.array(a["value_int"], dtype=np.int64)
            else:
                out = np.array(a["value_ints"], dtype=np.int64)
        elif op == "ConstantOfShape":
            v = numpy_helper.to_array(a["value"]) if "value" in a else np.zeros(1, np.float32)
            out = np.full([int(s) for s in ins[0]], v.reshape(-1)[0], dtype=v.dtype)
        elif op == "Concat":
            out = np.concatenate(ins, axis=a["axis"])
        elif op == "Reshape":
            shape = [int(s) if s != 0 else ins[0].shape[i] for i, s in enumerate(ins[1])]
            out = ins[0].reshape(shape)
        elif op == "Transpose":
            out = np.transpose(ins[0], a.get("perm"))
        elif op == "Cast":
            out = ins[0].astype(onnx.mapping.TENSOR_TYPE_TO_NP_TYPE[a["to"]])
        else:
            raise AssertionError(f"interpreter has no {op}")
        if out.dtype == np.float64:
            out = out.astype(np.float32)
        env[node.output[0]] = out
    return env["output"]


# ---------------------------------------------------------------- the models

MODELS = []


def model(name, *, channels, opset, scale, colorspace, family, description,
          test_sizes=None, metadata=True):
    def register(build):
        MODELS.append(dict(name=name, channels=channels, opset=opset, scale=scale, colorspace=colorspace,
                           family=family, description=description, build=build,
                           test_sizes=test_sizes or DEFAULT_TEST_SIZES, metadata=metadata))
        return build
    return register


def fsrcnn(d_scale, padding_mode, g):
    """FSRCNN(d=16, s=8, m=2) shaped network for one luma channel."""
    pm = padding_mode
    net = nn.Sequential(
        nn.Conv2d(1, 16, 5, padding=2, padding_mode=pm), nn.PReLU(16),
        nn.Conv2d(16, 8, 1), nn.PReLU(),
        nn.Conv2d(8, 8, 3, padding=1, padding_mode=pm), nn.PReLU(8),
        nn.Conv2d(8, 8, 3, padding=1, padding_mode=pm), nn.PReLU(8),
        nn.Conv2d(8, 16, 1), nn.PReLU(16),
        nn.ConvTranspose2d(16, 1, 9, stride=d_scale, padding=4, output_padding=d_scale - 1))
    return randomize(net, g)


@model("fsrcnn_like_x2", channels=1, opset=11, scale=2, colorspace="y", family="deconv",
       description="FSRCNN-shaped: Conv5x5 + PReLU(16 slopes), Conv1x1 + PReLU(one slope), 2x Conv3x3 "
                   "+ PReLU, Conv1x1 + PReLU, ConvTranspose k9 s2 p4 output_padding 1")
def build_fsrcnn_x2(g):
    net = fsrcnn(2, "zeros", g)
    return export(net, 1, 11), net


@model("fsrcnn_like_x3_edgepad", channels=1, opset=11, scale=3, colorspace="y", family="deconv",
       description="as fsrcnn_like_x2 with padding_mode='replicate' on the 5x5 and 3x3 convolutions "
                   "(exported as Pad mode edge fed by a constant subgraph) and ConvTranspose k9 s3 p4 "
                   "output_padding 2")
def build_fsrcnn_x3(g):
    net = fsrcnn(3, "replicate", g)
    # A 1x1 convolution has no padding to replace.
    for m in net.modules():
        if isinstance(m, nn.Conv2d) and m.kernel_size == (1, 1):
            m.padding_mode = "zeros"
    return export(net, 1, 11), net


@model("espcn_like_x3", channels=1, opset=13, scale=3, colorspace="y", family="subpixel",
       description="ESPCN-shaped: Conv5x5 + Tanh, Conv3x3 + Tanh, Conv3x3 to 9 channels, "
                   "PixelShuffle(3) (DepthToSpace CRD)")
def build_espcn(g):
    net = randomize(nn.Sequential(
        nn.Conv2d(1, 16, 5, padding=2), nn.Tanh(),
        nn.Conv2d(16, 8, 3, padding=1), nn.Tanh(),
        nn.Conv2d(8, 9, 3, padding=1), nn.PixelShuffle(3)), g)
    return export(net, 1, 13), net


@model("depth_to_space_dcr_x2", channels=3, opset=13, scale=2, colorspace="rgb", family="subpixel",
       description="hand-built: Conv3x3 (3 to 12, pads 1), DepthToSpace blocksize 2 mode DCR, Sigmoid")
def build_dcr(g):
    b = GraphBuilder("depth_to_space_dcr_x2", g)
    w, bias = b.conv_weights(12, 3, 3, 3)
    y = b.node("Conv", ["input", b.init("conv.weight", w), b.init("conv.bias", bias)],
               kernel_shape=[3, 3], pads=[1, 1, 1, 1])
    y = b.node("DepthToSpace", [y], blocksize=2, mode="DCR")
    b.node("Sigmoid", [y], output="output")

    def reference(x):
        y = F.conv2d(x, t(w), t(bias), padding=1)
        # DCR: channel index = (dy * 2 + dx) * C_out + c.
        n, c, h, ww = y.shape
        y = y.reshape(n, 2, 2, 3, h, ww).permute(0, 3, 4, 1, 5, 2).reshape(n, 3, h * 2, ww * 2)
        return torch.sigmoid(y)
    return b.model(3, 3, 13), reference


class Interpolate(nn.Module):
    def __init__(self, mode, align_corners=None, scale=2):
        super().__init__()
        self.mode = mode
        self.align_corners = align_corners
        self.scale = scale

    def forward(self, x):
        return F.interpolate(x, scale_factor=self.scale, mode=self.mode, align_corners=self.align_corners)


@model("resizeconv_nearest_x2", channels=3, opset=13, scale=2, colorspace="rgb", family="resizeconv",
       description="F.interpolate nearest x2 (Resize asymmetric/floor, roi input '', scales from a "
                   "Constant node), Conv3x3 + ReLU, Conv3x3")
def build_resize_nearest(g):
    net = randomize(nn.Sequential(
        Interpolate("nearest"), nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(),
        nn.Conv2d(8, 3, 3, padding=1)), g)
    return export(net, 3, 13), net


@model("resizeconv_bilinear_x2", channels=1, opset=11, scale=2, colorspace="y", family="resizeconv",
       description="F.interpolate bilinear x2 align_corners=False (Resize linear half_pixel, roi and "
                   "scales from Constant nodes), Conv3x3 + LeakyReLU(0.2), Conv3x3")
def build_resize_bilinear(g):
    net = randomize(nn.Sequential(
        Interpolate("bilinear", False), nn.Conv2d(1, 4, 3, padding=1), nn.LeakyReLU(0.2),
        nn.Conv2d(4, 1, 3, padding=1)), g)
    return export(net, 1, 11), net


@model("resize_cubic_align_corners_x2", channels=3, opset=11, scale=2, colorspace="rgb",
       family="resizeconv",
       description="F.interpolate bicubic x2 align_corners=True (Resize cubic align_corners, "
                   "cubic_coeff_a -0.75), Conv1x1")
def build_cubic_align(g):
    net = randomize(nn.Sequential(Interpolate("bicubic", True), nn.Conv2d(3, 3, 1)), g)
    return export(net, 3, 11), net


@model("resize_cubic_half_pixel_x2", channels=1, opset=11, scale=2, colorspace="y", family="resizeconv",
       description="F.interpolate bicubic x2 align_corners=False (Resize cubic half_pixel, "
                   "cubic_coeff_a -0.75), Conv1x1")
def build_cubic_half(g):
    net = randomize(nn.Sequential(Interpolate("bicubic", False), nn.Conv2d(1, 1, 1)), g)
    return export(net, 1, 11), net


@model("resize_linear_pytorch_half_pixel_x2", channels=3, opset=13, scale=2, colorspace="rgb",
       family="resizeconv",
       description="hand-built: Resize mode linear, coordinate_transformation_mode pytorch_half_pixel, "
                   "roi an empty initializer, scales an initializer [1, 1, 2, 2]; Conv3x3 + Relu")
def build_resize_pthp(g):
    b = GraphBuilder("resize_linear_pytorch_half_pixel_x2", g)
    roi = b.init("roi", np.zeros((0,), np.float32))
    scales = b.init("scales", np.array([1, 1, 2, 2], np.float32))
    y = b.node("Resize", ["input", roi, scales], mode="linear",
               coordinate_transformation_mode="pytorch_half_pixel")
    w, bias = b.conv_weights(3, 3, 3, 3)
    y = b.node("Conv", [y, b.init("conv.weight", w), b.init("conv.bias", bias)],
               kernel_shape=[3, 3], pads=[1, 1, 1, 1])
    b.node("Relu", [y], output="output")

    def reference(x):
        y = F.interpolate(x, scale_factor=2, mode="bilinear", align_corners=False)
        return F.relu(F.conv2d(y, t(w), t(bias), padding=1))
    return b.model(3, 3, 13), reference


@model("upsample_opset9_x2", channels=3, opset=9, scale=2, colorspace="rgb", family="resizeconv",
       description="hand-built, opset 9, IR version 4: Pad mode reflect with a pads attribute "
                   "[0,0,1,1,0,0,1,1], Conv3x3 without pads, Upsample nearest with scales initializer "
                   "[1,1,2,2], Conv3x3 with pads attribute [1,1,1,1], Clip (min/max attributes)")
def build_upsample9(g):
    b = GraphBuilder("upsample_opset9_x2", g)
    y = b.node("Pad", ["input"], mode="reflect", pads=[0, 0, 1, 1, 0, 0, 1, 1])
    w1, b1 = b.conv_weights(8, 3, 3, 3)
    y = b.node("Conv", [y, b.init("conv1.weight", w1), b.init("conv1.bias", b1)], kernel_shape=[3, 3])
    y = b.node("Relu", [y])
    y = b.node("Upsample", [y, b.init("scales", np.array([1, 1, 2, 2], np.float32))], mode="nearest")
    w2, b2 = b.conv_weights(3, 8, 3, 3)
    y = b.node("Conv", [y, b.init("conv2.weight", w2), b.init("conv2.bias", b2)],
               kernel_shape=[3, 3], pads=[1, 1, 1, 1], strides=[1, 1])
    b.node("Clip", [y], output="output", min=-1.0, max=1.0)

    def reference(x):
        y = F.conv2d(F.pad(x, (1, 1, 1, 1), mode="reflect"), t(w1), t(b1))
        y = F.interpolate(F.relu(y), scale_factor=2, mode="nearest")
        return torch.clamp(F.conv2d(y, t(w2), t(b2), padding=1), -1.0, 1.0)
    return b.model(3, 3, 9, ir_version=4), reference


class BlurPool(nn.Module):
    """Zhang 2019 antialiased downsampling: reflect pad, fixed binomial 5x5 depthwise, stride 2."""

    def __init__(self, channels):
        super().__init__()
        self.pad = nn.ReflectionPad2d([2, 2, 2, 2])
        self.blur = nn.Conv2d(channels, channels, 5, stride=2, groups=channels, bias=False)
        self.blur.fixed = True
        a = torch.tensor([1.0, 4.0, 6.0, 4.0, 1.0])
        filt = a[:, None] * a[None, :]
        with torch.no_grad():
            self.blur.weight.copy_((filt / filt.sum()).expand(channels, 1, 5, 5))

    def forward(self, x):
        return self.blur(self.pad(x))


@model("blurpool_down", channels=3, opset=11, scale=0.5, colorspace="rgb", family="test",
       test_sizes=[[13, 9], [9, 11]],
       description="BlurPool: ReflectionPad2d(2) (Pad mode reflect fed by a constant subgraph), "
                   "fixed binomial 5x5 depthwise Conv stride 2 (group 3), Conv3x3; output ceil(in / 2)")
def build_blurpool(g):
    net = randomize(nn.Sequential(BlurPool(3), nn.Conv2d(3, 3, 3, padding=1)), g)
    return export(net, 3, 11), net


class Residual(nn.Module):
    def __init__(self):
        super().__init__()
        self.head = nn.Conv2d(3, 8, 3, padding=1)
        self.act = nn.PReLU(8)
        self.body = nn.Conv2d(8, 8, 3, padding=1)
        self.tail = nn.Conv2d(8, 12, 3, padding=1)
        self.shuffle = nn.PixelShuffle(2)

    def forward(self, x):
        f = self.act(self.head(x))
        return self.shuffle(self.tail(F.relu(f + self.body(f))))


@model("residual_rgb_x2", channels=3, opset=13, scale=2, colorspace="rgb", family="subpixel",
       description="Conv3x3 + PReLU(8 slopes), Conv3x3, Add of the two (skip connection), ReLU, "
                   "Conv3x3 to 12 channels, PixelShuffle(2)")
def build_residual(g):
    net = randomize(Residual(), g)
    return export(net, 3, 13), net


INT64_MAX = np.iinfo(np.int64).max


@model("pads_and_slices", channels=3, opset=13, scale=1, colorspace="rgb", family="test",
       description="hand-built: Pad mode constant with pads input [0,0,1,2,0,0,3,2] and value input 0, "
                   "Conv3x3 without pads, Slice axes [2,3] starts [1,1] ends [-1,-1] steps [1,1], a "
                   "second Slice axes [3] starts [0] ends [INT64_MAX] (a no-op, as PyTorch writes x[..., 0:]), "
                   "Clip with min -0.5 and max 0.5 as inputs")
def build_pads_slices(g):
    b = GraphBuilder("pads_and_slices", g)
    pads = b.init("pads", np.array([0, 0, 1, 2, 0, 0, 3, 2], np.int64))
    value = b.init("pad_value", np.array(0.0, np.float32))
    y = b.node("Pad", ["input", pads, value], mode="constant")
    w, bias = b.conv_weights(3, 3, 3, 3)
    y = b.node("Conv", [y, b.init("conv.weight", w), b.init("conv.bias", bias)], kernel_shape=[3, 3])
    y = b.node("Slice", [y, b.init("crop.starts", np.array([1, 1], np.int64)),
                         b.init("crop.ends", np.array([-1, -1], np.int64)),
                         b.init("crop.axes", np.array([2, 3], np.int64)),
                         b.init("crop.steps", np.array([1, 1], np.int64))])
    y = b.node("Slice", [y, b.init("all.starts", np.array([0], np.int64)),
                         b.init("all.ends", np.array([INT64_MAX], np.int64)),
                         b.init("all.axes", np.array([3], np.int64))])
    b.node("Clip", [y, b.init("min", np.array(-0.5, np.float32)), b.init("max", np.array(0.5, np.float32))],
           output="output")

    def reference(x):
        # F.pad takes (left, right, top, bottom).
        y = F.conv2d(F.pad(x, (2, 2, 1, 3)), t(w), t(bias))
        return torch.clamp(y[:, :, 1:-1, 1:-1], -0.5, 0.5)
    return b.model(3, 3, 13), reference


@model("arithmetic_consts", channels=3, opset=13, scale=1, colorspace="rgb", family="test",
       description="hand-built: Mul by a scalar Constant node (shape []), Add of a [1] initializer, Sub "
                   "of a [1,3,1,1] initializer, Div by a [1,3,1,1] Constant node, Identity; branch a: "
                   "Conv3x3, Sigmoid, Sub from a Constant value_float 1 (constant on the left); branch b: "
                   "Conv3x3, BatchNormalization (epsilon 1e-3), Relu; Mul of the branches; Concat "
                   "[product, b] on axis 1; Conv1x1")
def build_arithmetic(g):
    b = GraphBuilder("arithmetic_consts", g)
    half = b.node("Constant", [], value=numpy_helper.from_array(np.array(0.5, np.float32), "half"))
    y = b.node("Mul", ["input", half])
    y = b.node("Add", [y, b.init("offset", np.array([0.25], np.float32))])
    mean = np.array([0.3, 0.5, 0.7], np.float32).reshape(1, 3, 1, 1)
    std = np.array([0.25, 0.5, 0.125], np.float32).reshape(1, 3, 1, 1)
    y = b.node("Sub", [y, b.init("mean", mean)])
    y = b.node("Div", [y, b.node("Constant", [], value=numpy_helper.from_array(std, "std"))])
    n = b.node("Identity", [y])
    wa, ba = b.conv_weights(4, 3, 3, 3)
    a = b.node("Conv", [n, b.init("conv_a.weight", wa), b.init("conv_a.bias", ba)],
               kernel_shape=[3, 3], pads=[1, 1, 1, 1])
    a = b.node("Sigmoid", [a])
    a = b.node("Sub", [b.node("Constant", [], value_float=1.0), a])
    wb, bb = b.conv_weights(4, 3, 3, 3)
    c = b.node("Conv", [n, b.init("conv_b.weight", wb), b.init("conv_b.bias", bb)],
               kernel_shape=[3, 3], pads=[1, 1, 1, 1])
    bn_scale = b.rand((4,), 0.5, 1.5)
    bn_bias = b.rand((4,), -0.3, 0.3)
    bn_mean = b.rand((4,), -0.3, 0.3)
    bn_var = b.rand((4,), 0.5, 2.0)
    c = b.node("BatchNormalization", [c, b.init("bn.scale", bn_scale), b.init("bn.bias", bn_bias),
                                      b.init("bn.mean", bn_mean), b.init("bn.var", bn_var)], epsilon=1e-3)
    c = b.node("Relu", [c])
    p = b.node("Mul", [a, c])
    y = b.node("Concat", [p, c], axis=1)
    wo, bo = b.conv_weights(3, 8, 1, 1)
    b.node("Conv", [y, b.init("conv_out.weight", wo), b.init("conv_out.bias", bo)], output="output",
           kernel_shape=[1, 1])

    def reference(x):
        n = (x * 0.5 + 0.25 - t(mean)) / t(std)
        a = 1.0 - torch.sigmoid(F.conv2d(n, t(wa), t(ba), padding=1))
        c = F.relu(F.batch_norm(F.conv2d(n, t(wb), t(bb), padding=1), t(bn_mean), t(bn_var), t(bn_scale),
                                t(bn_bias), training=False, eps=1e-3))
        return F.conv2d(torch.cat([a * c, c], 1), t(wo), t(bo))
    return b.model(3, 3, 13), reference


@model("dcgan_generator", channels=8, opset=13, scale=8, colorspace="rgb", family="deconv",
       test_sizes=[[3, 5], [4, 4]],
       description="DCGAN-style generator on an 8-channel map: 2x [ConvTranspose k4 s2 p1 without bias, "
                   "BatchNormalization, Relu], ConvTranspose k4 s2 p1 to 3 channels, Tanh")
def build_dcgan(g):
    net = randomize(nn.Sequential(
        nn.ConvTranspose2d(8, 16, 4, 2, 1, bias=False), nn.BatchNorm2d(16), nn.ReLU(),
        nn.ConvTranspose2d(16, 8, 4, 2, 1, bias=False), nn.BatchNorm2d(8), nn.ReLU(),
        nn.ConvTranspose2d(8, 3, 4, 2, 1), nn.Tanh()), g)
    return export(net, 8, 13, sample_hw=(4, 4)), net


@model("subpixel_opset17_x2", channels=1, opset=17, scale=2, colorspace="y", family="subpixel",
       description="exported at opset 17 (the newest torch 1.13 and onnx 1.12 know): Conv3x3 + ReLU, "
                   "Conv3x3 to 4 channels, PixelShuffle(2)")
def build_opset17(g):
    net = randomize(nn.Sequential(
        nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.Conv2d(8, 4, 3, padding=1), nn.PixelShuffle(2)), g)
    return export(net, 1, 17), net


@model("float16_weights_x2", channels=3, opset=13, scale=2, colorspace="rgb", family="subpixel",
       description="hand-built: Conv weights stored as FLOAT16 initializers (raw_data) followed by "
                   "Cast(to=FLOAT); one float16 bias, one float32 bias; Conv3x3 + Relu, Conv3x3 to 12 "
                   "channels, DepthToSpace CRD x2")
def build_float16(g):
    b = GraphBuilder("float16_weights_x2", g)
    w1, b1 = b.conv_weights(8, 3, 3, 3)
    w2, b2 = b.conv_weights(12, 8, 3, 3)
    w1, w2, b2 = w1.astype(np.float16), w2.astype(np.float16), b2.astype(np.float16)
    to_float = dict(to=TensorProto.FLOAT)
    w1c = b.node("Cast", [b.init("conv1.weight_fp16", w1)], **to_float)
    y = b.node("Conv", ["input", w1c, b.init("conv1.bias", b1)], kernel_shape=[3, 3], pads=[1, 1, 1, 1])
    y = b.node("Relu", [y])
    w2c = b.node("Cast", [b.init("conv2.weight_fp16", w2)], **to_float)
    b2c = b.node("Cast", [b.init("conv2.bias_fp16", b2)], **to_float)
    y = b.node("Conv", [y, w2c, b2c], kernel_shape=[3, 3], pads=[1, 1, 1, 1])
    b.node("DepthToSpace", [y], output="output", blocksize=2, mode="CRD")

    def reference(x):
        y = F.relu(F.conv2d(x, t(w1.astype(np.float32)), t(b1), padding=1))
        y = F.conv2d(y, t(w2.astype(np.float32)), t(b2.astype(np.float32)), padding=1)
        return F.pixel_shuffle(y, 2)
    return b.model(3, 3, 13), reference


@model("float_data_weights_x2", channels=1, opset=13, scale=2, colorspace="y", family="subpixel",
       description="hand-built: float32 initializers stored in float_data, int64 pads in int64_data, a "
                   "FLOAT16 bias in int32_data (then Cast), nothing in raw_data; Pad reflect, Conv3x3 "
                   "without pads + Relu, Conv3x3 to 4 channels, DepthToSpace CRD x2")
def build_float_data(g):
    b = GraphBuilder("float_data_weights_x2", g)
    pads_t = helper.make_tensor("", TensorProto.INT64, [8], [0, 0, 1, 1, 0, 0, 1, 1], raw=False)
    y = b.node("Pad", ["input", b.init("pads", None, pads_t)], mode="reflect")
    w1, b1 = b.conv_weights(8, 1, 3, 3)
    w2, b2 = b.conv_weights(4, 8, 3, 3)
    b2 = b2.astype(np.float16)
    # helper.make_tensor stores FLOAT16 values as their uint16 bit patterns in int32_data.
    b2_t = helper.make_tensor("", TensorProto.FLOAT16, [4], b2.astype(np.float32).tolist(), raw=False)
    assert list(b2_t.int32_data) == b2.view(np.uint16).astype(np.int32).tolist()
    y = b.node("Conv", [y, b.init("conv1.weight", None, float_data_tensor(w1)),
                        b.init("conv1.bias", None, float_data_tensor(b1))], kernel_shape=[3, 3])
    y = b.node("Relu", [y])
    b2c = b.node("Cast", [b.init("conv2.bias_fp16", None, b2_t)], to=TensorProto.FLOAT)
    y = b.node("Conv", [y, b.init("conv2.weight", None, float_data_tensor(w2)), b2c],
               kernel_shape=[3, 3], pads=[1, 1, 1, 1])
    b.node("DepthToSpace", [y], output="output", blocksize=2, mode="CRD")

    def reference(x):
        y = F.relu(F.conv2d(F.pad(x, (1, 1, 1, 1), mode="reflect"), t(w1), t(b1)))
        return F.pixel_shuffle(F.conv2d(y, t(w2), t(b2.astype(np.float32)), padding=1), 2)
    m = b.model(1, 1, 13)
    assert not any(i.raw_data for i in m.graph.initializer)
    return m, reference


@model("conv_options_x2", channels=3, opset=13, scale=2, colorspace="rgb", family="deconv",
       description="hand-built Conv/ConvTranspose attributes: Conv3x3 dilations 2 pads 2 without bias + "
                   "Relu; Conv3x3 group 2 with asymmetric pads [0,1,2,1] + LeakyRelu(0.1); Conv kernel "
                   "[1,3] pads [0,1,0,1]; ConvTranspose k3 s2 pads 1 output_padding 1 group 2; Conv1x1")
def build_conv_options(g):
    b = GraphBuilder("conv_options_x2", g)
    w1, _ = b.conv_weights(8, 3, 3, 3, bias=False)
    y = b.node("Conv", ["input", b.init("conv1.weight", w1)], kernel_shape=[3, 3], dilations=[2, 2],
               pads=[2, 2, 2, 2])
    y = b.node("Relu", [y])
    w2, b2 = b.conv_weights(8, 4, 3, 3)
    y = b.node("Conv", [y, b.init("conv2.weight", w2), b.init("conv2.bias", b2)], kernel_shape=[3, 3],
               group=2, pads=[0, 1, 2, 1])
    y = b.node("LeakyRelu", [y], alpha=0.1)
    w3, b3 = b.conv_weights(4, 8, 1, 3)
    y = b.node("Conv", [y, b.init("conv3.weight", w3), b.init("conv3.bias", b3)], kernel_shape=[1, 3],
               pads=[0, 1, 0, 1])
    # ConvTranspose weight [in, out / group, kh, kw]; each output sees about 2 * 9 / 4 inputs.
    bt = conv_bound(2 * 9 / 4)
    w4 = b.rand((4, 2, 3, 3), -bt, bt)
    b4 = b.rand((4,), -0.2, 0.2)
    y = b.node("ConvTranspose", [y, b.init("deconv.weight", w4), b.init("deconv.bias", b4)],
               kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1], output_padding=[1, 1], group=2)
    w5, b5 = b.conv_weights(3, 4, 1, 1)
    b.node("Conv", [y, b.init("conv5.weight", w5), b.init("conv5.bias", b5)], output="output",
           kernel_shape=[1, 1])

    def reference(x):
        y = F.relu(F.conv2d(x, t(w1), None, padding=2, dilation=2))
        y = F.leaky_relu(F.conv2d(F.pad(y, (1, 1, 0, 2)), t(w2), t(b2), groups=2), 0.1)
        y = F.conv2d(y, t(w3), t(b3), padding=(0, 1))
        y = F.conv_transpose2d(y, t(w4), t(b4), stride=2, padding=1, output_padding=1, groups=2)
        return F.conv2d(y, t(w5), t(b5))
    return b.model(3, 3, 13), reference


@model("no_metadata_luma_x2", channels=1, opset=13, scale=2, colorspace=None, family=None, metadata=False,
       description="no metadata_props at all: Conv3x3 + ReLU, Conv3x3 to 4 channels, PixelShuffle(2)")
def build_no_metadata(g):
    net = randomize(nn.Sequential(
        nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.Conv2d(8, 4, 3, padding=1), nn.PixelShuffle(2)), g)
    return export(net, 1, 13), net


# ---------------------------------------------------------------- checks and output

def format_scale(scale):
    return str(int(scale)) if float(scale).is_integer() else repr(float(scale))


def expected_size(n, scale):
    # Stride-2 downsampling with 'same' padding rounds up; upscaling is exact.
    return math.ceil(n * scale) if scale < 1 else int(n * scale)


def check_and_measure(spec, onnx_model, reference):
    """Runs the graph and the PyTorch reference at each test size; returns the output sizes."""
    sizes = []
    for h, w in spec["test_sizes"]:
        g = gen_for(spec["name"] + f"/input/{h}x{w}")
        x = torch.rand((1, spec["channels"], h, w), generator=g)
        with torch.no_grad():
            ref = reference(x).numpy()
        got = run_graph(onnx_model, x.numpy())
        name = f"{spec['name']} at {h}x{w}"
        assert got.shape == ref.shape, (name, got.shape, ref.shape)
        assert got.shape[2:] == (expected_size(h, spec["scale"]), expected_size(w, spec["scale"])), \
            (name, got.shape)
        assert np.all(np.isfinite(got)), name
        err = float(np.max(np.abs(got - ref)))
        assert err <= 1e-4 * max(1.0, float(np.max(np.abs(ref)))), (name, err)
        assert float(got.std()) > 0.02, (name, "output is nearly constant", float(got.std()))
        sizes.append([int(got.shape[2]), int(got.shape[3])])
        print(f"    {h}x{w} -> {got.shape[2]}x{got.shape[3]}: std {got.std():.3f}, "
              f"range [{got.min():.3f}, {got.max():.3f}], max |graph - torch| {err:.2e}")
    return sizes, int(got.shape[1])


def to_json(value, indent=""):
    """JSON with two-space indentation; lists of numbers, strings or such lists stay on one line."""
    def flat(v):
        return not isinstance(v, (dict, list)) or (isinstance(v, list) and all(
            not isinstance(i, (dict, list)) or (isinstance(i, list) and all(
                not isinstance(j, (dict, list)) for j in i)) for i in v))
    if flat(value):
        return json.dumps(value, separators=(", ", ": "))
    inner = indent + "  "
    if isinstance(value, dict):
        items = [f"{inner}{json.dumps(k)}: {to_json(v, inner)}" for k, v in value.items()]
        return "{\n" + ",\n".join(items) + "\n" + indent + "}"
    return "[\n" + ",\n".join(inner + to_json(v, inner) for v in value) + "\n" + indent + "]"


def main():
    os.makedirs(OUT_DIR, exist_ok=True)
    entries = []
    covered = set()
    names = set()
    for spec in MODELS:
        name = spec["name"]
        assert name not in names
        names.add(name)
        print(name)
        onnx_model, reference = spec["build"](gen_for(name))
        opset = next(o.version for o in onnx_model.opset_import if o.domain in ("", "ai.onnx"))
        assert opset == spec["opset"], (name, opset)
        if not onnx_model.doc_string:
            onnx_model.doc_string = spec["description"]
        metadata = {}
        if spec["metadata"]:
            metadata = {"colorspace": spec["colorspace"], "scale": format_scale(spec["scale"]),
                        "input_range": "0-1", "family": spec["family"]}
        del onnx_model.metadata_props[:]
        for key, value in metadata.items():
            onnx_model.metadata_props.add(key=key, value=value)

        graph = onnx_model.graph
        assert [i.name for i in graph.input] == ["input"], name
        assert [o.name for o in graph.output] == ["output"], name
        in_dims = [d.dim_param or d.dim_value for d in graph.input[0].type.tensor_type.shape.dim]
        assert in_dims == [1, spec["channels"], "h", "w"], (name, in_dims)
        out_dims = [d.dim_param or d.dim_value for d in graph.output[0].type.tensor_type.shape.dim]
        assert out_dims[2:] == ["oh", "ow"], (name, out_dims)
        onnx.checker.check_model(onnx_model, full_check=True)

        output_sizes, out_channels = check_and_measure(spec, onnx_model, reference)
        assert out_dims[1] == out_channels, (name, out_dims)

        path = os.path.join(OUT_DIR, name + ".onnx")
        onnx.save(onnx_model, path)
        ops = sorted({n.op_type for n in graph.node})
        covered.update(ops)
        entries.append({
            "file": name + ".onnx",
            "description": spec["description"],
            "input_channels": spec["channels"],
            "output_channels": out_channels,
            "scale": spec["scale"],
            "colorspace": spec["colorspace"],
            "family": spec["family"],
            "metadata": metadata,
            "opset": opset,
            "ops": ops,
            "test_sizes": spec["test_sizes"],
            "output_sizes": output_sizes,
        })
        print(f"    opset {opset}, {os.path.getsize(path)} bytes, ops {' '.join(ops)}")

    manifest = {
        "generator": GENERATOR,
        "torch_version": torch.__version__.split("+")[0],
        "onnx_version": onnx.__version__,
        "models": entries,
        "ops_covered": sorted(covered),
    }
    with open(os.path.join(OUT_DIR, "manifest.json"), "w", encoding="utf-8", newline="\n") as f:
        f.write(to_json(manifest) + "\n")

    missing = [op for op in REQUIRED_OPS if op not in covered]
    total = sum(os.path.getsize(os.path.join(OUT_DIR, e["file"])) for e in entries)
    print(f"{len(entries)} models, {total} bytes; ops covered: {' '.join(sorted(covered))}")
    if missing:
        print("missing required ops: " + " ".join(missing))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
