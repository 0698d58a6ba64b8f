"""Writes the image-decoding fixtures of Tests/ConvNetTests/ImageCodecTests.swift.

Small PNG and JPEG files of every kind the decoder converts (PNG: gray 1/2/4/8/16-bit, RGB 8/16,
RGBA, LA 8/16, palettes with and without tRNS, gray with tRNS, interlaced; JPEG: RGB 4:2:0,
4:2:2, 4:4:4, gray, progressive, CMYK) and, in expected.safetensors, what PIL makes of each:
"<file>.rgb" = Image.open(file).convert("RGB") as [H, W, 3] and "<file>.l" = convert("L") as
[H, W], both uint8. Exception: 16-bit gray, where PIL clips (I;16 → L) and our decoder keeps the
high byte as libpng's png_set_strip_16 does: its expectation is the 16-bit samples >> 8.
Plus bad/huge.png, a well-formed PNG header (valid CRC) claiming 65536 × 65536 pixels.

PIL writes what it can; a small PNG writer below writes what PIL cannot (2- and 4-bit gray,
16-bit colour and gray + alpha, interlaced files).

    python Tools/export_image_codec_fixtures.py   # from the repository root; needs numpy and Pillow
"""
import io
import json
import os
import struct
import zlib

import numpy as np
from PIL import Image

OUT = os.path.join(os.path.dirname(__file__), "..", "Tests", "ConvNetTests", "Fixtures", "images")
W, H = 37, 29  # odd sides: JPEG chroma upsampling and Adam7 passes meet their edges


