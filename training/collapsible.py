"""Over-parameterised networks that collapse exactly to plain convolutions at export.

Every convolution of the network is trained as a sum of linear branches and shipped as the one convolution
they sum to, so the file costs what the deployed layers cost:

    linear   SESR's collapsible linear block (Bhardwaj et al. 2022): k x k conv C_in -> P (P wide, the
             expansion), then 1x1 P -> C_out. Kernel K[o, i] = sum_p B[o, p] A[p, i].
    ecb      ECBSR's edge-oriented block (Zhang, Zeng, Zhang 2021): k x k conv; 1x1 C_in -> 2 C_out then
             k x k; and three 1x1 convs each followed by a fixed mask (Sobel-x, Sobel-y, Laplacian, 3x3,
             centred in k x k) with a learned scale per channel. K = K_conv + sum_m S[o, m] A[o, i, m] +
             sum_e scale_e[o] W_e[o, i] mask_e.
    identity (blocks with C_in = C_out) the short residual: +1 on the centre tap of K[o, o].

Intermediate biases are left out: with the padding below, a bias between two linear maps only adds a
constant, which the block's one bias already spans.

Padding, and why the collapse is exact. A block pads its input once, by replicating the edge, and every
branch then runs valid convolutions on that padded tensor P: y = sum_b branch_b(P) + bias. Each branch is
a chain of valid convolutions (1x1 then k x k, or k x k then 1x1) on the same P; a valid convolution of a
valid convolution is the valid convolution with the composed kernel (associativity of correlation: no
boundary is crossed, since a 1x1 needs no border and the k x k reads only P), and convolution is linear, so
y = conv_valid(P, sum_b K_b) + bias exactly. Had each k x k padded its own input instead, a 1x1 before it
(with a bias, or before zero padding) would see pad values that are not the 1x1 of the input's pad values;
replicate padding of the block's input makes the collapsed Conv(pad=edge) the same function. The exported
Conv has pads k // 2 of mode edge (a Pad node the importer folds), i.e. exactly "pad once, then valid".

Heads (on the same body; C output channels, scale r), each a linear map preceded by a bias-free 1x1
expansion f -> P that collapses into it (a 1x1 commutes with zero insertion, nearest upsampling and edge
padding, so the composition is one operator of the same kind with kernel contracted over P):

    deconv      1x1 f -> P, ConvTranspose k x k P -> C, stride r, padding k // 2, output_padding r - 1
    subpixel    1x1 f -> P, Conv k x k (edge) P -> C r^2, PixelShuffle(r); ICNR on the k x k
    resizeconv  1x1 f -> P, nearest x r, Conv k x k (edge) P -> C

Network: first = block(C -> f, 5x5, linear), PReLU; m blocks (f -> f, 3x3, --block, with identity), each
then PReLU; the m blocks are bridged by a feature residual (SESR's); head; plus the input upsampled bicubically
(the long residual from the input, VDSR's and SESR's idea: the network learns the detail bicubic misses, and
starts from bicubic's PSNR). The residual is one Resize (cubic) and one Add at inference.

Training runs the collapsed form (SESR's efficient training): each step computes every collapsed kernel from
the branch parameters (a few hundred thousand multiply-adds) and runs the plain network, so a step costs
what the deployed network costs while the gradients reach the branch parameters exactly through the
collapse. Within `branches()` every block runs its branches one by one and the heads their real operators:
the "training network" as defined, which the tests compare with the export.
"""

import contextlib
import math

import torch
import torch.nn as nn
import torch.nn.functional as F

import networks

BLOCKS = ("linear", "ecb")
DEFAULT_HEAD_KERNEL = {"deconv": 9, "subpixel": 3, "resizeconv": 3}
FIRST_KERNEL = 5

_MASKS = torch.tensor([
    [[1.0, 0.0, -1.0], [2.0, 0.0, -2.0], [1.0, 0.0, -1.0]],   # Sobel-x
    [[1.0, 2.0, 1.0], [0.0, 0.0, 0.0], [-1.0, -2.0, -1.0]],   # Sobel-y
    [[0.0, 1.0, 0.0], [1.0, -4.0, 1.0], [0.0, 1.0, 0.0]],     # Laplacian
])

_branches = [False]


@contextlib.contextmanager
def branches():
    """Within this block collapsible layers run branch by branch and heads their real operators."""
    saved = _branches[0]
    _branches[0] = True
    try:
        with networks.explicit_ops():
            yield
    finally:
        _branches[0] = saved


