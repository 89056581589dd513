"""Training patches from T91 and General100, degraded exactly as ../shared/EVAL.md prescribes.

Each training image is kept as uint8 RGB. Its augmented variant (a "generation") is made by

    1. a random downscale by f in [0.6, 1.0] with MATLAB imresize in uint8 mode (what MATLAB does to a
       uint8 image), so the HR image is again an ordinary 8-bit image;
    2. crop to a multiple of the scale r;
    3. HR target: studio Y / 255 of that uint8 RGB (color "y") or RGB / 255 (color "rgb"), float;
    4. LR = imresize(HR target, 1 / r, 'bicubic') in float64, not re-quantised, stored as float32.

A patch is an aligned crop of both (LR p x p at (y, x), HR rp x rp at (ry, rx)), then one of the eight
flips/90-degree rotations applied to both. The LR of the whole image is computed once and cropped,
as the FSRCNN authors' generate_train.m does: an LR patch pixel is then exactly the degradation of the HR
image around it, where degrading each HR patch on its own would clamp at every patch edge. Flips and
rotations commute with the degradation (its taps are symmetric on sizes that are multiples of r).

Randomness is a pure function of (seed, image, generation) and (seed, iteration), so a resumed run sees
the same batches as an uninterrupted one. Variants are refreshed one image at a time: every
`refresh_every` iterations the next image (cyclically) gets a new generation, so the cost is spread out
and no epoch boundary stalls training.

Arrays: HR and LR are float32 (C, H, W); a batch is (N, C, p, p) LR and (N, C, rp, rp) HR.
"""

import numpy as np

from evaluation import degrade, load_rgb, mod_crop, studio_y
from matlab_resize import output_length, resize_uint8

_BATCH_STREAM = 0x5A7C4
_IMAGE_STREAM = 0x1A6E


class TrainingPatches:
    """Augmented (LR, HR) patch pairs; see the module docstring."""

    def __init__(self, paths, scale, color, lr_patch, seed, refresh_every=4, min_downscale=0.6,
                 max_downscale=1.0, log=print):
        if color not in ("y", "rgb"):
            raise ValueError(f"color must be 'y' or 'rgb', not {color!r}")
        if not 0 < min_downscale <= max_downscale <= 1:
            raise ValueError(f"need 0 < min_downscale <= max_downscale <= 1 ({min_downscale}, {max_downscale})")
        self.scale, self.color, self.lr_patch, self.seed = scale, color, lr_patch, seed
        self.refresh_every = refresh_every
        self.min_downscale, self.max_downscale = min_downscale, max_downscale
        hr_patch = lr_patch * scale
        self.images, self.lowest = [], []
        skipped = []
        for path in paths:
            rgb = load_rgb(path)
            # The smallest factor that still leaves room for one HR patch.
            lowest = max(min_downscale, hr_patch / min(rgb.shape[0], rgb.shape[1]))
            if lowest > max_downscale:
                skipped.append(path)
                continue
            self.images.append(rgb)
            self.lowest.append(lowest)
        if not self.images:
            raise ValueError(f"no training image is at least {hr_patch} pixels on its shorter side")
        if skipped:
            log(f"data: {len(skipped)} image(s) smaller than the {hr_patch}-pixel HR patch left out")
        self._generation = [-1] * len(self.images)
        self._hr = [None] * len(self.images)
        self._lr = [None] * len(self.images)
        self._positions = np.zeros(len(self.images), dtype=np.float64)

    def __len__(self):
        return len(self.images)

    def generation_at(self, index, iteration):
        """How many refreshes image `index` has had before `iteration` (refresh k renews image k mod N)."""
        if self.refresh_every <= 0:
            return 0
        refreshes = iteration // self.refresh_every
        n = len(self.images)
        # Refreshes 1..refreshes; those with k mod n == index. Image 0 is renewed at k = n, 2n, ...
        return refreshes // n + (1 if 0 < index <= refreshes % n else 0)

    def _make(self, index, generation):
        rng = np.random.default_rng([self.seed, _IMAGE_STREAM, index, generation])
        rgb = self.images[index]
        f = rng.uniform(self.lowest[index], self.max_downscale)
        # uint8 imresize makes ceil(size * f); keep f where both sides still hold a patch.
        hr_patch = self.lr_patch * self.scale
        if min(output_length(rgb.shape[0], f), output_length(rgb.shape[1], f)) < hr_patch:
            f = 1.0
        if f < 1.0:
            rgb = resize_uint8(rgb, f)
        rgb = mod_crop(rgb, self.scale)
        if self.color == "y":
            hr = (studio_y(rgb) / 255)[:, :, None]
        else:
            hr = rgb.astype(np.float64) / 255
        lr = degrade(hr[:, :, 0] if self.color == "y" else hr, self.scale)
        if lr.ndim == 2:
            lr = lr[:, :, None]
        hr = np.ascontiguousarray(hr.transpose(2, 0, 1), dtype=np.float32)
        lr = np.ascontiguousarray(lr.transpose(2, 0, 1), dtype=np.float32)
        self._hr[index], self._lr[index] = hr, lr
        self._generation[index] = generation
        p = self.lr_patch
        self._positions[index] = (lr.shape[1] - p + 1) * (lr.shape[2] - p + 1)

    def prepare(self, iteration):
        """Brings every image to the generation it has at `iteration` (all of them after a start or resume)."""
        for i in range(len(self.images)):
            g = self.generation_at(i, iteration)
            if self._generation[i] != g:
                self._make(i, g)

    def advance(self, iteration):
        """Called once before each iteration: renews the one image whose refresh falls on it, if any."""
        if self.refresh_every > 0 and iteration > 0 and iteration % self.refresh_every == 0:
            i = (iteration // self.refresh_every) % len(self.images)
            g = self.generation_at(i, iteration)
            if self._generation[i] != g:
                self._make(i, g)

    def batch(self, iteration, size):
        """(lr, hr) float32 arrays of `size` patches for `iteration`, images drawn by patch positions."""
        rng = np.random.default_rng([self.seed, _BATCH_STREAM, iteration])
        p, r = self.lr_patch, self.scale
        channels = self._lr[0].shape[0]
        lr_out = np.empty((size, channels, p, p), dtype=np.float32)
        hr_out = np.empty((size, channels, p * r, p * r), dtype=np.float32)
        picks = rng.choice(len(self.images), size=size, p=self._positions / self._positions.sum())
        for n, i in enumerate(picks):
            lr, hr = self._lr[i], self._hr[i]
            y = int(rng.integers(0, lr.shape[1] - p + 1))
            x = int(rng.integers(0, lr.shape[2] - p + 1))
            transform = int(rng.integers(0, 8))
            lr_out[n] = _dihedral(lr[:, y:y + p, x:x + p], transform)
            hr_out[n] = _dihedral(hr[:, y * r:(y + p) * r, x * r:(x + p) * r], transform)
        return lr_out, hr_out


def _dihedral(a, transform):
    """One of the 8 symmetries of the square on a (C, H, W) array: rotate by 90 * (t mod 4), then flip if t >= 4."""
    a = np.rot90(a, transform % 4, axes=(1, 2))
    if transform >= 4:
        a = a[:, :, ::-1]
    return a
