"""An independent PyTorch runner for ncnn .param + .bin models, and the golden data of the ncnn tests.

Run from the repository root with Debian's interpreter (torch 1.13, numpy):

    /usr/bin/python3 tests/ncnn/reference.py            # regenerates tests/RealtimeUpscale.Tests/Golden/ncnn/
    /usr/bin/python3 tests/ncnn/reference.py M.param IN.png OUT.png   # upscales one image as the model's tool does

It shares no code with the C# importer: it reads the files by ncnn's documentation
(docs/developer-guide/param-and-model-file-structure.md) and the parameter ids of ncnn's src/layer/*.cpp, runs
every layer with torch in float64, and frames the network as the two tools do, with the values hard-coded in
their sources (waifu2x-ncnn-vulkan main.cpp / waifu2x.cpp, realcugan-ncnn-vulkan main.cpp / realcugan.cpp):
the input / 255 is padded by `prepadding` on every side plus, on the bottom and right, up to a multiple of 2
(scale 2 and 4) or 4 (scale 1 and 3); waifu2x pads by repeating the edge, Real-CUGAN by reflection; the output's
top-left scale x (input size) is kept; for Real-CUGAN x4 the input upsampled by nearest neighbour is added to it.

Golden files (deterministic; the input is a synthetic picture, no dataset image): for each model,
NAME.f16: int32 channels, height, width, then the float16 output in [C][H][W] order (the network's output
before 8-bit rounding, on the [0, 1] scale); input_23x21.rgb: the 23 x 21 (width x height) RGB input, 8 bits
per value, row-major, interleaved.
"""

import os
import struct
import sys

import numpy as np
import torch
import torch.nn.functional as F

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
GOLDEN = os.path.join(REPO_ROOT, "tests", "RealtimeUpscale.Tests", "Golden", "ncnn")
PEERS = os.path.join(os.path.dirname(REPO_ROOT), "shared", "peers")

# name: (tool, model folder, file stem, scale, prepadding)
MODELS = {
    "upconv7_photo": ("waifu2x", "models-upconv_7_photo", "scale2.0x_model", 2, 7),
    "upconv7_art": ("waifu2x", "models-upconv_7_anime_style_art_rgb", "scale2.0x_model", 2, 7),
    "cunet": ("waifu2x", "models-cunet", "scale2.0x_model", 2, 18),
    "realcugan_se_2x": ("realcugan", "models-se", "up2x-no-denoise", 2, 18),
    "realcugan_se_3x": ("realcugan", "models-se", "up3x-no-denoise", 3, 14),
    "realcugan_se_4x": ("realcugan", "models-se", "up4x-no-denoise", 4, 19),
}

TAG_FP16 = 0x01306B47
TAG_INT8 = 0x000D4B38
TAG_FP32 = 0x0002C056


class Bin:
    """Sequential reader of an ncnn .bin, as ModelBinFromDataReader::load."""

    def __init__(self, path):
        with open(path, "rb") as f:
            self.data = f.read()
        self.pos = 0

    def take(self, n):
        if self.pos + n > len(self.data):
            raise ValueError("truncated .bin")
        b = self.data[self.pos:self.pos + n]
        self.pos += n
        return b

    def raw(self, n):
        return np.frombuffer(self.take(4 * n), dtype="<f4").astype(np.float64)

    def tagged(self, n):
        tag = struct.unpack("<I", self.take(4))[0]
        if tag == TAG_FP16:
            v = np.frombuffer(self.take(2 * n), dtype="<f2").astype(np.float64)
            self.take((4 - (2 * n) % 4) % 4)
            return v
        if tag == TAG_INT8:
            raise ValueError("int8 weights are not used by these models")
        if tag in (TAG_FP32, 0):
            return self.raw(n)
        table = self.raw(256)
        idx = np.frombuffer(self.take(n), dtype=np.uint8)
        self.take((4 - n % 4) % 4)
        return table[idx]


def parse_param(path):
    with open(path) as f:
        lines = [l.split() for l in f if l.strip()]
    assert lines[0] == ["7767517"], "not an ncnn text param"
    layers = []
    for tok in lines[2:]:
        typ, name, nb, nt = tok[0], tok[1], int(tok[2]), int(tok[3])
        bottoms = tok[4:4 + nb]
        tops = tok[4 + nb:4 + nb + nt]
        params = {}
        for kv in tok[4 + nb + nt:]:
            k, v = kv.split("=")
            k = int(k)
            if k <= -23300:
                vals = v.split(",")
                params[-k - 23300] = [float(x) for x in vals[1:]]
            else:
                params[k] = float(v)
        layers.append((typ, name, bottoms, tops, params))
    return layers


def activation(x, p):
    t = int(p.get(9, 0))
    a = p.get(10, [])
    if t == 0:
        return x
    if t == 1:
        return F.relu(x)
    if t == 2:
        return torch.where(x >= 0, x, x * a[0])
    if t == 3:
        return torch.clamp(x, a[0], a[1])
    if t == 4:
        return torch.sigmoid(x)
    raise ValueError("activation %d" % t)


