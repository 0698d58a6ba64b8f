#!/usr/bin/env bash
# Images decoded per second, ours (`convnet bench decode`) beside PIL's (Benchmarks/pil_decode.py),
# one thread each, from bytes in memory, on the same files: 2,000 CIFAR-10 images at 32×32 and 200
# scaled to 256×256, as PNG and as JPEG (Benchmarks/decode_images.py writes them).
# usage: Benchmarks/decode_pairs.sh [CONVNET] [CIFAR_BIN_GZ] [CHANNELS]
#   CONVNET       default .build/release/convnet
#   CIFAR_BIN_GZ  default ../shared/data/cifar-10-sample/data_batch_1-first4000.bin.gz
#   CHANNELS      3 (convert("RGB"), default) or 1 (convert("L"))
# PYTHON: a python with numpy and Pillow (default python3).
set -euo pipefail
convnet=${1:-.build/release/convnet}
cifar=${2:-../shared/data/cifar-10-sample/data_batch_1-first4000.bin.gz}
channels=${3:-3}
python=${PYTHON:-python3}
here=$(dirname "$0")
images=$(mktemp -d)
trap 'rm -rf "$images"' EXIT
"$python" "$here/decode_images.py" "$cifar" "$images"
printf '| files | ours images/s | PIL images/s | ours/PIL |\n|---|---|---|---|\n'
for set in png32 jpg32 png256 jpg256; do
  files=("$images/$set"/*)
  ours=$("$convnet" bench decode --channels "$channels" "${files[@]}")
  pil=$("$python" "$here/pil_decode.py" --channels "$channels" "${files[@]}")
  "$python" - "$set" "${#files[@]}" "$ours" "$pil" <<'PY'
import json, sys
name, count, ours, pil = sys.argv[1], sys.argv[2], json.loads(sys.argv[3]), json.loads(sys.argv[4])
a, b = ours["imagesPerSecond"], pil["imagesPerSecond"]
print(f"| {name} ({count}) | {a:,.0f} | {b:,.0f} | {a / b:.2f} |")
PY
done
