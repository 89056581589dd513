"""ONNX export of a trained network, with the metadata the C# importer reads, and checks of the file.

The file: opset 13, one float32 input "input" (1, C, h, w) and one output "output" (1, C, oh, ow), h, w,
oh, ow symbolic. metadata_props carry strings (see training/README.md for the keys).

Checks before the file is written (atomically):
  * onnx.checker with full shape inference;
  * every op is one the project's importer lowers (SUPPORTED_OPS);
  * the graph, run by the small interpreter below (numpy and torch.nn.functional, one op at a time), gives
    the PyTorch network's output on random input of odd size within 1e-4 (the export holds the real
    ConvTranspose / Resize operators, training runs their low-resolution equivalents; this ties them), and
    the output of `reference` too when one is given (the over-parameterised network a collapsed one came
    from; training/test_collapse.py holds the collapse to a far tighter, written bound).
"""

import io
import os
import warnings

import numpy as np
import onnx
import torch
import torch.nn.functional as F
from onnx import helper, numpy_helper

from networks import explicit_ops

OPSET = 13
# The ops torch 1.13 writes for these networks; all are lowered or constant-folded by the importer.
SUPPORTED_OPS = {
    "Conv", "ConvTranspose", "DepthToSpace", "Resize", "Pad", "PRelu", "Relu", "Add",
    "Identity", "Constant", "ConstantOfShape", "Concat", "Reshape", "Slice", "Transpose", "Cast",
}
TOLERANCE = 1e-4


def export(model, path, metadata, reference=None):
    """Writes `model` (in eval mode on return) to `path` with `metadata`; returns the checked ModelProto.

    `reference`, if given, is a network the graph must also reproduce (within the same tolerance).
    """
    model.eval()
    sample = torch.rand(1, model.channels, 24, 20, generator=torch.Generator().manual_seed(0))
    buffer = io.BytesIO()
    with warnings.catch_warnings(), explicit_ops(), torch.no_grad():
        # torch 1.13 warns about its own shape inference on every export.
        warnings.simplefilter("ignore")
        torch.onnx.export(
            model, sample, buffer, opset_version=OPSET, input_names=["input"], output_names=["output"],
            dynamic_axes={"input": {2: "h", 3: "w"}, "output": {2: "oh", 3: "ow"}}, do_constant_folding=True)
    proto = onnx.load_from_string(buffer.getvalue())
    for key, value in metadata.items():
        entry = proto.metadata_props.add()
        entry.key, entry.value = key, str(value)
    check(proto, model)
    if reference is not None:
        check(proto, reference)
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    temporary = path + ".tmp"
    onnx.save(proto, temporary)
    os.replace(temporary, path)
    return proto


