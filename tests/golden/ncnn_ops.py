"""Golden cases for the operators the ncnn importer brought in, called by generate.py.

Two kinds, both computed with torch.nn.functional in float32 (see generate.py for the format):

- Spec-level cases ("pool2d", "fully_connected", "binary", "squeeze_excitation", "crop", "crop_to",
  "concat", "pad", "activation", and depthwise "conv2d" / "conv_transpose2d"): one operator on random
  inputs of odd sizes, with 3, 5, 37 and 64 channels.
- "ncnn" cases: a small ncnn .param (as text lines) and .bin (as float32 values) whose layers are the
  operators under test, and the output PyTorch computes for them from ncnn's documented semantics
  (parameter ids as ncnn's src/layer/*.cpp read them). The weights are written here from PyTorch's
  layouts into ncnn's (a deconvolution's [in][out/g] becomes ncnn's [g][out/g][in/g]), independently of
  the C# importer, which must undo it. The model's input is 3 channels (an image model's); wider
  tensors are made inside the model by a 1x1 convolution, which PyTorch computes as well.
"""

import math

import torch
import torch.nn.functional as F


def _floats(t):
    return [float(v) for v in t.detach().reshape(-1).tolist()]


def _num(v):
    """A parameter value as ncnn's text format writes it: integers bare, floats with a point."""
    if isinstance(v, int):
        return str(v)
    text = repr(float(v))
    return text if ("." in text or "e" in text) else text + ".0"


class NcnnModel:
    """An ncnn .param as lines and its .bin as float32 values, built layer by layer in file order."""

    def __init__(self, gen, channels=3):
        self.gen = gen
        self.lines = ["Input in 0 1 in 2=%d" % channels]
        self.bin = []

    def layer(self, kind, name, bottoms, tops, params=None, tagged=(), raw=()):
        """params: {id: int | float | list (an array, written under -23300 - id)}. Weights are read by ncnn
        in layer order: the tagged blobs (tag 0: float32) first, then the raw ones (biases, scales, slopes)."""
        fields = []
        for key, value in (params or {}).items():
            if isinstance(value, list):
                fields.append("%d=%s" % (-23300 - key, ",".join([str(len(value))] + [_num(v) for v in value])))
            else:
                fields.append("%d=%s" % (key, _num(value)))
        self.lines.append(" ".join([kind, name, str(len(bottoms)), str(len(tops))] + list(bottoms) + list(tops) + fields))
        for t in tagged:
            self.bin += [0.0] + _floats(t)
        for t in raw:
            self.bin += _floats(t)

    def conv1x1(self, g, x, bottom, top, channels):
        """A 1x1 convolution from the 3-channel input to `channels`, with bias, in the file and in PyTorch."""
        w = g.rand_weight(self.gen, channels, x.shape[1], 1, 1)
        b = g.rand_weight(self.gen, channels)
        self.layer("Convolution", top, [bottom], [top], {0: channels, 1: 1, 5: 1, 6: w.numel()}, [w], [b])
        return F.conv2d(x, w, b)


def _case(g, name, model, x, y):
    g.add_case(name, "ncnn", x, y, {"layers": model.lines}, bin=torch.tensor(model.bin, dtype=torch.float32))


def _model(g, name, c=3, hw=(7, 13)):
    gen = g.gen_for(name)
    return NcnnModel(gen), g.rand_input(gen, c, *hw)


# ---------------------------------------------------------------- spec-level references

def pool_ref(x, p):
    if p["global"]:
        return F.adaptive_avg_pool2d(x, 1) if p["mode"] == "average" else F.adaptive_max_pool2d(x, 1)
    top, left, bottom, right = p["padding"]
    k, s = tuple(p["kernel"]), tuple(p["stride"])
    if p["mode"] == "max":
        return F.max_pool2d(F.pad(x, (left, right, top, bottom), value=-math.inf), k, s)
    if top == bottom and left == right:
        return F.avg_pool2d(x, k, s, padding=(top, left), count_include_pad=p["count_include_pad"])
    padded = F.pad(x, (left, right, top, bottom))
    if p["count_include_pad"]:
        return F.avg_pool2d(padded, k, s)
    # Mean over the real pixels: the window sums of the input over the window sums of ones.
    return F.avg_pool2d(padded, k, s) / F.avg_pool2d(F.pad(torch.ones_like(x), (left, right, top, bottom)), k, s)