def scene(channels, bits=8, seed=0):
    """Smooth gradients plus noise, so that JPEG has edges and flat parts to work on."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:H, 0:W].astype(np.float64)
    planes = [x / (W - 1), y / (H - 1), (x + y) / (W + H - 2), 0.5 + 0.5 * np.sin(x / 3.0) * np.cos(y / 4.0)]
    top = (1 << bits) - 1
    out = np.stack([planes[c % 4] for c in range(channels)], axis=-1) * top
    out += rng.normal(0, top * 0.06, out.shape)
    return np.clip(np.rint(out), 0, top).astype(np.uint16 if bits == 16 else np.uint8)


def chunk(tag, data):
    return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)


ADAM7 = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)]


def write_png(path, samples, color_type, bits, interlace=False, palette=None, trns=None):
    """samples: [H, W, C] integers below 2**bits (palette indices for colour type 3)."""
    h, w, _ = samples.shape

    def rows(block):
        out = b""
        for row in block:
            flat = row.reshape(-1).astype(np.uint32)
            if bits == 16:
                data = flat.astype(">u2").tobytes()
            elif bits == 8:
                data = flat.astype(np.uint8).tobytes()
            else:  # pack, most significant bits first
                per = 8 // bits
                flat = np.concatenate([flat, np.zeros((-len(flat)) % per, np.uint32)])
                data = bytes(sum(int(v) << (8 - bits * (k + 1)) for k, v in enumerate(flat[i:i + per]))
                             for i in range(0, len(flat), per))
            out += b"\x00" + data  # filter type None
        return out

    if interlace:
        raw = b"".join(rows(samples[ys::dy, xs::dx]) for xs, ys, dx, dy in ADAM7 if xs < w and ys < h)
    else:
        raw = rows(samples)
    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, bits, color_type, 0, 0, int(interlace)))
    if palette is not None:
        png += chunk(b"PLTE", bytes(palette))
    if trns is not None:
        png += chunk(b"tRNS", trns)
    png += chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")
    with open(path, "wb") as f:
        f.write(png)


def pil_save(path, image, **options):
    image.save(path, **options)


def main():
    os.makedirs(os.path.join(OUT, "bad"), exist_ok=True)
    p = lambda name: os.path.join(OUT, name)
    expected = {}  # name -> (rgb [H, W, 3], l [H, W])

    # PNG, written by PIL.
    gray = scene(1)[..., 0]
    pil_save(p("gray1.png"), Image.fromarray(gray).convert("1", dither=Image.Dither.NONE))
    pil_save(p("gray8.png"), Image.fromarray(gray, "L"))
    pil_save(p("gray8-trns.png"), Image.fromarray(gray, "L"), transparency=int(gray[0, 0]))
    pil_save(p("rgb8.png"), Image.fromarray(scene(3), "RGB"))
    pil_save(p("rgba8.png"), Image.fromarray(scene(4), "RGBA"))
    pil_save(p("la8.png"), Image.fromarray(scene(2), "LA"))
    quantized = Image.fromarray(scene(3, seed=1), "RGB").quantize(colors=40, dither=Image.Dither.NONE)
    pil_save(p("palette8.png"), quantized)
    pil_save(p("palette8-trns.png"), quantized, transparency=bytes(range(0, 240, 6)))
    pil_save(p("palette4.png"), Image.fromarray(scene(3, seed=2), "RGB").quantize(colors=12, dither=Image.Dither.NONE), bits=4)
    gray16 = scene(1, bits=16, seed=3)[..., 0]
    pil_save(p("gray16.png"), Image.fromarray(gray16.astype(np.uint16)))
    # PNG, written here.
    write_png(p("gray2.png"), scene(1, seed=4) >> 6, 0, 2)
    write_png(p("gray4.png"), scene(1, seed=5) >> 4, 0, 4)
    write_png(p("rgb16.png"), scene(3, bits=16, seed=6), 2, 16)
    write_png(p("la16.png"), scene(2, bits=16, seed=7), 4, 16)
    write_png(p("rgba16.png"), scene(4, bits=16, seed=8), 6, 16)
    write_png(p("interlaced-rgb8.png"), scene(3, seed=9), 2, 8, interlace=True)
    write_png(p("interlaced-rgba8.png"), scene(4, seed=10), 6, 8, interlace=True)
    write_png(p("interlaced-gray4.png"), scene(1, seed=11) >> 4, 0, 4, interlace=True)
    palette = scene(3, seed=12).reshape(-1, 3)[:16].reshape(-1)
    write_png(p("interlaced-palette2.png"), scene(1, seed=13) >> 6, 3, 2, interlace=True, palette=palette[:12],
              trns=bytes([0, 128]))

    # JPEG, written by PIL's libjpeg-turbo.
    rgb = Image.fromarray(scene(3, seed=14), "RGB")
    pil_save(p("rgb420.jpg"), rgb, quality=85, subsampling=2)
    pil_save(p("rgb422.jpg"), rgb, quality=85, subsampling=1)
    pil_save(p("rgb444.jpg"), rgb, quality=85, subsampling=0)
    pil_save(p("progressive.jpg"), rgb, quality=85, subsampling=2, progressive=True)
    pil_save(p("gray.jpg"), Image.fromarray(scene(1, seed=15)[..., 0], "L"), quality=85)
    pil_save(p("cmyk.jpg"), Image.frombytes("CMYK", (W, H), scene(4, seed=16).tobytes()), quality=90)

    for name in sorted(os.listdir(OUT)):
        if not name.endswith((".png", ".jpg")):
            continue
        with Image.open(p(name)) as image:
            image.load()
            if name == "gray16.png":
                high = (np.asarray(image).astype(np.uint16) >> 8).astype(np.uint8)
                assert np.array_equal(high, (gray16 >> 8).astype(np.uint8))
                expected[name] = (np.repeat(high[..., None], 3, axis=-1), high)
            else:
                expected[name] = (np.asarray(image.convert("RGB")), np.asarray(image.convert("L")))
    # 16-bit colour: PIL's "RGB;16B"/"RGBA;16B"/"LA;16B" modes keep the high byte, as strip-16 does.
    assert np.array_equal(expected["rgb16.png"][0], (scene(3, bits=16, seed=6) >> 8).astype(np.uint8))

    # A PNG whose header (valid CRC) claims 65536 × 65536 RGB pixels, with a token IDAT.
    huge = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 65536, 65536, 8, 2, 0, 0, 0))
    huge += chunk(b"IDAT", zlib.compress(b"\x00" * 64)) + chunk(b"IEND", b"")
    with open(p("bad/huge.png"), "wb") as f:
        f.write(huge)

    tensors, blobs, offset = {}, [], 0
    for name, (rgb_pixels, l_pixels) in sorted(expected.items()):
        for suffix, array in (("rgb", rgb_pixels), ("l", l_pixels)):
            data = np.ascontiguousarray(array, dtype=np.uint8).tobytes()
            tensors[f"{name}.{suffix}"] = {"dtype": "U8", "shape": list(array.shape), "data_offsets": [offset, offset + len(data)]}
            blobs.append(data)
            offset += len(data)
    tensors["__metadata__"] = {"generator": f"Pillow {Image.__version__}, Tools/export_image_codec_fixtures.py"}
    header = json.dumps(tensors, separators=(",", ":")).encode()
    header += b" " * ((-len(header)) % 8)
    with open(p("expected.safetensors"), "wb") as f:
        f.write(struct.pack("<Q", len(header)) + header + b"".join(blobs))
    total = sum(os.path.getsize(os.path.join(root, n)) for root, _, names in os.walk(OUT) for n in names)
    print(f"{len(expected)} images, {total} bytes in {os.path.normpath(OUT)}")


if __name__ == "__main__":
    main()