def check(proto, model):
    """Raises ValueError unless `proto` is valid, uses supported ops and computes what `model` does."""
    was_training = model.training
    model.eval()
    onnx.checker.check_model(proto, full_check=True)
    ops = {n.op_type for n in proto.graph.node}
    if ops - SUPPORTED_OPS:
        raise ValueError(f"the export uses ops the importer does not lower: {sorted(ops - SUPPORTED_OPS)}")
    for value in list(proto.graph.input) + list(proto.graph.output):
        if value.type.tensor_type.elem_type != onnx.TensorProto.FLOAT:
            raise ValueError(f"{value.name} is not float32")
    x = torch.rand(1, model.channels, 13, 11, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        expected = model(x).numpy()
    model.train(was_training)
    got = run_graph(proto, x.numpy())
    if got.shape != expected.shape:
        raise ValueError(f"the ONNX graph gives shape {got.shape}, the network {expected.shape}")
    diff = float(np.max(np.abs(got - expected)))
    if not diff <= TOLERANCE:
        raise ValueError(f"the ONNX graph differs from the network by {diff} (tolerance {TOLERANCE})")


def _attrs(node):
    return {a.name: (v.decode() if isinstance(v := helper.get_attribute_value(a), bytes) else v)
            for a in node.attribute}


def run_graph(proto, x):
    """Runs the ops of SUPPORTED_OPS on numpy input `x`; returns the graph's output."""
    env = {"": None, proto.graph.input[0].name: x}
    for init in proto.graph.initializer:
        env[init.name] = numpy_helper.to_array(init)
    def t(a):
        return torch.from_numpy(np.array(a))

    for node in proto.graph.node:
        a = _attrs(node)
        ins = [env[i] if i else None for i in node.input]
        op = node.op_type
        if op == "Conv":
            top, left, bottom, right = a.get("pads", [0, 0, 0, 0])
            bias = t(ins[2]) if len(ins) > 2 and ins[2] is not None else None
            out = F.conv2d(F.pad(t(ins[0]), (left, right, top, bottom)), t(ins[1]), bias,
                           stride=a.get("strides", [1, 1]), dilation=a.get("dilations", [1, 1]),
                           groups=a.get("group", 1)).numpy()
        elif op == "ConvTranspose":
            bias = t(ins[2]) if len(ins) > 2 and ins[2] is not None else None
            y = F.conv_transpose2d(t(ins[0]), t(ins[1]), bias, stride=a.get("strides", [1, 1]),
                                   output_padding=a.get("output_padding", [0, 0]), groups=a.get("group", 1))
            top, left, bottom, right = a.get("pads", [0, 0, 0, 0])
            out = y.numpy()[:, :, top:y.shape[2] - bottom, left:y.shape[3] - right]
        elif op == "PRelu":
            out = np.where(ins[0] < 0, ins[0] * ins[1], ins[0])
        elif op == "Relu":
            out = np.maximum(ins[0], 0)
        elif op == "Add":
            out = ins[0] + ins[1]
        elif op == "DepthToSpace":
            b, mode = a["blocksize"], a.get("mode", "DCR")
            n, c, h, w = ins[0].shape
            if mode == "DCR":
                y = ins[0].reshape(n, b, b, c // (b * b), h, w).transpose(0, 3, 4, 1, 5, 2)
            else:
                y = ins[0].reshape(n, c // (b * b), b, b, h, w).transpose(0, 1, 4, 2, 5, 3)
            out = y.reshape(n, c // (b * b), h * b, w * b)
        elif op == "Resize":
            scales = ins[2]
            nearest = a.get("mode") == "nearest" and a.get("coordinate_transformation_mode") == "asymmetric" \
                and a.get("nearest_mode") == "floor"
            # PyTorch's bicubic (align_corners False): half-pixel centres, a = -0.75, edge taps clamped.
            cubic = a.get("mode") == "cubic" and a.get("cubic_coeff_a", -0.75) == -0.75 \
                and a.get("coordinate_transformation_mode") in ("pytorch_half_pixel", "half_pixel") \
                and not a.get("exclude_outside", 0)
            if not ((nearest or cubic) and list(scales[:2]) == [1, 1] and scales[2] == scales[3]
                    and scales[2] == int(scales[2])):
                raise ValueError(f"unexpected Resize {a} scales {scales}")
            ry, rx = int(scales[2]), int(scales[3])
            if nearest:
                out = np.repeat(np.repeat(ins[0], ry, axis=2), rx, axis=3)
            else:
                out = F.interpolate(t(ins[0]), scale_factor=float(ry), mode="bicubic", align_corners=False).numpy()
        elif op == "Pad":
            n = ins[0].ndim
            pads = ins[1]
            widths = [(int(pads[i]), int(pads[i + n])) for i in range(n)]
            mode = a.get("mode", "constant")
            if mode == "constant":
                value = 0.0 if len(ins) < 3 or ins[2] is None else float(ins[2])
                out = np.pad(ins[0], widths, mode="constant", constant_values=value)
            else:
                out = np.pad(ins[0], widths, mode={"edge": "edge", "reflect": "reflect"}[mode])
        elif op == "Identity":
            out = ins[0]
        elif op == "Constant":
            out = numpy_helper.to_array(a["value"])
        elif op == "ConstantOfShape":
            v = numpy_helper.to_array(a["value"]) if "value" in a else np.zeros(1, np.float32)
            out = np.full([int(s) for s in ins[0]], v.reshape(-1)[0], dtype=v.dtype)
        elif op == "Concat":
            out = np.concatenate(ins, axis=a["axis"])
        elif op == "Reshape":
            out = ins[0].reshape([int(s) if s != 0 else ins[0].shape[i] for i, s in enumerate(ins[1])])
        elif op == "Slice":
            axes = range(len(ins[1])) if len(ins) < 4 or ins[3] is None else ins[3]
            steps = [1] * len(ins[1]) if len(ins) < 5 or ins[4] is None else ins[4]
            index = [slice(None)] * ins[0].ndim
            for axis, start, end, step in zip(axes, ins[1], ins[2], steps):
                index[int(axis) % ins[0].ndim] = slice(int(start), int(end), int(step))
            out = ins[0][tuple(index)]
        elif op == "Transpose":
            out = np.transpose(ins[0], a.get("perm"))
        elif op == "Cast":
            out = ins[0].astype(onnx.mapping.TENSOR_TYPE_TO_NP_TYPE[a["to"]])
        else:
            raise ValueError(f"the check has no interpreter for {op}")
        env[node.output[0]] = out
    return env[proto.graph.output[0].name]


def load_body(path, model):
    """Copies the body of the network exported at `path` into `model.body`; returns the tensor count.

    Conv weights and biases are found by their exported names (body.N.weight, body.N.bias); PReLU slopes
    (exported under generated names) by the order of the PRelu nodes, of which the body holds all. The
    colour space and the body shape (d, s, m) must match; scale, family and head may differ.
    """
    try:
        proto = onnx.load(path)
    except Exception as error:  # noqa: BLE001 - any unreadable file is reported the same way
        raise SystemExit(f"--init-from {path}: not a readable ONNX file ({error})")
    tensors = {t.name: numpy_helper.to_array(t) for t in proto.graph.initializer}
    slopes = [tensors[n.input[1]] for n in proto.graph.node if n.op_type == "PRelu" and n.input[1] in tensors]
    state = model.body.state_dict()
    prelu_keys = [k for k in state if k.endswith(".weight") and state[k].dim() == 1]
    if len(slopes) != len(prelu_keys):
        raise SystemExit(f"--init-from {path}: {len(slopes)} PReLU layers, this body has {len(prelu_keys)}")
    loaded = {}
    for key, value in state.items():
        if key in prelu_keys:
            source = slopes[prelu_keys.index(key)].reshape(-1)
        else:
            name = "body." + key
            if name not in tensors:
                raise SystemExit(f"--init-from {path}: no tensor {name}")
            source = tensors[name]
        if tuple(source.shape) != tuple(value.shape):
            raise SystemExit(f"--init-from {path}: {key} has shape {tuple(source.shape)}, this body "
                             f"needs {tuple(value.shape)} (colour space and d, s, m must match)")
        loaded[key] = torch.from_numpy(np.array(source, dtype=np.float32))
    model.body.load_state_dict(loaded)
    return len(loaded)