def _spec_cases(g):
    # pool2d
    def pool(name, c, hw, mode, glob=False, kernel=(1, 1), stride=(1, 1), padding=(0, 0, 0, 0), include=False):
        gen = g.gen_for(name)
        p = {"mode": mode, "global": glob, "kernel": list(kernel), "stride": list(stride),
             "padding": list(padding), "count_include_pad": include}
        x = g.rand_input(gen, c, *hw)
        g.add_case(name, "pool2d", x, pool_ref(x, p), p)

    pool("pool_global_avg_c37_7x13", 37, (7, 13), "average", glob=True)
    pool("pool_global_max_c37_7x13", 37, (7, 13), "max", glob=True)
    pool("pool_global_avg_c3_13x7", 3, (13, 7), "average", glob=True)
    pool("pool_max_k3_s2_p1_c3_13x7", 3, (13, 7), "max", kernel=(3, 3), stride=(2, 2), padding=(1, 1, 1, 1))
    pool("pool_avg_k3_s2_p1_exclude_c37_7x5", 37, (7, 5), "average", kernel=(3, 3), stride=(2, 2),
         padding=(1, 1, 1, 1))
    pool("pool_avg_k3_s2_p1_include_c3_13x7", 3, (13, 7), "average", kernel=(3, 3), stride=(2, 2),
         padding=(1, 1, 1, 1), include=True)
    pool("pool_avg_k3_s1_asympad_exclude_c3_7x13", 3, (7, 13), "average", kernel=(3, 3), padding=(0, 1, 2, 1))
    pool("pool_avg_k3_s1_asympad_include_c5_7x13", 5, (7, 13), "average", kernel=(3, 3), padding=(0, 1, 2, 1),
         include=True)
    pool("pool_max_k2x3_s1x2_asympad_c3_7x13", 3, (7, 13), "max", kernel=(2, 3), stride=(1, 2),
         padding=(1, 0, 0, 2))
    pool("pool_avg_k2_s2_p0_c5_7x13", 5, (7, 13), "average", kernel=(2, 2), stride=(2, 2))

    # fully_connected
    def fc(name, shape, out, act, bias=True):
        gen = g.gen_for(name)
        x = g.rand_input(gen, *shape)
        n = x.numel()
        w = g.rand_weight(gen, out, n)
        b = g.rand_weight(gen, out) if bias else None
        y = g.apply_activation(F.linear(x.reshape(1, n), w, b), act).reshape(1, out, 1, 1)
        g.check_signs(y, act)
        g.add_case(name, "fully_connected", x, y, {"activation": act}, weight=w, bias=b)

    fc("fc_c37_to_5_relu", (37, 1, 1), 5, {"kind": "relu"})
    fc("fc_c5_to_37_sigmoid", (5, 1, 1), 37, {"kind": "sigmoid"})
    fc("fc_c64_to_8_nobias_prelu_channel", (64, 1, 1), 8, g.act_prelu_channels(8), bias=False)
    fc("fc_map_3x7x13_to_6_leaky", (3, 7, 13), 6, {"kind": "leaky_relu", "alpha": 0.1})

    # binary: the broadcasts BinarySpec has (a size-1 channel axis or a 1 x 1 plane on either side)
    shapes = {
        "same_c3_7x13": ((3, 7, 13), (3, 7, 13)),
        "channel_c37_5x7": ((37, 5, 7), (37, 1, 1)),
        "channel_first_c37_5x7": ((37, 1, 1), (37, 5, 7)),
        "scalar_c3_13x7": ((3, 13, 7), (1, 1, 1)),
        "plane_c5_13x7": ((5, 13, 7), (1, 13, 7)),
    }
    ops = {"add": torch.add, "sub": torch.sub, "mul": torch.mul, "div": torch.div}
    for op, fn in ops.items():
        for label, (sa, sb) in shapes.items():
            name = "binary_%s_%s" % (op, label)
            gen = g.gen_for(name)
            a = g.rand_input(gen, *sa)
            # The divisor stays in [0.5, 2), away from zero.
            b = g.rand_input(gen, *sb) * 0.75 + 1.25 if op == "div" else g.rand_input(gen, *sb)
            act = {"kind": "relu"} if label == "same_c3_7x13" and op == "sub" else g.act_none()
            g.add_case(name, "binary", a, g.apply_activation(fn(a, b), act), {"op": op, "activation": act},
                       input2=b[0])
    # max, min and pow (ncnn's BinaryOp 4, 5, 6): pow of a positive base to any exponent in [-2, 2), and of a
    # base of either sign to integer exponents (-3 to 3), where powf keeps the sign of odd powers.
    for op, fn in (("max", torch.maximum), ("min", torch.minimum)):
        for label in ("same_c3_7x13", "channel_c37_5x7", "plane_c5_13x7"):
            name = "binary_%s_%s" % (op, label)
            gen = g.gen_for(name)
            sa, sb = shapes[label]
            a, b = g.rand_input(gen, *sa), g.rand_input(gen, *sb)
            g.add_case(name, "binary", a, fn(a, b), {"op": op, "activation": g.act_none()}, input2=b[0])
    name = "binary_pow_positive_base_c3_7x13"
    gen = g.gen_for(name)
    a = g.rand_input(gen, 3, 7, 13).abs() + 0.25
    b = g.rand_input(gen, 3, 7, 13) * 4
    g.add_case(name, "binary", a, torch.pow(a, b), {"op": "pow", "activation": g.act_none()}, input2=b[0])
    name = "binary_pow_integer_exponent_c5_13x7"
    gen = g.gen_for(name)
    a = g.rand_input(gen, 5, 13, 7) * 3
    b = torch.round(g.rand_input(gen, 5, 1, 1) * 6)
    g.add_case(name, "binary", a, torch.pow(a, b), {"op": "pow", "activation": g.act_none()}, input2=b[0])

    # squeeze_excitation: global average -> FC -> ReLU -> FC -> sigmoid -> per-channel scale
    for c, r, hw in ((37, 5, (7, 13)), (64, 8, (5, 7))):
        name = "squeeze_excitation_c%d_r%d_%dx%d" % (c, r, hw[0], hw[1])
        gen = g.gen_for(name)
        x = g.rand_input(gen, c, *hw) + 0.25  # channel means of both signs, mostly positive as after a ReLU
        w1, b1 = g.rand_weight(gen, r, c) * 4, g.rand_weight(gen, r)
        w2, b2 = g.rand_weight(gen, c, r) * 4, g.rand_weight(gen, c)
        hidden = F.relu(F.linear(F.adaptive_avg_pool2d(x, 1).reshape(1, c), w1, b1))
        assert (hidden > 0).sum() >= 2, "the excitation must depend on the squeeze"
        gate = torch.sigmoid(F.linear(hidden, w2, b2))
        assert gate.max() - gate.min() > 0.3
        g.add_case(name, "squeeze_excitation", x, x * gate.reshape(1, c, 1, 1), {},
                   fc1_weight=w1, fc1_bias=b1, fc2_weight=w2, fc2_bias=b2)

    # crop, crop_to, concat (exact permutations)
    for name, c, hw, (t, l, b_, r), c0, n in (("crop_c37_7x5_t1_l2_b3_r0_ch4_n30", 37, (7, 5), (1, 2, 3, 0), 4, 30),
                                               ("crop_c3_13x7_t2_l1_b1_r2_all", 3, (13, 7), (2, 1, 1, 2), 0, None)):
        gen = g.gen_for(name)
        x = g.rand_input(gen, c, *hw)
        end = c if n is None else c0 + n
        y = x[:, c0:end, t:hw[0] - b_, l:hw[1] - r]
        g.add_case(name, "crop", x, y, {"top": t, "left": l, "bottom": b_, "right": r, "channel_start": c0,
                                        "channel_count": n})
    name = "crop_to_c5_13x11_ref_c3_7x5_t4_l2_ch1"
    gen = g.gen_for(name)
    x, ref = g.rand_input(gen, 5, 13, 11), g.rand_input(gen, 3, 7, 5)
    g.add_case(name, "crop_to", x, x[:, 1:4, 4:11, 2:7], {"top": 4, "left": 2, "channel_start": 1}, input2=ref[0])
    name = "concat_c3_c37_5x7"
    gen = g.gen_for(name)
    a, b = g.rand_input(gen, 3, 5, 7), g.rand_input(gen, 37, 5, 7)
    g.add_case(name, "concat", a, torch.cat([a, b], dim=1), {}, input2=b[0])

    # pad (lowered by the graph passes into a 1x1 identity convolution)
    for mode, c, hw in (("zeros", 3, (7, 13)), ("replicate", 5, (13, 7)), ("reflect", 5, (7, 13))):
        name = "pad_%s_c%d_%dx%d_t1_l2_b0_r3" % (mode, c, hw[0], hw[1])
        gen = g.gen_for(name)
        x = g.rand_input(gen, c, *hw)
        torch_mode = {"zeros": "constant", "replicate": "replicate", "reflect": "reflect"}[mode]
        g.add_case(name, "pad", x, F.pad(x, (2, 3, 1, 0), mode=torch_mode), {"padding": [1, 2, 0, 3], "mode": mode})

    # activation (standalone, as the ncnn activation layers make them)
    for act, c in (({"kind": "relu"}, 3), ({"kind": "leaky_relu", "alpha": 0.1}, 3), (g.act_prelu_channels(37), 37),
                   ({"kind": "prelu", "slope": 0.25}, 3), ({"kind": "sigmoid"}, 5), ({"kind": "tanh"}, 5),
                   ({"kind": "clip", "min": -0.25, "max": 0.5}, 5)):
        name = "activation_%s_c%d_7x5" % (act["kind"] + ("_channel" if "slopes" in act else ""), c)
        gen = g.gen_for(name)
        x = g.rand_input(gen, c, 7, 5)
        y = g.apply_activation(x, act)
        g.check_signs(y, act)
        g.add_case(name, "activation", x, y, {"activation": act})

    # depthwise convolutions at 37 channels, and a depthwise transposed convolution (DeconvolutionDepthWise)
    g.conv2d_case("conv2d_k3_s1_zeros_depthwise_c37_prelu_channel", 37, 37, (7, 5), 3, groups=37,
                  padding=(1, 1, 1, 1), activation=g.act_prelu_channels(37))
    g.conv2d_case("conv2d_k3_s2_zeros_depthwise_c37_leaky", 37, 37, (9, 7), 3, groups=37, stride=(2, 2),
                  padding=(1, 1, 1, 1), activation={"kind": "leaky_relu", "alpha": 0.1})
    g.deconv_case("deconv_k4_s2_p1_depthwise_c37_none", 37, 37, (5, 7), 4, (2, 2), (1, 1), groups=37)
    g.deconv_case("deconv_k3_s2_p1_op1_depthwise_mult2_ic3_oc6_relu", 3, 6, (13, 7), 3, (2, 2), (1, 1), (1, 1),
                  groups=3, activation={"kind": "relu"})


