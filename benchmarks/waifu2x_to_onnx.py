"""Convert waifu2x's upconv_7 ncnn model (param + bin) to ONNX, for `rtup bench` against ONNX Runtime.

    /usr/bin/python3 benchmarks/waifu2x_to_onnx.py ../shared/peers/waifu2x/models/models-upconv_7_photo/scale2.0x_model out.onnx

The ncnn .bin holds, per layer, the weights as one blob that starts with a 4-byte tag (0x01306B47: float16
values follow, padded to 4 bytes; 0: float32) and then the biases as plain float32. Deconvolution weights are
stored [out][in][kh][kw]; ONNX's ConvTranspose wants [in][out][kh][kw]. The network: 3x3 valid convolutions
with LeakyReLU 0.1, then a 4x4 stride-2 transposed convolution with padding 3. Height and width are dynamic.
"""

import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def read_layers(param_path):
    layers = []
    for line in open(param_path).read().split("\n")[2:]:
        parts = line.split()
        if not parts or parts[0] not in ("Convolution", "Deconvolution"):
            continue
        opts = dict(p.split("=", 1) for p in parts[6:])
        layers.append((parts[0], int(opts["0"]), int(opts["1"]), int(opts["6"]), opts))
    return layers


def main(stem, out_path):
    layers = read_layers(stem + ".param")
    blob = open(stem + ".bin", "rb").read()
    pos = 0
    nodes, inits = [], []
    prev, in_c = "input", 3
    for i, (kind, out_c, k, count, opts) in enumerate(layers):
        tag = int.from_bytes(blob[pos:pos + 4], "little")
        pos += 4
        if tag == 0x01306B47:
            w = np.frombuffer(blob, np.float16, count, pos).astype(np.float32)
            pos += (count * 2 + 3) // 4 * 4
        elif tag == 0:
            w = np.frombuffer(blob, np.float32, count, pos)
            pos += count * 4
        else:
            raise ValueError(f"layer {i}: unknown weight tag {tag:#x}")
        b = np.frombuffer(blob, np.float32, out_c, pos)
        pos += out_c * 4
        w = w.reshape(out_c, in_c, k, k)
        name = f"conv{i + 1}"
        if kind == "Convolution":
            inits += [numpy_helper.from_array(w, name + ".weight"), numpy_helper.from_array(b.copy(), name + ".bias")]
            nodes.append(helper.make_node("Conv", [prev, name + ".weight", name + ".bias"], [name], kernel_shape=[k, k]))
            nodes.append(helper.make_node("LeakyRelu", [name], [name + ".act"], alpha=0.1))
            prev = name + ".act"
        else:
            stride, pad = int(opts["3"]), int(opts["4"])
            w = np.ascontiguousarray(w.transpose(1, 0, 2, 3))
            inits += [numpy_helper.from_array(w, name + ".weight"), numpy_helper.from_array(b.copy(), name + ".bias")]
            nodes.append(helper.make_node("ConvTranspose", [prev, name + ".weight", name + ".bias"], ["output"],
                                          kernel_shape=[k, k], strides=[stride, stride], pads=[pad] * 4))
        in_c = out_c
    if pos != len(blob):
        raise ValueError(f"{len(blob) - pos} bytes left over in the .bin")
    graph = helper.make_graph(
        nodes, "waifu2x_upconv_7",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, 3, "h", "w"])],
        [helper.make_tensor_value_info("output", TensorProto.FLOAT, [1, 3, "oh", "ow"])], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    helper.set_model_props(model, {"colorspace": "rgb", "scale": "2", "input_range": "0-1"})
    onnx.checker.check_model(model, full_check=True)
    onnx.save(model, out_path)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
