"""The FSRCNN-shaped network the project trains, with three interchangeable upsampling heads.

Body (Dong, Loy, Tang 2016), all at low resolution, every convolution followed by a per-channel PReLU:

    feature extraction  Conv 5x5, C -> d
    shrinking           Conv 1x1, d -> s
    mapping             m x Conv 3x3, s -> s
    expanding           Conv 1x1, s -> d

Heads (d -> C channels, x r; r is the scale, called s in the CLI):

    deconv      ConvTranspose 9x9, stride r, padding 4, output_padding r - 1 (FSRCNN's); out = in * r
    subpixel    Conv 3x3, d -> C r^2, then PixelShuffle(r) (ESPCN; ONNX DepthToSpace CRD), ICNR-initialised
    resizeconv  nearest x r, then Conv k x k, d -> C (Odena, Dumoulin, Olah 2016)

The 3x3 and 5x5 convolutions pad by replicating the edge (ONNX: Pad mode edge, which the importer folds
into the Conv), as the FSRCNN authors' released networks do; 1x1 convolutions need no padding. Tensors
are NCHW float32; C is 1 (studio-range Y / 255) or 3 (RGB in [0, 1]).

Training speed: PyTorch's CPU transposed convolution and the full-resolution convolution after nearest
upsampling are slow (the head alone at x2, forward and backward: 7x and 20x slower than what follows).
Both heads are linear maps that act on r x r output phases, so they are run as an equivalent low-resolution
convolution to C r^2 channels followed by PixelShuffle, with the kernel gathered from the head's own
weights at every step (phase_taps). The parameters stay those of the real layer; the ONNX export and
count_cost use the real operators (explicit_ops), and the export is checked against this path.

Cost accounting (count_cost): parameters are every weight, bias and PReLU slope. Multiply-adds per
input pixel are counted from the shapes a forward pass actually produces, divided by the input's pixel
count; biases and activations are not counted:
    Conv2d           out_h * out_w * (C_out * C_in / groups * k_h * k_w)  -- at the resolution it runs,
                     so the resizeconv head costs r^2 * C * d * k^2 per input pixel;
    ConvTranspose2d  in_h * in_w * (C_in * C_out / groups * k_h * k_w)    -- every input pixel scatters
                     a k x k kernel into every output channel, and those products are what is computed,
                     so the deconv head costs C * d * 81 per input pixel (about C * d * 81 / r^2 per
                     output pixel); the cropped borders (padding 4) are counted as performed.
"""

import contextlib
import math

import torch
import torch.nn as nn
import torch.nn.functional as F

FAMILIES = ("deconv", "subpixel", "resizeconv")
DEFAULT_HEAD_KERNEL = {"deconv": 9, "subpixel": 3, "resizeconv": 5}


def _he_init(conv, prelu_slope=0.25):
    """He et al. 2015 normal initialisation for a convolution followed by a PReLU; bias zero."""
    nn.init.kaiming_normal_(conv.weight, a=prelu_slope, mode="fan_in", nonlinearity="leaky_relu")
    nn.init.zeros_(conv.bias)


def _linear_init(weight, fan_in):
    """Normal weights with standard deviation 0.1 / sqrt(fan_in), for the last (linear) layer.

    1 / sqrt(fan_in) would keep the output's variance near its input's; the factor 0.1 starts the
    network closer to a flat image, which trained faster here (400 iterations, x2: 31.9 against 31.3 dB
    on Set5 for deconv, 31.9 against 30.6 for subpixel). It scales the initial output's pattern, not its
    shape, so the artifacts a head makes at initialisation keep their form.
    """
    with torch.no_grad():
        weight.normal_(0.0, 0.1 / math.sqrt(fan_in))


_explicit = [False]


@contextlib.contextmanager
def explicit_ops():
    """Within this block the heads run their real operators (ConvTranspose; Resize then Conv)."""
    saved = _explicit[0]
    _explicit[0] = True
    try:
        yield
    finally:
        _explicit[0] = saved


def _use_explicit():
    return _explicit[0] or torch.onnx.is_in_onnx_export()