# ---------------------------------------------------------------- ncnn layer cases

def _ncnn_pooling_cases(g):
    # (name, params, reference): pad mode 1 (valid: explicit pads, floor) and 0 (full, the default) at stride 1,
    # where it adds nothing to the explicit pads; 3=left, 14=right, 13=top, 15=bottom; 6=avgpool_count_include_pad.
    cases = [
        ("ncnn_pooling_max_k3_s2_p1", {0: 0, 1: 3, 2: 2, 3: 1, 5: 1},
         lambda x: F.max_pool2d(x, 3, 2, padding=1)),
        ("ncnn_pooling_avg_k3_s2_p1_exclude", {0: 1, 1: 3, 2: 2, 3: 1, 5: 1},
         lambda x: F.avg_pool2d(x, 3, 2, padding=1, count_include_pad=False)),
        ("ncnn_pooling_avg_k3_s2_p1_include", {0: 1, 1: 3, 2: 2, 3: 1, 5: 1, 6: 1},
         lambda x: F.avg_pool2d(x, 3, 2, padding=1, count_include_pad=True)),
        ("ncnn_pooling_avg_k3_s2_asympad_exclude", {0: 1, 1: 3, 2: 2, 3: 1, 14: 0, 13: 0, 15: 2, 5: 1},
         lambda x: pool_ref(x, {"global": False, "mode": "average", "kernel": [3, 3], "stride": [2, 2],
                                "padding": [0, 1, 2, 0], "count_include_pad": False})),
        ("ncnn_pooling_avg_k3_s2_asympad_include", {0: 1, 1: 3, 2: 2, 3: 1, 14: 0, 13: 0, 15: 2, 5: 1, 6: 1},
         lambda x: pool_ref(x, {"global": False, "mode": "average", "kernel": [3, 3], "stride": [2, 2],
                                "padding": [0, 1, 2, 0], "count_include_pad": True})),
        ("ncnn_pooling_max_k3x2_s2x1_valid", {0: 0, 1: 3, 11: 2, 2: 2, 12: 1, 5: 1},
         lambda x: F.max_pool2d(x, (2, 3), (1, 2))),
        ("ncnn_pooling_avg_k2_s1_full", {0: 1, 1: 2},
         lambda x: F.avg_pool2d(x, 2, 1)),
        ("ncnn_pooling_avg_k3_s1_p1_full_exclude", {0: 1, 1: 3, 3: 1},
         lambda x: F.avg_pool2d(x, 3, 1, padding=1, count_include_pad=False)),
        ("ncnn_pooling_max_k3_s1_asympad_full", {0: 0, 1: 3, 3: 0, 14: 2, 13: 1, 15: 0},
         lambda x: pool_ref(x, {"global": False, "mode": "max", "kernel": [3, 3], "stride": [1, 1],
                                "padding": [1, 0, 0, 2], "count_include_pad": False})),
    ]
    # Pad mode 0 (full padding, the default) with a stride: the bottom and right are padded further by what the
    # last window lacks to end on the last pixel (ncnn's Pooling::forward: tail = stride - (size + pads - kernel) %
    # stride, when that remainder is not 0), and the tail is read as the explicit padding is.
    def full(mode, kernel, stride, include):
        def ref(x):
            h, w = x.shape[2], x.shape[3]
            tail_h = (stride - (h - kernel) % stride) % stride
            tail_w = (stride - (w - kernel) % stride) % stride
            return pool_ref(x, {"global": False, "mode": mode, "kernel": [kernel, kernel], "stride": [stride, stride],
                                "padding": [0, 0, tail_h, tail_w], "count_include_pad": include})
        return ref
    cases += [
        ("ncnn_pooling_max_k2_s2_full_tail", {0: 0, 1: 2, 2: 2}, full("max", 2, 2, False)),
        ("ncnn_pooling_avg_k2_s2_full_tail_exclude", {0: 1, 1: 2, 2: 2}, full("average", 2, 2, False)),
        ("ncnn_pooling_avg_k2_s3_full_tail_include", {0: 1, 1: 2, 2: 3, 6: 1}, full("average", 2, 3, True)),
    ]
    for name, params, ref in cases:
        m, x = _model(g, name)
        m.layer("Pooling", "pool", ["in"], ["out"], params)
        _case(g, name, m, x, ref(x))

    # Squeeze-excitation as cunet and Real-CUGAN write it: the gate by BinaryOp mul (map, vector) or by Scale
    # with its scale as a blob (0=-233); the block's global pooling (4=1) and InnerProducts (9=1 ReLU, 9=4 sigmoid).
    for name, gate_layer in (("ncnn_se_binaryop_c37", "BinaryOp"), ("ncnn_se_scale_c37", "Scale")):
        m, x = _model(g, name)
        c = m.conv1x1(g, x, "in", "c", 37) + 0.25
        m.layer("BinaryOp", "shift", ["c"], ["cs"], {0: 0, 1: 1, 2: 0.25})
        m.layer("Split", "split", ["cs"], ["c1", "c2"])
        m.layer("Pooling", "gap", ["c1"], ["g"], {0: 1, 4: 1})
        w1, b1 = g.rand_weight(m.gen, 5, 37) * 4, g.rand_weight(m.gen, 5)
        w2, b2 = g.rand_weight(m.gen, 37, 5) * 4, g.rand_weight(m.gen, 37)
        m.layer("InnerProduct", "fc1", ["g"], ["f1"], {0: 5, 1: 1, 2: 185, 9: 1}, [w1], [b1])
        m.layer("InnerProduct", "fc2", ["f1"], ["f2"], {0: 37, 1: 1, 2: 185, 9: 4}, [w2], [b2])
        params = {0: 2} if gate_layer == "BinaryOp" else {0: -233}
        m.layer(gate_layer, "se", ["c2", "f2"], ["out"], params)
        hidden = F.relu(F.linear(F.adaptive_avg_pool2d(c, 1).reshape(1, 37), w1, b1))
        assert (hidden > 0).sum() >= 2
        gate = torch.sigmoid(F.linear(hidden, w2, b2)).reshape(1, 37, 1, 1)
        _case(g, name, m, x, c * gate)

    # Global max pooling, and InnerProduct on a whole feature map (flattened in c, h, w order) with a clip.
    name = "ncnn_global_max_then_innerproduct_clip"
    m, x = _model(g, name)
    m.layer("Pooling", "gmp", ["in"], ["g"], {0: 0, 4: 1})
    w, b = g.rand_weight(m.gen, 7, 3) * 4, g.rand_weight(m.gen, 7)
    m.layer("InnerProduct", "fc", ["g"], ["out"], {0: 7, 1: 1, 2: 21, 9: 3, 10: [-0.25, 0.5]}, [w], [b])
    y = torch.clamp(F.linear(F.adaptive_max_pool2d(x, 1).reshape(1, 3), w, b), -0.25, 0.5)
    assert (y == -0.25).any() and (y == 0.5).any()
    _case(g, name, m, x, y.reshape(1, 7, 1, 1))
    name = "ncnn_innerproduct_on_a_map_leaky"
    m, x = _model(g, name)
    w, b = g.rand_weight(m.gen, 4, 3 * 7 * 13), g.rand_weight(m.gen, 4)
    m.layer("InnerProduct", "fc", ["in"], ["out"], {0: 4, 1: 1, 2: 4 * 273, 9: 2, 10: [0.1]}, [w], [b])
    _case(g, name, m, x, F.leaky_relu(F.linear(x.reshape(1, 273), w, b), 0.1).reshape(1, 4, 1, 1))


