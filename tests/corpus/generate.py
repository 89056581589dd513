#!/usr/bin/python3
"""Generates the image-file test corpus (tests/corpus/files) and its expected outcomes (tests/corpus/manifest.json).

Run with Debian's /usr/bin/python3 (PIL 9.4 with WebP and libtiff, numpy): /usr/bin/python3 tests/corpus/generate.py
Every file is made here from seeded random or drawn pixels; nothing is hand-picked. Each entry says what reading
the file must give:
  expect "ok":     width, height, channels, bits; "sha256" of the interleaved samples (16-bit little-endian) for
                   lossless files, or "mean" per channel within "tolerance" for lossy ones; "corners" (colours at
                   the centres of the four quadrants, within 40 levels) for the EXIF orientation files; "metadata"
                   (names that must be carried) and "warning" (text a warning must contain)
  expect "error":  "message" is text the error must contain (besides the file name)
  expect "any":    either outcome, but no other exception and no hang (bit flips in JPEG entropy data)
"max_pixels" overrides the reader's pixel limit for that file.
"""
import hashlib
import io
import json
import os
import shutil
import struct
import zlib

import numpy as np
from PIL import Image, ImageCms

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "files")
rng = np.random.default_rng(20261129)
entries = []


def chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def png(samples, colour_type, depth, extra=b"", palette=None, trns=None, interlace=False, idat=None):
    """A PNG of samples (H x W x C uint8/uint16, or H x W indices for palettes) written by hand."""
    h, w = samples.shape[:2]
    out = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, depth, colour_type, 0, 0, 1 if interlace else 0))
    out += extra
    if palette is not None:
        out += chunk(b"PLTE", palette.astype(np.uint8).tobytes())
    if trns is not None:
        out += chunk(b"tRNS", trns)

    def rows(a):
        if depth == 16:
            a = a.astype(">u2")
        elif depth < 8:
            flat = a.reshape(a.shape[0], -1).astype(np.uint8)
            per = 8 // depth
            padded = np.zeros((flat.shape[0], -(-flat.shape[1] // per) * per), np.uint8)
            padded[:, :flat.shape[1]] = flat
            packed = np.zeros((flat.shape[0], padded.shape[1] // per), np.uint8)
            for i in range(per):
                packed |= padded[:, i::per] << (8 - depth * (i + 1))
            a = packed
        raw = a.reshape(a.shape[0], -1).tobytes()
        stride = len(raw) // a.shape[0]
        return b"".join(b"\x00" + raw[i * stride:(i + 1) * stride] for i in range(a.shape[0]))

    if interlace:
        data = b""
        for xs, ys, xd, yd in [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)]:
            sub = samples[ys::yd, xs::xd]
            if sub.shape[0] and sub.shape[1]:
                data += rows(sub)
    else:
        data = rows(samples)
    out += chunk(b"IDAT", idat if idat is not None else zlib.compress(data, 9))
    return out + chunk(b"IEND", b"")


def sha(a):
    a = np.ascontiguousarray(a)
    return hashlib.sha256(a.astype("<u2").tobytes() if a.dtype == np.uint16 else a.astype(np.uint8).tobytes()).hexdigest()


def save(name, data, **expect):
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(data)
    entries.append(dict(file=name, **expect))


def ok(name, data, pixels, channels, bits=8, **more):
    h, w = pixels.shape[:2]
    save(name, data, expect="ok", width=w, height=h, channels=channels, bits=bits, sha256=sha(pixels), **more)


def pil_bytes(image, fmt, **kw):
    b = io.BytesIO()
    image.save(b, fmt, **kw)
    return b.getvalue()


def main():
    if os.path.isdir(OUT):
        shutil.rmtree(OUT)
    os.makedirs(OUT)
    W, H = 13, 11  # odd sizes, so no row is a whole number of words
    g8 = rng.integers(0, 256, (H, W, 1), dtype=np.uint8)
    ga8 = rng.integers(0, 256, (H, W, 2), dtype=np.uint8)
    rgb8 = rng.integers(0, 256, (H, W, 3), dtype=np.uint8)
    rgba8 = rng.integers(0, 256, (H, W, 4), dtype=np.uint8)
    g16 = rng.integers(0, 65536, (H, W, 1), dtype=np.uint16)
    ga16 = rng.integers(0, 65536, (H, W, 2), dtype=np.uint16)
    rgb16 = rng.integers(0, 65536, (H, W, 3), dtype=np.uint16)
    rgba16 = rng.integers(0, 65536, (H, W, 4), dtype=np.uint16)

    # PNG: every colour type and depth that matters, interlaced and not.
    ok("png_grey8.png", png(g8, 0, 8), g8, 1)
    ok("png_grey16.png", png(g16, 0, 16), g16, 1, 16)
    ok("png_greyalpha8.png", png(ga8, 4, 8), ga8, 2)
    ok("png_greyalpha16.png", png(ga16, 4, 16), ga16, 2, 16)
    ok("png_rgb8.png", png(rgb8, 2, 8), rgb8, 3)
    ok("png_rgb16.png", png(rgb16, 2, 16), rgb16, 3, 16)
    ok("png_rgba8.png", png(rgba8, 6, 8), rgba8, 4)
    ok("png_rgba16.png", png(rgba16, 6, 16), rgba16, 4, 16)
    ok("png_rgb8_interlaced.png", png(rgb8, 2, 8, interlace=True), rgb8, 3)
    ok("png_rgba16_interlaced.png", png(rgba16, 6, 16, interlace=True), rgba16, 4, 16)
    bits1 = rng.integers(0, 2, (H, W, 1), dtype=np.uint8)
    ok("png_grey1.png", png(bits1, 0, 1), bits1 * 255, 1)
    pal = rng.integers(0, 256, (16, 3), dtype=np.uint8)
    idx = rng.integers(0, 16, (H, W), dtype=np.uint8)
    ok("png_palette.png", png(idx, 3, 8, palette=pal), pal[idx], 3)
    alphas = rng.integers(0, 256, 16, dtype=np.uint8)
    ok("png_palette_trns.png", png(idx, 3, 8, palette=pal, trns=alphas.tobytes()),
       np.concatenate([pal[idx], alphas[idx][..., None]], axis=2), 4)
    idx4 = rng.integers(0, 16, (H, W), dtype=np.uint8)
    ok("png_palette4_interlaced.png", png(idx4, 3, 4, palette=pal, interlace=True), pal[idx4], 3)

    # Colour and text metadata that must reach the output.
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    icc_sha = hashlib.sha256(icc).hexdigest()
    iccp = chunk(b"iCCP", b"sRGB profile\x00\x00" + zlib.compress(icc))
    ok("png_icc.png", png(rgb8, 2, 8, extra=iccp), rgb8, 3, metadata=["ICC"], icc_sha256=icc_sha)
    gama = chunk(b"gAMA", struct.pack(">I", 45455))
    chrm = chunk(b"cHRM", struct.pack(">8I", 31270, 32900, 64000, 33000, 30000, 60000, 15000, 6000))
    phys = chunk(b"pHYs", struct.pack(">IIB", 11811, 11811, 1))
    text = chunk(b"tEXt", b"Comment\x00made by tests/corpus/generate.py")
    ok("png_gamma_chrm.png", png(rgb8, 2, 8, extra=gama + chrm + phys + text), rgb8, 3,
       metadata=["gAMA", "cHRM", "resolution", "text"], gamma=45455)
    ok("png_srgb.png", png(rgb16, 2, 16, extra=chunk(b"sRGB", b"\x00") + gama), rgb16, 3, 16, metadata=["sRGB", "gAMA"])
    xmp = b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"/></x:xmpmeta>'
    itxt = chunk(b"iTXt", b"XML:com.adobe.xmp\x00\x00\x00\x00\x00" + xmp)
    ok("png_xmp.png", png(rgb8, 2, 8, extra=itxt), rgb8, 3, metadata=["XMP"])

    # JPEG: baseline, progressive, grey, CMYK, with ICC; lossy, so compared by channel means.
    smooth = np.zeros((48, 64, 3), np.uint8)
    smooth[..., 0] = np.linspace(0, 255, 64)[None, :]
    smooth[..., 1] = np.linspace(0, 255, 48)[:, None]
    smooth[..., 2] = 128
    img = Image.fromarray(smooth)

    def lossy(name, data, channels, reference, **more):
        mean = [float(m) for m in reference.reshape(-1, reference.shape[-1] if reference.ndim == 3 else 1).mean(axis=0)]
        save(name, data, expect="ok", width=reference.shape[1], height=reference.shape[0], channels=channels, bits=8,
             mean=mean, tolerance=4.0, **more)

    baseline = pil_bytes(img, "JPEG", quality=95)
    lossy("jpeg_baseline.jpg", baseline, 3, smooth)
    lossy("jpeg_progressive.jpg", pil_bytes(img, "JPEG", quality=95, progressive=True), 3, smooth)
    lossy("jpeg_grey.jpg", pil_bytes(img.convert("L"), "JPEG", quality=95), 1, np.asarray(img.convert("L"))[..., None])
    lossy("jpeg_cmyk.jpg", pil_bytes(img.convert("CMYK"), "JPEG", quality=95), 3, smooth)
    lossy("jpeg_icc.jpg", pil_bytes(img, "JPEG", quality=95, icc_profile=icc), 3, smooth, metadata=["ICC"], icc_sha256=icc_sha)

    # EXIF orientations 1..8: stored so that a viewer applying the tag shows red, green / blue, white quadrants.
    quads = np.zeros((32, 48, 3), np.uint8)
    quads[:16, :24] = (255, 0, 0)
    quads[:16, 24:] = (0, 255, 0)
    quads[16:, :24] = (0, 0, 255)
    quads[16:, 24:] = (255, 255, 255)
    shown = Image.fromarray(quads)
    inverse = {1: None, 2: Image.FLIP_LEFT_RIGHT, 3: Image.ROTATE_180, 4: Image.FLIP_TOP_BOTTOM, 5: Image.TRANSPOSE,
               6: Image.ROTATE_90, 7: Image.TRANSVERSE, 8: Image.ROTATE_270}
    corners = [[255, 0, 0], [0, 255, 0], [0, 0, 255], [255, 255, 255]]
    for o in range(1, 9):
        stored = shown if inverse[o] is None else shown.transpose(inverse[o])
        exif = Image.Exif()
        exif[0x0112] = o
        data = pil_bytes(stored, "JPEG", quality=95, exif=exif.tobytes())
        from PIL import ImageOps
        assert np.abs(np.asarray(ImageOps.exif_transpose(Image.open(io.BytesIO(data))).convert("RGB"), int) - quads).mean() < 8
        save(f"jpeg_orientation{o}.jpg", data, expect="ok", width=48, height=32, channels=3, bits=8, corners=corners,
             metadata=["EXIF"], **({"warning": "orientation"} if o > 1 else {}))
    # The same eight in TIFF, whose orientation is a tag of the page (274) rather than an EXIF block; lossless, so
    # the pixels a viewer shows are the quadrants exactly.
    for o in range(1, 9):
        stored = shown if inverse[o] is None else shown.transpose(inverse[o])
        ok(f"tiff_orientation{o}.tif", pil_bytes(stored, "TIFF", tiffinfo={0x0112: o}), quads, 3,
           **({"warning": "orientation"} if o > 1 else {}))
    stored = shown.transpose(inverse[6])
    exif = Image.Exif()
    exif[0x0112] = 6
    save("png_orientation6.png", pil_bytes(stored, "PNG", exif=exif.tobytes()), expect="ok", width=48, height=32,
         channels=3, bits=8, sha256=sha(quads), metadata=["EXIF"], warning="orientation")

    # WebP, TIFF, BMP, TGA, GIF.
    rgb_img, rgba_img = Image.fromarray(rgb8), Image.fromarray(rgba8)
    ok("webp_lossless.webp", pil_bytes(rgb_img, "WEBP", lossless=True), rgb8, 3)
    ok("webp_lossless_alpha.webp", pil_bytes(rgba_img, "WEBP", lossless=True, exact=True), rgba8, 4)
    lossy("webp_lossy.webp", pil_bytes(img, "WEBP", quality=95), 3, smooth)
    ok("tiff_rgb8.tif", pil_bytes(rgb_img, "TIFF"), rgb8, 3)
    ok("tiff_rgb8_lzw.tif", pil_bytes(rgb_img, "TIFF", compression="tiff_lzw"), rgb8, 3)
    ok("tiff_grey16.tif", pil_bytes(Image.fromarray(g16[..., 0], "I;16"), "TIFF"), g16, 1, 16)
    pages = [Image.fromarray(rng.integers(0, 256, (H, W, 3), dtype=np.uint8)) for _ in range(3)]
    b = io.BytesIO()
    pages[0].save(b, "TIFF", save_all=True, append_images=pages[1:])
    ok("tiff_three_pages.tif", b.getvalue(), np.asarray(pages[0]), 3, warning="3 pages")
    ok("bmp_rgb.bmp", pil_bytes(rgb_img, "BMP"), rgb8, 3)
    # Found by the fuzzer: a pixel-data offset of 2^31 - 1, which ImageSharp's BMP reader made a 2 GB palette of.
    far = bytearray(pil_bytes(rgb_img, "BMP"))
    far[10:14] = struct.pack("<I", 0x7FFFFFFF)
    save("bmp_offset_2gb.bmp", bytes(far), expect="error", message="truncated BMP")
    ok("tga_rgb.tga", pil_bytes(rgb_img, "TGA"), rgb8, 3)
    ok("tga_rgba.tga", pil_bytes(rgba_img, "TGA"), rgba8, 4)
    gif_frames = [Image.fromarray(idx, "P") for idx in (idx, idx4, idx[::-1])]
    for f in gif_frames:
        f.putpalette(pal.tobytes())
    ok("gif_static.gif", pil_bytes(gif_frames[0], "GIF"), pal[idx], 3)
    b = io.BytesIO()
    gif_frames[0].save(b, "GIF", save_all=True, append_images=gif_frames[1:], duration=100, loop=0)
    ok("gif_animated.gif", b.getvalue(), pal[idx], 3, warning="3 frames")

    # Not images.
    save("not_an_image.png", b"This is a text file with an image's extension.\n", expect="error", message="not an image")
    save("empty.png", b"", expect="error", message="not an image")

    # Truncations of a PNG at every chunk boundary and inside every chunk, and of a JPEG at every segment.
    whole = png(rgb8, 2, 8)
    cuts, pos = {4}, 8
    while pos < len(whole):
        length = struct.unpack(">I", whole[pos:pos + 4])[0]
        cuts.update({pos, pos + 4, pos + 8, pos + 8 + length // 2, pos + 8 + length})
        pos += 12 + length
    cuts.add(len(whole) - 1)
    for c in sorted(x for x in cuts if 0 < x < len(whole)):
        save(f"png_truncated_{c:05d}.png", whole[:c], expect="error", message="not an image" if c < 8 else "")
    segs, pos = [2], 2
    while pos < len(baseline) - 2:
        marker = baseline[pos + 1]
        length = struct.unpack(">H", baseline[pos + 2:pos + 4])[0]
        if marker == 0xDA:
            scan = pos + 2 + length
            segs += [pos, pos + 2, pos + 4, scan, (scan + len(baseline)) // 2, len(baseline) - 2, len(baseline) - 1]
            break
        segs += [pos, pos + 2, pos + 4, pos + 2 + length // 2]
        pos += 2 + length
    for c in sorted(set(segs)):
        save(f"jpeg_truncated_{c:05d}.jpg", baseline[:c], expect="error", message="")

    # Bit flips: in every PNG chunk (caught by the CRCs), and across a JPEG (no checksum: either outcome).
    pos = 8
    while pos < len(whole):
        length = struct.unpack(">I", whole[pos:pos + 4])[0]
        for at in {pos + 8 + length // 2, pos + 8 + length + 1} if length else {pos + 9}:
            flipped = bytearray(whole)
            flipped[at] ^= 0x10
            save(f"png_bitflip_{at:05d}.png", bytes(flipped), expect="error", message="")
        pos += 12 + length
    for at in np.linspace(2, len(baseline) - 3, 24).astype(int):
        flipped = bytearray(baseline)
        flipped[at] ^= 0x04
        save(f"jpeg_bitflip_{at:05d}.jpg", bytes(flipped), expect="any")

    # Bombs: headers that claim huge images with almost no data, and real highly compressible images.
    tiny_idat = zlib.compress(b"\x00" * 64)
    save("bomb_png_header_100000x100000.png", b"\x89PNG\r\n\x1a\n" +
         chunk(b"IHDR", struct.pack(">IIBBBBB", 100000, 100000, 8, 2, 0, 0, 0)) + chunk(b"IDAT", tiny_idat) +
         chunk(b"IEND", b""), expect="error", message="image too large (100000 x 100000")
    sof = bytearray(baseline)
    at = sof.index(b"\xff\xc0")
    struct.pack_into(">HH", sof, at + 5, 65000, 65000)
    save("bomb_jpeg_header_65000x65000.jpg", bytes(sof), expect="error", message="image too large (65000 x 65000")
    gif = bytearray(pil_bytes(gif_frames[0], "GIF"))
    struct.pack_into("<HH", gif, 6, 65535, 65535)
    save("bomb_gif_header_65535x65535.gif", bytes(gif), expect="error", message="image too large (65535 x 65535")
    rows = b"".join(b"\x00" + bytes(24000) for _ in range(24000))
    save("bomb_png_zeros_24000x24000.png", b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 24000, 24000, 8, 0, 0, 0, 0)) +
         chunk(b"IDAT", zlib.compress(rows, 9)) + chunk(b"IEND", b""), expect="error", message="image too large (24000 x 24000")
    rows = b"".join(b"\x00" + bytes(3000) for _ in range(3000))
    save("bomb_png_zeros_3000x3000_limit.png", b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 3000, 3000, 8, 0, 0, 0, 0)) +
         chunk(b"IDAT", zlib.compress(rows, 9)) + chunk(b"IEND", b""), expect="error", message="image too large (3000 x 3000",
         max_pixels=1000000)

    with open(os.path.join(HERE, "manifest.json"), "w") as f:
        json.dump(entries, f, indent=1)
        f.write("\n")
    print(f"{len(entries)} files in {OUT}")


if __name__ == "__main__":
    main()