def _normal(*shape, std):
    return nn.Parameter(torch.randn(*shape) * std)


class CollapsibleConv(nn.Module):
    """A k x k convolution C_in -> C_out (edge padding, bias) trained as branches; see the module docstring."""

    def __init__(self, cin, cout, k, kind, expansion, identity):
        super().__init__()
        if kind not in BLOCKS:
            raise ValueError(f"block must be one of {BLOCKS}, not {kind!r}")
        if identity and cin != cout:
            raise ValueError("the identity branch needs as many inputs as outputs")
        self.cin, self.cout, self.k, self.kind, self.identity = cin, cout, k, kind, identity
        he = math.sqrt(2 / (cin * k * k))
        if kind == "linear":
            # Var(K) = P Var(B) Var(A) = 2 / (C_in k^2), He's, whatever the expansion.
            self.expand = _normal(expansion, cin, k, k, std=he)
            self.project = _normal(cout, expansion, std=1 / math.sqrt(expansion))
        else:
            mid = 2 * cout
            self.conv = _normal(cout, cin, k, k, std=he)
            self.reduce = _normal(mid, cin, std=1 / math.sqrt(cin))
            self.spread = _normal(cout, mid, k, k, std=0.1 * math.sqrt(1 / (mid * k * k)))
            self.edge_in = _normal(3, cout, cin, std=1 / math.sqrt(cin))
            self.edge_scale = _normal(3, cout, std=1e-2)
            masks = torch.zeros(3, k, k)
            c = k // 2
            masks[:, c - 1:c + 2, c - 1:c + 2] = _MASKS
            self.register_buffer("masks", masks, persistent=False)
        if identity:
            # A residual block starts near the identity: its own part smaller than He's.
            with torch.no_grad():
                for p in (self.expand if kind == "linear" else self.conv,):
                    p.mul_(0.5)
        self.bias = nn.Parameter(torch.zeros(cout))

    def collapsed(self, dtype=None):
        """(weight (C_out, C_in, k, k), bias (C_out,)) of the one convolution the branches sum to."""
        p = {n: (v if dtype is None else v.to(dtype)) for n, v in self.named_parameters()}
        if self.kind == "linear":
            kernel = torch.einsum("op,pikl->oikl", p["project"], p["expand"])
        else:
            masks = self.masks.to(p["conv"].dtype)
            kernel = p["conv"] + torch.einsum("omkl,mi->oikl", p["spread"], p["reduce"]) + \
                torch.einsum("eo,eoi,ekl->oikl", p["edge_scale"], p["edge_in"], masks)
        if self.identity:
            c = self.k // 2
            eye = torch.zeros_like(kernel)
            eye[:, :, c, c] = torch.eye(self.cout, dtype=kernel.dtype)
            kernel = kernel + eye
        return kernel, p["bias"]

    def _branch_sum(self, padded):
        """The branches one by one, each valid convolutions on the padded input (the defining form)."""
        c = self.k // 2
        if self.kind == "linear":
            out = F.conv2d(F.conv2d(padded, self.expand), self.project[:, :, None, None])
        else:
            out = F.conv2d(padded, self.conv)
            out = out + F.conv2d(F.conv2d(padded, self.reduce[:, :, None, None]), self.spread)
            for e in range(3):
                edge = F.conv2d(padded, self.edge_in[e][:, :, None, None])
                mask = (self.edge_scale[e][:, None, None, None] * self.masks[e].to(padded.dtype))
                out = out + F.conv2d(edge, mask, groups=self.cout)
        if self.identity:
            out = out + padded[:, :, c:padded.shape[2] - c, c:padded.shape[3] - c]
        return out + self.bias[None, :, None, None]

    def forward(self, x):
        c = self.k // 2
        padded = F.pad(x, (c, c, c, c), mode="replicate")
        if _branches[0]:
            return self._branch_sum(padded)
        kernel, bias = self.collapsed()
        return F.conv2d(padded, kernel, bias)

    def deploy(self):
        """The plain Conv2d (edge padding) with the collapsed kernel, computed in float64, stored in float32."""
        conv = nn.Conv2d(self.cin, self.cout, self.k, padding=self.k // 2, padding_mode="replicate")
        kernel, bias = self.collapsed(torch.float64)
        with torch.no_grad():
            conv.weight.copy_(kernel.float())
            conv.bias.copy_(bias.float())
        return conv


class CollapsibleHead(nn.Module):
    """A bias-free 1x1 expansion f -> P, then the family's linear upsampling operator P -> C at scale r."""

    def __init__(self, family, features, channels, k, r, expansion):
        super().__init__()
        self.family, self.features, self.channels, self.k, self.r = family, features, channels, k, r
        self.reduce = _normal(expansion, features, std=1 / math.sqrt(features))
        if family == "deconv":
            # ConvTranspose layout (in, out, k, k); each output pixel sums about (k / r)^2 taps.
            self.weight = nn.Parameter(torch.empty(expansion, channels, k, k))
            networks._linear_init(self.weight, expansion * (k / r) ** 2)
            self.bias = nn.Parameter(torch.zeros(channels))
            taps, self.before, self.after = networks.phase_taps("deconv", r, k)
        elif family == "subpixel":
            small = torch.empty(channels, expansion, k, k)
            networks._linear_init(small, expansion * k * k)
            # ICNR: the r^2 phases of each output channel start equal (no checkerboard at initialisation).
            self.weight = nn.Parameter(small.repeat_interleave(r * r, dim=0))
            self.bias = nn.Parameter(torch.zeros(channels * r * r))
            taps = None
        elif family == "resizeconv":
            self.weight = nn.Parameter(torch.empty(channels, expansion, k, k))
            networks._linear_init(self.weight, expansion * k * k)
            self.bias = nn.Parameter(torch.zeros(channels))
            taps, self.before, self.after = networks.phase_taps("resizeconv", r, k)
        else:
            raise ValueError(f"family must be one of {networks.FAMILIES}, not {family!r}")
        if taps is not None:
            self.register_buffer("taps", taps, persistent=False)

    def collapsed(self, dtype=None):
        """(weight, bias) of the head's operator on f channels: the 1x1 contracted into its input axis."""
        reduce = self.reduce if dtype is None else self.reduce.to(dtype)
        weight = self.weight if dtype is None else self.weight.to(dtype)
        bias = self.bias if dtype is None else self.bias.to(dtype)
        if self.family == "deconv":
            return torch.einsum("pf,pckl->fckl", reduce, weight), bias
        return torch.einsum("cpkl,pf->cfkl", weight, reduce), bias

    def _real_operator(self, x, weight, bias):
        """The operator as exported: ConvTranspose; conv (edge) then PixelShuffle; nearest then conv (edge)."""
        k, r = self.k, self.r
        if self.family == "deconv":
            return F.conv_transpose2d(x, weight, bias, stride=r, padding=k // 2, output_padding=r - 1)
        c = k // 2
        if self.family == "subpixel":
            return F.pixel_shuffle(F.conv2d(F.pad(x, (c, c, c, c), mode="replicate"), weight, bias), r)
        up = F.interpolate(x, scale_factor=float(r), mode="nearest")
        return F.conv2d(F.pad(up, (c, c, c, c), mode="replicate"), weight, bias)

    def forward(self, x):
        if _branches[0]:
            return self._real_operator(F.conv2d(x, self.reduce[:, :, None, None]), self.weight, self.bias)
        weight, bias = self.collapsed()
        r, c = self.r, self.k // 2
        if self.family == "subpixel":
            return F.pixel_shuffle(F.conv2d(F.pad(x, (c, c, c, c), mode="replicate"), weight, bias), r)
        if networks._use_explicit():
            return self._real_operator(x, weight, bias)
        # Training: the equivalent low-resolution convolution and pixel shuffle (networks.py, phase_taps).
        if self.family == "deconv":
            kernel = networks._low_res_kernel(weight.transpose(0, 1), self.taps, r)
            a, b = self.before, self.after
            y = F.conv2d(F.pad(x, (a, b, a, b)), kernel, bias.repeat_interleave(r * r))
        else:
            kernel = networks._low_res_kernel(weight, self.taps, r)
            a, b = self.before, self.after
            y = F.conv2d(F.pad(x, (a, b, a, b), mode="replicate"), kernel, bias.repeat_interleave(r * r))
        return F.pixel_shuffle(y, r)

    def deploy(self):
        weight, bias = (t.float() for t in self.collapsed(torch.float64))
        if self.family == "deconv":
            head = networks.DeconvHead(self.features, self.channels, self.k, self.r)
            target = head
        elif self.family == "subpixel":
            conv = nn.Conv2d(self.features, self.channels * self.r ** 2, self.k, padding=self.k // 2,
                             padding_mode="replicate")
            head, target = nn.Sequential(conv, nn.PixelShuffle(self.r)), conv
        else:
            head = networks.ResizeConvHead(self.features, self.channels, self.k, self.r)
            target = head.conv
        with torch.no_grad():
            target.weight.copy_(weight)
            target.bias.copy_(bias)
        return head


def upsample_input(x, r):
    """The long residual: the input, bicubic x r (PyTorch's: a = -0.75, half-pixel centres, edge clamped)."""
    return F.interpolate(x, scale_factor=float(r), mode="bicubic", align_corners=False)


class _Skeleton(nn.Module):
    """first, PReLU, blocks (each a layer and a PReLU) bridged by a feature residual, head, + bicubic input."""

    def forward(self, x):
        features = self.first_act(self.first(x))
        y = features
        for layer, act in zip(self.layers, self.acts):
            y = act(layer(y))
        return self.head(y + features) + upsample_input(x, self.scale)


class CollapsibleNet(_Skeleton):
    """The trained network (branches); deploy() gives the plain network the export writes."""

    def __init__(self, family, scale, channels=1, features=16, m=4, block="ecb", expansion=64, head_kernel=None):
        super().__init__()
        if family not in networks.FAMILIES:
            raise ValueError(f"family must be one of {networks.FAMILIES}, not {family!r}")
        if channels not in (1, 3):
            raise ValueError(f"channels must be 1 or 3, not {channels}")
        k = DEFAULT_HEAD_KERNEL[family] if head_kernel is None else head_kernel
        if k < 1 or k % 2 == 0:
            raise ValueError(f"the head kernel must be odd and positive, not {k}")
        if features < 1 or m < 0 or expansion < 1:
            raise ValueError(f"need features >= 1, m >= 0, expansion >= 1 ({features}, {m}, {expansion})")
        self.family, self.scale, self.channels = family, scale, channels
        self.features, self.m, self.block, self.expansion, self.head_kernel = features, m, block, expansion, k
        self.first = CollapsibleConv(channels, features, FIRST_KERNEL, "linear", expansion, identity=False)
        self.first_act = nn.PReLU(features, 0.25)
        self.layers = nn.ModuleList(CollapsibleConv(features, features, 3, block, expansion, identity=True)
                                    for _ in range(m))
        self.acts = nn.ModuleList(nn.PReLU(features, 0.25) for _ in range(m))
        self.head = CollapsibleHead(family, features, channels, k, scale, expansion)

    def architecture(self):
        return (f"collapsible,block={self.block},features={self.features},m={self.m},expansion={self.expansion},"
                f"head_kernel={self.head_kernel},residual=bicubic")

    def body_state(self):
        """The parameters every family and scale share (all but the head's): what a warm start copies."""
        return {k: v for k, v in self.state_dict().items() if not k.startswith("head.")}

    def deploy(self):
        """The plain network: every layer collapsed (in float64, stored in float32); PReLUs copied."""
        plain = PlainNet(self)
        plain.eval()
        return plain


class PlainNet(_Skeleton):
    """What ships: Conv2d (edge padding), PReLU, the plain head, the bicubic residual."""

    def __init__(self, net):
        super().__init__()
        self.family, self.scale, self.channels = net.family, net.scale, net.channels
        self.first = net.first.deploy()
        self.first_act = _copy_prelu(net.first_act)
        self.layers = nn.ModuleList(layer.deploy() for layer in net.layers)
        self.acts = nn.ModuleList(_copy_prelu(a) for a in net.acts)
        self.head = net.head.deploy()
        self._architecture = net.architecture()

    def architecture(self):
        return self._architecture


def _copy_prelu(prelu):
    out = nn.PReLU(prelu.num_parameters)
    with torch.no_grad():
        out.weight.copy_(prelu.weight)
    return out


def residual_macs(channels, scale):
    """Multiply-adds per input pixel of the bicubic residual: 4 x 4 taps per output pixel and channel."""
    return 16 * channels * scale * scale


def count_cost(net):
    """(parameters, multiply-adds per input pixel) of what ships: the plain network plus its residual."""
    plain = net.deploy()
    params, macs = networks.count_cost(plain)
    return params, macs + residual_macs(net.channels, net.scale)