def _ncnn_binary_cases(g):
    # Two tensors (0=op_type: 0 add, 1 sub, 2 mul, 3 div, 7 rsub b - a, 8 rdiv b / a): p and q are 1x1
    # convolutions of the input, q through a sigmoid so that dividing by it stays finite.
    # 4 max, 5 min, 6 pow a^b and 9 rpow b^a raise the sigmoid blob (in (0, 1)) or take it as the exponent.
    for op, label, fn in ((0, "add", lambda p, q: p + q), (1, "sub", lambda p, q: p - q),
                          (2, "mul", lambda p, q: p * q), (3, "div", lambda p, q: p / q),
                          (4, "max", torch.maximum), (5, "min", torch.minimum),
                          (6, "pow", lambda p, q: torch.pow(q, p)),
                          (7, "rsub", lambda p, q: q - p), (8, "rdiv", lambda p, q: q / p),
                          (9, "rpow", lambda p, q: torch.pow(q, p))):
        name = "ncnn_binaryop_%s_same_shape" % label
        m, x = _model(g, name)
        p = m.conv1x1(g, x, "in", "p", 5)
        q = torch.sigmoid(m.conv1x1(g, x, "in", "q0", 5))
        m.layer("Sigmoid", "sig", ["q0"], ["q"])
        # For rsub and rdiv the sigmoid blob comes first, so rdiv divides by it too; pow raises it (q ^ p), and
        # rpow with the blobs p, q computes q ^ p as well.
        bottoms = ["q", "p"] if op in (6, 7, 8) else ["p", "q"]
        m.layer("BinaryOp", "op", bottoms, ["out"], {0: op})
        _case(g, name, m, x, fn(q, p) if op in (7, 8) else fn(p, q))

    # Broadcasts: a vector of C values (global pooling) against a C-channel map, on either side, and a
    # 1-channel map against a C-channel map.
    def vector_case(name, op, vector_first, fn):
        m, x = _model(g, name)
        p = m.conv1x1(g, x, "in", "p", 5)
        m.layer("Split", "split", ["p"], ["p1", "p2"])
        m.layer("Pooling", "gap", ["p1"], ["v0"], {0: 1, 4: 1})
        m.layer("Sigmoid", "sig", ["v0"], ["v"])
        v = torch.sigmoid(F.adaptive_avg_pool2d(p, 1))
        m.layer("BinaryOp", "op", ["v", "p2"] if vector_first else ["p2", "v"], ["out"], {0: op})
        _case(g, name, m, x, fn(p, v))

    vector_case("ncnn_binaryop_sub_map_vector", 1, False, lambda p, v: p - v)
    vector_case("ncnn_binaryop_div_map_vector", 3, False, lambda p, v: p / v)
    vector_case("ncnn_binaryop_add_vector_map", 0, True, lambda p, v: v + p)
    vector_case("ncnn_binaryop_rsub_vector_map", 7, True, lambda p, v: p - v)
    vector_case("ncnn_binaryop_rdiv_vector_map", 8, True, lambda p, v: p / v)
    for op, label, fn, first in ((2, "mul", lambda p, r: p * r, False), (1, "sub", lambda p, r: r - p, True)):
        name = "ncnn_binaryop_%s_one_channel_map" % label
        m, x = _model(g, name)
        p = m.conv1x1(g, x, "in", "p", 5)
        r = m.conv1x1(g, x, "in", "r", 1)
        m.layer("BinaryOp", "op", ["r", "p"] if first else ["p", "r"], ["out"], {0: op})
        _case(g, name, m, x, fn(p, r))

    # With a scalar (1=with_scalar, 2=b): add, sub, mul, div, rsub in a chain.
    name = "ncnn_binaryop_scalar_chain"
    m, x = _model(g, name)
    m.layer("BinaryOp", "add", ["in"], ["a"], {0: 0, 1: 1, 2: 0.5})
    m.layer("BinaryOp", "mul", ["a"], ["b"], {0: 2, 1: 1, 2: -1.5})
    m.layer("BinaryOp", "sub", ["b"], ["c"], {0: 1, 1: 1, 2: 0.25})
    m.layer("BinaryOp", "rsub", ["c"], ["d"], {0: 7, 1: 1, 2: 2.0})
    m.layer("BinaryOp", "div", ["d"], ["out"], {0: 3, 1: 1, 2: 4.0})
    _case(g, name, m, x, (2.0 - ((x + 0.5) * -1.5 - 0.25)) / 4.0)

    # Scale with its own weights and bias, BatchNorm, and Eltwise (sum with coefficients 1, -1, 1; product).
    name = "ncnn_scale_bias_and_batchnorm"
    m, x = _model(g, name)
    s, sb = g.rand_weight(m.gen, 3) * 4, g.rand_weight(m.gen, 3)
    m.layer("Scale", "scale", ["in"], ["s"], {0: 3, 1: 1}, raw=[s, sb])
    slope, mean, bias = g.rand_weight(m.gen, 3) * 4, g.rand_weight(m.gen, 3), g.rand_weight(m.gen, 3)
    var = g.rand_weight(m.gen, 3) + 1.0
    m.layer("BatchNorm", "bn", ["s"], ["out"], {0: 3, 1: 0.001}, raw=[slope, mean, var, bias])
    y = x * s.reshape(1, 3, 1, 1) + sb.reshape(1, 3, 1, 1)
    y = F.batch_norm(y, mean, var, slope, bias, training=False, eps=0.001)
    _case(g, name, m, x, y)
    name = "ncnn_eltwise_sum_coeffs_and_product"
    m, x = _model(g, name)
    p = m.conv1x1(g, x, "in", "p", 5)
    q = m.conv1x1(g, x, "in", "q", 5)
    r = m.conv1x1(g, x, "in", "r", 5)
    m.layer("Eltwise", "sum", ["p", "q", "r"], ["s"], {0: 1, 1: [1.0, -1.0, 1.0]})
    t = m.conv1x1(g, x, "in", "t", 5)
    m.layer("Eltwise", "prod", ["s", "t"], ["out"], {0: 0})
    _case(g, name, m, x, (p - q + r) * t)