def phase_taps(kind, r, k):
    """A 0/1 tensor M (r, U, k) and the padding (before, after) of the low-resolution equivalent.

    Output pixel q r + i (phase i) of the head is sum_u sum_t M[i, u, t] W[t] x[q + u - before] in one
    dimension, W the head's k taps:
        deconv (padding k // 2 = p): x[q'] reaches output q' r - p + t, so t = i + p - u' r with u' the
            offset q' - q;  M[i, u, t] = 1 where t = i + p - (u - before) r.
        resizeconv (nearest x r, then a k-tap conv with padding p): output q r + i reads upsampled pixel
            q r + i + t - p, i.e. input q + floor((i + t - p) / r); several taps may fall on one input.
    The 2D kernel is M (x) M applied to W (see _low_res_kernel).
    """
    p = k // 2
    entries = []
    for i in range(r):
        for t in range(k):
            if kind == "deconv":
                if (i + p - t) % r == 0:
                    entries.append((i, (i + p - t) // r, t))
            else:
                entries.append((i, (i + t - p) // r, t))
    lo = min(e[1] for e in entries)
    hi = max(e[1] for e in entries)
    m = torch.zeros(r, hi - lo + 1, k)
    for i, u, t in entries:
        m[i, u - lo, t] += 1
    return m, -lo, hi


def _low_res_kernel(weight, taps, r):
    """Conv weight (C r^2, d, U, U) from a head kernel (C, d, k, k); channel c r^2 + i r + j is phase (i, j),
    the order PixelShuffle reads."""
    c, d = weight.shape[:2]
    u = taps.shape[1]
    return torch.einsum("iat,jbs,cdts->cijdab", taps, taps, weight).reshape(c * r * r, d, u, u)


class DeconvHead(nn.ConvTranspose2d):
    """ConvTranspose2d(d, C, k, stride r, padding k // 2, output_padding r - 1): output size in * r."""

    def __init__(self, d, channels, k, r):
        super().__init__(d, channels, k, stride=r, padding=k // 2, output_padding=r - 1)
        taps, self.pad_before, self.pad_after = phase_taps("deconv", r, k)
        self.register_buffer("taps", taps, persistent=False)
        self.r = r

    def forward(self, x):
        if _use_explicit():
            return super().forward(x)
        # Zero padding: the transposed convolution has no input outside the image.
        a, b = self.pad_before, self.pad_after
        kernel = _low_res_kernel(self.weight.transpose(0, 1), self.taps, self.r)
        y = F.conv2d(F.pad(x, (a, b, a, b)), kernel, self.bias.repeat_interleave(self.r * self.r))
        return F.pixel_shuffle(y, self.r)


class Upsample(nn.Module):
    """Nearest-neighbour upsampling by an integer factor (exports as ONNX Resize with constant scales)."""

    def __init__(self, scale):
        super().__init__()
        self.scale = scale

    def forward(self, x):
        return F.interpolate(x, scale_factor=float(self.scale), mode="nearest")


class ResizeConvHead(nn.Module):
    """Nearest x r, then Conv2d(d, C, k, padding k // 2, replicate)."""

    def __init__(self, d, channels, k, r):
        super().__init__()
        self.upsample = Upsample(r)
        self.conv = nn.Conv2d(d, channels, k, padding=k // 2, padding_mode="replicate")
        taps, self.pad_before, self.pad_after = phase_taps("resizeconv", r, k)
        self.register_buffer("taps", taps, persistent=False)
        self.r = r

    def forward(self, x):
        if _use_explicit():
            return self.conv(self.upsample(x))
        # Replicating the edge commutes with nearest upsampling, so the padding moves to low resolution.
        a, b = self.pad_before, self.pad_after
        kernel = _low_res_kernel(self.conv.weight, self.taps, self.r)
        bias = self.conv.bias.repeat_interleave(self.r * self.r)
        y = F.conv2d(F.pad(x, (a, b, a, b), mode="replicate"), kernel, bias)
        return F.pixel_shuffle(y, self.r)


class SuperResolutionNet(nn.Module):
    """FSRCNN body plus one upsampling head. Input (N, C, H, W), output (N, C, H * scale, W * scale)."""

    def __init__(self, family, scale, channels=1, d=56, s=12, m=4, head_kernel=None):
        super().__init__()
        if family not in FAMILIES:
            raise ValueError(f"family must be one of {FAMILIES}, not {family!r}")
        if scale < 2:
            raise ValueError(f"scale must be an integer >= 2, not {scale}")
        if channels not in (1, 3):
            raise ValueError(f"channels must be 1 or 3, not {channels}")
        if d < 1 or s < 1 or m < 0:
            raise ValueError(f"need d >= 1, s >= 1, m >= 0 (got d={d}, s={s}, m={m})")
        k = DEFAULT_HEAD_KERNEL[family] if head_kernel is None else head_kernel
        if k < 1 or k % 2 == 0:
            raise ValueError(f"the head kernel must be odd and positive, not {k}")
        self.family, self.scale, self.channels = family, scale, channels
        self.d, self.s, self.m, self.head_kernel = d, s, m, k

        layers = [nn.Conv2d(channels, d, 5, padding=2, padding_mode="replicate"), nn.PReLU(d, 0.25),
                  nn.Conv2d(d, s, 1), nn.PReLU(s, 0.25)]
        for _ in range(m):
            layers += [nn.Conv2d(s, s, 3, padding=1, padding_mode="replicate"), nn.PReLU(s, 0.25)]
        layers += [nn.Conv2d(s, d, 1), nn.PReLU(d, 0.25)]
        self.body = nn.Sequential(*layers)
        for layer in self.body:
            if isinstance(layer, nn.Conv2d):
                _he_init(layer)

        if family == "deconv":
            # Padding (k - 1) / 2 and output_padding r - 1 give exactly in * r for any odd k.
            conv = DeconvHead(d, channels, k, scale)
            # Each output pixel sums about (k / r)^2 taps of d channels.
            _linear_init(conv.weight, d * (k / scale) ** 2)
            self.head = conv
        elif family == "subpixel":
            conv = nn.Conv2d(d, channels * scale * scale, k, padding=k // 2, padding_mode="replicate")
            self._icnr_init(conv, channels, scale, d * k * k)
            self.head = nn.Sequential(conv, nn.PixelShuffle(scale))
        else:
            self.head = ResizeConvHead(d, channels, k, scale)
            _linear_init(self.head.conv.weight, d * k * k)
        # Output bias 0.5, the middle of the [0, 1] range: training starts from mid-grey, not black.
        output_conv = {"deconv": lambda: self.head, "subpixel": lambda: self.head[0],
                       "resizeconv": lambda: self.head.conv}[family]()
        nn.init.constant_(output_conv.bias, 0.5)

    @staticmethod
    def _icnr_init(conv, channels, scale, fan_in):
        """ICNR (Aitken et al. 2017): draw a C-output kernel and repeat each output kernel r^2 times.

        PixelShuffle (CRD) takes output channel c, sub-pixel (i, j) from conv channel c * r^2 + i * r + j,
        so repeat_interleave along the output axis makes the r^2 sub-kernels of every output channel
        equal: at initialisation the head is a conv followed by nearest upsampling, with no checkerboard.
        """
        small = torch.empty(channels, conv.in_channels, *conv.kernel_size)
        _linear_init(small, fan_in)
        with torch.no_grad():
            conv.weight.copy_(small.repeat_interleave(scale * scale, dim=0))

    def forward(self, x):
        return self.head(self.body(x))

    def architecture(self):
        """One line that names the architecture (stored in the ONNX metadata)."""
        return f"d={self.d},s={self.s},m={self.m},head_kernel={self.head_kernel}"


def count_cost(model, size=16):
    """(parameters, multiply-adds per input pixel) of `model`; see the module docstring for the rules."""
    params = sum(p.numel() for p in model.parameters())
    macs = 0
    hooks = []

    def conv_hook(module, inputs, output):
        nonlocal macs
        per_position = module.out_channels * module.in_channels // module.groups * \
            module.kernel_size[0] * module.kernel_size[1]
        if isinstance(module, nn.ConvTranspose2d):
            positions = inputs[0].shape[2] * inputs[0].shape[3]
        else:
            positions = output.shape[2] * output.shape[3]
        macs += positions * per_position

    for module in model.modules():
        if isinstance(module, (nn.Conv2d, nn.ConvTranspose2d)):
            hooks.append(module.register_forward_hook(conv_hook))
    try:
        with torch.no_grad(), explicit_ops():
            model(torch.zeros(1, model.channels, size, size))
    finally:
        for h in hooks:
            h.remove()
    if macs % (size * size):
        raise AssertionError("multiply-adds per input pixel is not a whole number")
    return params, macs // (size * size)
