"""PIL side of `convnet bench decode`: images decoded per second, one thread, from bytes in memory.

usage: pil_decode.py [--channels 1|3] [--budget S] FILES...
  -> {"files":…, "imagesPerSecond":…, "megapixelsPerSecond":…, "passMilliseconds":…}
Each image: Image.open(BytesIO(bytes)).convert("RGB" or "L"), then np.asarray (the pixels as an
array, which is where a torchvision pipeline's ToTensor or PILToTensor starts). Same procedure as
Stopwatch.medianMilliseconds: 3 warm-up passes, then passes for about `budget` seconds (3 to 50),
the median.
"""
import io
import json
import statistics
import sys
import time

import numpy as np
from PIL import Image

args = sys.argv[1:]
channels, budget = 3, 3.0
while args and args[0].startswith("--"):
    option, value, args = args[0], args[1], args[2:]
    if option == "--channels":
        channels = int(value)
    elif option == "--budget":
        budget = float(value)
mode = "RGB" if channels == 3 else "L"
contents = [open(path, "rb").read() for path in args]


def one_pass():
    for data in contents:
        np.asarray(Image.open(io.BytesIO(data)).convert(mode))


pixels = sum(Image.open(io.BytesIO(data)).size[0] * Image.open(io.BytesIO(data)).size[1] for data in contents)
for _ in range(3):
    one_pass()
start = time.perf_counter()
one_pass()
once = time.perf_counter() - start
times = []
for _ in range(max(3, min(50, int(budget / max(once, 1e-6))))):
    start = time.perf_counter()
    one_pass()
    times.append(time.perf_counter() - start)
seconds = statistics.median(times)
print(json.dumps({"files": len(contents), "channels": channels, "megapixels": pixels / 1e6,
                  "passMilliseconds": seconds * 1e3, "imagesPerSecond": len(contents) / seconds,
                  "megapixelsPerSecond": pixels / 1e6 / seconds}, sort_keys=True))