def _ncnn_layout_cases(g):
    # Crop: offsets (0=w, 1=h, 2=c; 6, 7, 8 from the far end), starts / ends / axes, and to a reference blob.
    name = "ncnn_crop_offsets"
    m, x = _model(g, name, hw=(13, 11))
    p = m.conv1x1(g, x, "in", "p", 6)
    m.layer("Crop", "crop", ["p"], ["out"], {0: 1, 1: 2, 2: 1, 6: 2, 7: 1, 8: 1})
    _case(g, name, m, x, p[:, 1:5, 2:12, 1:9])
    name = "ncnn_crop_starts_ends_axes"
    m, x = _model(g, name, hw=(13, 11))
    p = m.conv1x1(g, x, "in", "p", 6)
    m.layer("Crop", "crop", ["p"], ["out"], {9: [1, 2, 3], 10: [-1, -2, -233], 11: [0, 1, 2]})
    _case(g, name, m, x, p[:, 1:5, 2:11, 3:])
    name = "ncnn_crop_to_reference"
    m, x = _model(g, name, hw=(13, 11))
    p = m.conv1x1(g, x, "in", "p", 5)
    w5 = g.rand_weight(m.gen, 5, 3, 5, 5)
    m.layer("Convolution", "valid5", ["in"], ["ref"], {0: 5, 1: 5, 5: 0, 6: w5.numel()}, [w5])
    ref = F.conv2d(x, w5)
    m.layer("Crop", "crop", ["p", "ref"], ["c"], {0: 3, 1: 1})
    # The reference is only a size; both must be read, so the output adds them.
    m.layer("BinaryOp", "join", ["c", "ref"], ["out"], {0: 0})
    _case(g, name, m, x, p[:, :, 1:10, 3:10] + ref)

    # Padding: 0=top, 1=bottom, 2=left, 3=right, 4=type (0 constant zero, 1 replicate, 2 reflect).
    for kind, mode in ((0, "constant"), (1, "replicate"), (2, "reflect")):
        name = "ncnn_padding_%s" % mode
        m, x = _model(g, name)
        m.layer("Padding", "pad", ["in"], ["out"], {0: 1, 1: 2, 2: 3, 3: 0, 4: kind})
        _case(g, name, m, x, F.pad(x, (3, 0, 1, 2), mode=mode))

    # Concat of three blobs along the channels.
    name = "ncnn_concat_three"
    m, x = _model(g, name)
    p = m.conv1x1(g, x, "in", "p", 5)
    q = m.conv1x1(g, x, "in", "q", 2)
    m.layer("Concat", "cat", ["q", "in", "p"], ["out"], {0: 0})
    _case(g, name, m, x, torch.cat([q, x, p], dim=1))

    # Interp (0=type 1 nearest, 2 bilinear, 3 bicubic; 1=height_scale, 2=width_scale; 3=out h, 4=out w;
    # 6=align_corner). ncnn makes the output int(size * scale) and, for bilinear and bicubic, maps coordinates with
    # input / output size (linear_coeffs, cubic_coeffs); nearest maps them with 1 / scale.
    def interp(name, params, ref):
        m, x = _model(g, name)
        m.layer("Interp", "interp", ["in"], ["out"], params)
        _case(g, name, m, x, ref(x))

    def by_sizes(mode, sy, sx, align=None):
        return lambda x: F.interpolate(x, size=(int(x.shape[2] * sy), int(x.shape[3] * sx)), mode=mode,
                                       align_corners=align)

    interp("ncnn_interp_nearest_x2", {0: 1, 1: 2.0, 2: 2.0}, lambda x: F.interpolate(x, scale_factor=2, mode="nearest"))
    interp("ncnn_interp_nearest_x1.5", {0: 1, 1: 1.5, 2: 1.5},
           lambda x: F.interpolate(x, scale_factor=1.5, mode="nearest"))
    interp("ncnn_interp_bilinear_x2", {0: 2, 1: 2.0, 2: 2.0}, by_sizes("bilinear", 2, 2, False))
    interp("ncnn_interp_bilinear_x2_align", {0: 2, 1: 2.0, 2: 2.0, 6: 1}, by_sizes("bilinear", 2, 2, True))
    interp("ncnn_interp_bicubic_x2", {0: 3, 1: 2.0, 2: 2.0}, by_sizes("bicubic", 2, 2, False))
    interp("ncnn_interp_bilinear_x1.5x2.5", {0: 2, 1: 1.5, 2: 2.5}, by_sizes("bilinear", 1.5, 2.5, False))
    interp("ncnn_interp_bicubic_x1.5", {0: 3, 1: 1.5, 2: 1.5}, by_sizes("bicubic", 1.5, 1.5, False))
    interp("ncnn_interp_bilinear_size_17x29", {0: 2, 3: 17, 4: 29},
           lambda x: F.interpolate(x, size=(17, 29), mode="bilinear", align_corners=False))

    # PixelShuffle: 0=upscale_factor, 1=mode (0 PyTorch's order, 1 TensorFlow's depth-to-space).
    for mode in (0, 1):
        name = "ncnn_pixelshuffle_r2_mode%d" % mode
        m, x = _model(g, name)
        p = m.conv1x1(g, x, "in", "p", 12)
        m.layer("PixelShuffle", "ps", ["p"], ["out"], {0: 2, 1: mode})
        _case(g, name, m, x, g.pixel_shuffle_ref(p, {"scale": 2, "order": "crd" if mode == 0 else "dcr"}))