def run(param_path, bin_path, x):
    """Runs the network on x, a float64 tensor [C, H, W]; returns its output blob."""
    wb = Bin(bin_path)
    blobs = {}
    out = None
    for typ, name, bottoms, tops, p in parse_param(param_path):
        g = lambda k, d=0: p.get(k, d)
        ins = [blobs[b] for b in bottoms]
        if typ == "Input":
            y = x
        elif typ == "Split":
            for t in tops:
                blobs[t] = ins[0]
            continue
        elif typ in ("Convolution", "ConvolutionDepthWise", "Deconvolution", "DeconvolutionDepthWise"):
            o = int(g(0)); kw = int(g(1)); kh = int(g(11, kw)); dw = int(g(2, 1)); dh = int(g(12, dw))
            sw = int(g(3, 1)); sh = int(g(13, sw)); pl = int(g(4)); pt = int(g(14, pl)); pr = int(g(15, pl)); pb = int(g(16, pt))
            group = int(g(7, 1)) if typ.endswith("DepthWise") else 1
            n = int(g(6))
            w = torch.from_numpy(wb.tagged(n).copy())
            b = torch.from_numpy(wb.raw(o).copy()) if int(g(5)) else None
            xin = ins[0].unsqueeze(0)
            cin = xin.shape[1]
            if typ.startswith("Convolution"):
                w = w.view(o, cin // group, kh, kw)
                xin = F.pad(xin, (pl, pr, pt, pb))
                y = F.conv2d(xin, w, b, stride=(sh, sw), dilation=(dh, dw), groups=group)[0]
            else:
                # ncnn: [group][out/g][in/g][kh][kw]; torch: [in][out/g][kh][kw].
                w = w.view(group, o // group, cin // group, kh, kw).permute(0, 2, 1, 3, 4).reshape(cin, o // group, kh, kw)
                y = F.conv_transpose2d(xin, w, b, stride=(sh, sw), groups=group)[0]
                opr = int(g(18)); opb = int(g(19, opr))
                y = F.pad(y, (0, opr, 0, opb))
                y = y[:, pt:y.shape[1] - pb, pl:y.shape[2] - pr]
            y = activation(y, p)
        elif typ == "Pooling":
            assert int(g(4)) == 1, "windowed pooling is not used by these models"
            y = ins[0].mean(dim=(1, 2)) if int(g(0)) == 1 else ins[0].amax(dim=(1, 2))
        elif typ == "InnerProduct":
            o = int(g(0)); n = int(g(2))
            w = torch.from_numpy(wb.tagged(n).copy()).view(o, n // o)
            b = torch.from_numpy(wb.raw(o).copy()) if int(g(1)) else 0
            y = activation(w @ ins[0].reshape(-1) + b, p)
        elif typ == "Scale":
            if int(g(0)) == -233:
                y = ins[0] * ins[1].view(-1, 1, 1)
            else:
                s = torch.from_numpy(wb.raw(int(g(0))).copy())
                y = ins[0] * s.view(-1, 1, 1)
                if int(g(1)):
                    y = y + torch.from_numpy(wb.raw(int(g(0))).copy()).view(-1, 1, 1)
        elif typ == "BinaryOp":
            op = int(g(0))
            a = ins[0]
            if int(g(1)):
                b = torch.tensor(g(2), dtype=torch.float64)
            else:
                b = ins[1]
                # ncnn: a vector against a 3-d blob broadcasts per channel when its length is the channel count.
                if a.dim() == 3 and b.dim() == 1:
                    b = b.view(-1, 1, 1)
                if b.dim() == 3 and a.dim() == 1:
                    a = a.view(-1, 1, 1)
            y = {0: lambda: a + b, 1: lambda: a - b, 2: lambda: a * b, 3: lambda: a / b, 7: lambda: b - a, 8: lambda: b / a}[op]()
        elif typ == "Eltwise":
            op = int(g(0)); coeffs = g(1, None)
            if op == 1:
                y = sum(t * (coeffs[i] if coeffs else 1) for i, t in enumerate(ins))
            elif op == 0:
                y = ins[0]
                for t in ins[1:]:
                    y = y * t
            else:
                y = ins[0]
                for t in ins[1:]:
                    y = torch.maximum(y, t)
        elif typ == "Crop":
            a = ins[0]
            if len(ins) == 2:
                ref = ins[1]
                wo, ho, co = int(g(0)), int(g(1)), int(g(2))
                y = a[co:co + ref.shape[0], ho:ho + ref.shape[1], wo:wo + ref.shape[2]]
            else:
                sl = [slice(None)] * 3
                for s, e, ax in zip(g(9), g(10), g(11, [0, 1, 2])):
                    ax = int(ax) % 3
                    s, e = int(s), int(e)
                    n = a.shape[ax]
                    s = 0 if s == -233 else (s if s >= 0 else n + s)
                    e = n if e == -233 else min(n, e if e > 0 else n + e)
                    sl[ax] = slice(s, e)
                y = a[tuple(sl)]
        elif typ == "Concat":
            y = torch.cat(ins, dim=0)
        elif typ == "Interp":
            mode = {1: "nearest", 2: "bilinear", 3: "bicubic"}[int(g(0))]
            kw = dict(mode=mode)
            if mode != "nearest":
                kw["align_corners"] = bool(int(g(6)))
            if int(g(3)) and int(g(4)):
                kw["size"] = (int(g(3)), int(g(4)))
            else:
                kw["scale_factor"] = (g(1, 1.0), g(2, 1.0))
            y = F.interpolate(ins[0].unsqueeze(0), **kw)[0]
        elif typ == "PixelShuffle":
            y = F.pixel_shuffle(ins[0].unsqueeze(0), int(g(0)))[0]
        elif typ == "Padding":
            mode = {0: "constant", 1: "replicate", 2: "reflect"}[int(g(4))]
            y = F.pad(ins[0].unsqueeze(0), (int(g(2)), int(g(3)), int(g(0)), int(g(1))), mode=mode)[0]
        elif typ == "ReLU":
            s = g(0, 0.0)
            y = torch.where(ins[0] >= 0, ins[0], ins[0] * s)
        elif typ == "PReLU":
            n = int(g(0))
            s = torch.from_numpy(wb.raw(n).copy()).view(-1, 1, 1)
            y = torch.where(ins[0] >= 0, ins[0], ins[0] * s)
        elif typ == "Sigmoid":
            y = torch.sigmoid(ins[0])
        elif typ == "TanH":
            y = torch.tanh(ins[0])
        elif typ == "Clip":
            y = torch.clamp(ins[0], g(0, -3.4e38), g(1, 3.4e38))
        else:
            raise ValueError("layer type %s" % typ)
        blobs[tops[0]] = y
        out = y
    assert wb.pos == len(wb.data), ".bin not fully read"
    return out


def upscale(tool, param_path, scale, prepadding, rgb):
    """rgb: uint8 array [H, W, 3]. Returns the float64 output [3, scale H, scale W] on the [0, 1] scale."""
    h, w = rgb.shape[:2]
    x = torch.from_numpy(rgb.astype(np.float64) / 255.0).permute(2, 0, 1)
    align = 4 if scale in (1, 3) else 2
    eh, ew = (-h) % align, (-w) % align
    mode = "replicate" if tool == "waifu2x" else "reflect"
    xp = F.pad(x.unsqueeze(0), (prepadding, prepadding + ew, prepadding, prepadding + eh), mode=mode)[0]
    y = run(param_path, os.path.splitext(param_path)[0] + ".bin", xp)[:, :scale * h, :scale * w]
    if tool == "realcugan" and scale == 4:
        # realcugan_4x_postproc.comp adds the input, upsampled by nearest neighbour, to the network's output.
        y = y + x.repeat_interleave(4, dim=1).repeat_interleave(4, dim=2)
    return y


def synthetic_input(w=23, h=21):
    """A deterministic picture with edges, gradients and texture in every channel."""
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float64)
    r = 128 + 100 * np.sin(xx * 0.7) * np.cos(yy * 0.3)
    g = np.where((xx - 11) ** 2 + (yy - 10) ** 2 < 40, 220.0, 30.0) + 3 * xx
    b = (xx * 11 + yy * 7) % 256
    return np.clip(np.stack([r, g, b], axis=2).round(), 0, 255).astype(np.uint8)


def generate():
    torch.set_num_threads(1)
    os.makedirs(GOLDEN, exist_ok=True)
    rgb = synthetic_input()
    with open(os.path.join(GOLDEN, "input_23x21.rgb"), "wb") as f:
        f.write(rgb.tobytes())
    for name, (tool, folder, stem, scale, prepad) in MODELS.items():
        param = os.path.join(PEERS, tool, "models", folder, stem + ".param")
        y = upscale(tool, param, scale, prepad, rgb)
        c, hh, ww = y.shape
        with open(os.path.join(GOLDEN, name + ".f16"), "wb") as f:
            f.write(struct.pack("<3i", c, hh, ww))
            f.write(y.numpy().astype("<f2").tobytes())
        print(name, tuple(y.shape), float(y.min()), float(y.max()))


def main():
    if len(sys.argv) == 4:
        from PIL import Image
        param, src, dst = sys.argv[1:]
        tool = "realcugan" if "realcugan" in param else "waifu2x"
        entry = next(m for m in MODELS.values() if m[1] in param and m[2] in param)
        rgb = np.asarray(Image.open(src).convert("RGB"))
        y = upscale(tool, param, entry[3], entry[4], rgb)
        out = np.clip(np.floor(y.permute(1, 2, 0).numpy() * 255 + 0.5), 0, 255).astype(np.uint8)
        Image.fromarray(out).save(dst)
        return
    generate()


if __name__ == "__main__":
    main()
