"""Draws samples/sample.png, the project's own test picture (no third-party content): smooth gradients,
saturated flat colours, thin lines, small text and a zone plate -- the places where upscalers show
checkerboard, ringing and aliasing. Run with Debian's /usr/bin/python3 (numpy, PIL)."""
import numpy as np
from PIL import Image, ImageDraw, ImageFont

W, H = 320, 200
y, x = np.mgrid[0:H, 0:W].astype(np.float64)
img = np.zeros((H, W, 3))
img[..., 0] = 0.25 + 0.5 * x / W
img[..., 1] = 0.35 + 0.4 * y / H
img[..., 2] = 0.6 - 0.3 * x / W

# Zone plate in the right third: spatial frequency rising with distance from its centre.
cx, cy, r = 250, 70, 60
d2 = (x - cx) ** 2 + (y - cy) ** 2
zone = 0.5 + 0.5 * np.cos(np.pi * d2 / 140.0)
mask = d2 < r * r
for c in range(3):
    img[..., c] = np.where(mask, zone, img[..., c])

pil = Image.fromarray(np.clip(img * 255 + 0.5, 0, 255).astype(np.uint8), "RGB")
draw = ImageDraw.Draw(pil)
# Saturated flat areas.
draw.rectangle([12, 12, 72, 62], fill=(230, 20, 30))
draw.rectangle([80, 12, 140, 62], fill=(20, 40, 220))
draw.ellipse([148, 14, 188, 60], fill=(250, 220, 10))
# Thin lines at several angles.
for i in range(12):
    draw.line([(12 + i * 6, 80), (60 + i * 9, 150)], fill=(255, 255, 255), width=1)
for i in range(8):
    draw.line([(140, 80 + i * 4), (230, 84 + i * 5)], fill=(10, 10, 10), width=1)
# Small text.
font = ImageFont.load_default()
draw.text((12, 160), "RealtimeUpscale  x2 x3 x4", fill=(255, 255, 255), font=font)
draw.text((12, 176), "thin text 0123456789", fill=(0, 0, 0), font=font)
pil.save("samples/sample.png", optimize=True)