def _ncnn_activation_cases(g):
    # Standalone on the input, and PReLU after a convolution (fused into it by the graph passes).
    slopes = torch.tensor([0.25, -0.125, 0.5], dtype=torch.float32)
    cases = [
        ("ncnn_relu", "ReLU", {}, (), F.relu),
        ("ncnn_relu_slope", "ReLU", {0: 0.1}, (), lambda x: F.leaky_relu(x, 0.1)),
        ("ncnn_prelu_channels", "PReLU", {0: 3}, (slopes,), lambda x: F.prelu(x, slopes)),
        ("ncnn_prelu_shared", "PReLU", {0: 1}, (slopes[:1],), lambda x: F.prelu(x, slopes[:1])),
        ("ncnn_sigmoid", "Sigmoid", {}, (), torch.sigmoid),
        ("ncnn_tanh", "TanH", {}, (), torch.tanh),
        ("ncnn_clip", "Clip", {0: -0.25, 1: 0.5}, (), lambda x: torch.clamp(x, -0.25, 0.5)),
    ]
    for name, kind, params, raw, ref in cases:
        m, x = _model(g, name)
        m.layer(kind, "act", ["in"], ["out"], params, raw=raw)
        _case(g, name, m, x, ref(x))
    name = "ncnn_convolution_then_prelu"
    m, x = _model(g, name)
    p = m.conv1x1(g, x, "in", "p", 5)
    s5 = torch.tensor([0.25, -0.125, 0.5, 0.0625, -0.25], dtype=torch.float32)
    m.layer("PReLU", "act", ["p"], ["out"], {0: 5}, raw=[s5])
    _case(g, name, m, x, F.prelu(p, s5))


