"""Test images for Benchmarks/decode_pairs.sh, from the CIFAR-10 sample in ../shared.

usage: decode_images.py CIFAR_BIN_GZ OUT_DIR [COUNT_32 COUNT_256]
Writes OUT_DIR/{png32,jpg32}/NNNN.{png,jpg}: the first COUNT_32 (2000) CIFAR images, 32×32 RGB,
PNG (PIL's default compression) and JPEG (quality 90, 4:2:0); and OUT_DIR/{png256,jpg256}: the
first COUNT_256 (200) scaled to 256×256 (bicubic), so that the large files are smooth as photos
are rather than blocks. Records are 1 label byte + 3072 bytes (R, G, B planes of 32×32).
"""
import gzip
import os
import sys

import numpy as np
from PIL import Image

source, out = sys.argv[1], sys.argv[2]
count32, count256 = (int(sys.argv[3]), int(sys.argv[4])) if len(sys.argv) > 4 else (2000, 200)
records = np.frombuffer(gzip.open(source).read(), np.uint8).reshape(-1, 3073)
for folder in ("png32", "jpg32", "png256", "jpg256"):
    os.makedirs(os.path.join(out, folder), exist_ok=True)
for i, record in enumerate(records[:max(count32, count256)]):
    image = Image.fromarray(record[1:].reshape(3, 32, 32).transpose(1, 2, 0).copy(), "RGB")
    if i < count32:
        image.save(os.path.join(out, "png32", f"{i:04d}.png"))
        image.save(os.path.join(out, "jpg32", f"{i:04d}.jpg"), quality=90)
    if i < count256:
        large = image.resize((256, 256), Image.Resampling.BICUBIC)
        large.save(os.path.join(out, "png256", f"{i:04d}.png"))
        large.save(os.path.join(out, "jpg256", f"{i:04d}.jpg"), quality=90)