def _ncnn_convolution_cases(g):
    # ConvolutionDepthWise (7=group; weights [out][in/group][kh][kw] as PyTorch's), with its fused activation
    # (9=type, 10=params), stride, dilation, asymmetric pads (4=left, 15=right, 14=top, 16=bottom) and SAME.
    conv_cases = [
        ("ncnn_convdw_k3_s2_p1_leaky", 3, 3, 3, 3, {4: 1, 9: 2, 10: [0.1]}, (1, 1, 1, 1), 2, 1,
         lambda y: F.leaky_relu(y, 0.1)),
        ("ncnn_convdw_mult2_k3_d2_p2_relu", 3, 6, 3, 3, {4: 2, 9: 1}, (2, 2, 2, 2), 1, 2, F.relu),
        ("ncnn_convdw_g2_k3_asympad_sigmoid", 6, 4, 3, 2, {4: 1, 15: 2, 14: 0, 16: 1, 9: 4}, (0, 1, 1, 2), 1, 1,
         torch.sigmoid),
        ("ncnn_conv_k4_same_upper_clip", 3, 5, 4, 1, {4: -233, 9: 3, 10: [-0.3, 0.4]}, (1, 1, 2, 2), 1, 1,
         lambda y: torch.clamp(y, -0.3, 0.4)),
    ]
    for name, cin, out, k, group, params, pad, stride, dilation, act in conv_cases:
        m, x = _model(g, name, hw=(13, 11))
        src, inp = "in", x
        if cin != 3:
            inp = m.conv1x1(g, x, "in", "wide", cin)
            src = "wide"
        w = g.rand_weight(m.gen, out, cin // group, k, k)
        b = g.rand_weight(m.gen, out)
        p = {0: out, 1: k, 2: dilation, 3: stride, 5: 1, 6: w.numel()}
        if group > 1:
            p[7] = group
        p.update(params)
        m.layer("ConvolutionDepthWise" if group > 1 else "Convolution", "conv", [src], ["out"], p, [w], [b])
        top, left, bottom, right = pad
        y = F.conv2d(F.pad(inp, (left, right, top, bottom)), w, b, stride=stride, dilation=dilation, groups=group)
        _case(g, name, m, x, act(y))

    # Deconvolution / DeconvolutionDepthWise: PyTorch's weight [in][out/g][kh][kw] written in ncnn's order
    # [g][out/g][in/g][kh][kw]; 4=pad (cropped from the output), 18=output_pad_right (19=bottom, default right).
    deconv_cases = [
        ("ncnn_deconv_k3_s3_p1_relu", 3, 2, 3, 1, 3, 1, 0, {9: 1}, F.relu),
        ("ncnn_deconvdw_k4_s2_p1", 3, 3, 4, 3, 2, 1, 0, {}, None),
        ("ncnn_deconvdw_mult2_k3_s2_p1_op1", 3, 6, 3, 3, 2, 1, 1, {18: 1}, None),
        ("ncnn_deconvdw_g2_k3_s2_p1_op1_leaky", 6, 4, 3, 2, 2, 1, 1, {18: 1, 9: 2, 10: [0.2]},
         lambda y: F.leaky_relu(y, 0.2)),
    ]
    for name, cin, out, k, group, stride, pad, out_pad, params, act in deconv_cases:
        m, x = _model(g, name)
        src, inp = "in", x
        if cin != 3:
            inp = m.conv1x1(g, x, "in", "wide", cin)
            src = "wide"
        w = g.rand_weight(m.gen, cin, out // group, k, k)
        b = g.rand_weight(m.gen, out)
        ncnn_w = w.reshape(group, cin // group, out // group, k, k).permute(0, 2, 1, 3, 4).contiguous()
        p = {0: out, 1: k, 3: stride, 4: pad, 5: 1, 6: w.numel()}
        if group > 1:
            p[7] = group
        p.update(params)
        m.layer("DeconvolutionDepthWise" if group > 1 else "Deconvolution", "deconv", [src], ["out"], p, [ncnn_w], [b])
        y = F.conv_transpose2d(inp, w, b, stride=stride, padding=pad, output_padding=out_pad, groups=group)
        _case(g, name, m, x, act(y) if act else y)


def add_cases(g):
    """Adds every case through generate.py's helpers (the module `g`)."""
    _spec_cases(g)
    _ncnn_pooling_cases(g)
    _ncnn_binary_cases(g)
    _ncnn_layout_cases(g)
    _ncnn_activation_cases(g)
    _ncnn_convolution_cases(g)
