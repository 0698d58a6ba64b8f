#!/usr/bin/env bash
# Two convnet binaries side by side (before and after a change), alternating in every round so
# that the VM's drift hits both alike: the six-shape convolution table (forward+backward), the
# LeNet-5 training step (batch 64) and epoch (MNIST, batch 64), the ResNet-20 training step (batch
# 128), and frozen whole-model inference (`make bench-inference`'s resnet18, resnet50, googlenet and
# vgg16 at batch 1 and 8). Prints medians with [min–max] and the ratio new/old.
#
#   Benchmarks/ab_pairs.sh OLD/convnet NEW/convnet [ROUNDS=3] [THREADS=2]
set -euo pipefail
old=${1:?usage: ab_pairs.sh OLD/convnet NEW/convnet [ROUNDS] [THREADS]}
new=${2:?usage: ab_pairs.sh OLD/convnet NEW/convnet [ROUNDS] [THREADS]}
rounds=${3:-3}
threads=${4:-2}
here=$(cd "$(dirname "$0")" && pwd)
mnist=${MNIST_DIR:-$here/../Datasets/mnist}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

field() { python3 -c "import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])" "$1" "$2"; }
record() { echo "$1 $2 $3" | tee -a "$out/results" >&2; }  # binary-label metric value (also on stderr)

measure() {  # label binary
  local label=$1 bin=$2
  while read -r shape; do
    record "$label" "conv[${shape// /,}]" "$(field "$("$bin" bench conv $shape --threads "$threads")" forward_backward_ms)"
  done <<'SHAPES'
64 1 28 28 6 5 1 2
64 6 14 14 16 5 1 0
128 16 32 32 16 3 1 1
128 64 8 8 64 3 1 1
8 64 56 56 64 3 1 1
32 256 14 14 256 3 1 1
SHAPES
  record "$label" "lenet5-train-step-b64" "$(field "$("$bin" bench model lenet5 --train --batch 64 --threads "$threads")" ms_per_batch)"
  record "$label" "resnet20-train-step-b128" "$(field "$("$bin" bench model resnet20 --train --batch 128 --threads "$threads")" ms_per_batch)"
  for model in resnet18 resnet50 googlenet vgg16; do
    for batch in 1 8; do
      record "$label" "$model-b$batch" "$(field "$("$bin" bench model "$model" --batch "$batch" --threads "$threads")" ms_per_batch)"
    done
  done
  rm -rf "$out/run"
  "$bin" train --model lenet5 --dataset mnist --data "$mnist" --epochs 1 --batch-size 64 --optimizer sgd --lr 0.01 --momentum 0.9 \
    --threads "$threads" --test-limit 1000 --out "$out/run" > /dev/null
  record "$label" "lenet5-epoch-s" "$(python3 -c "import csv,sys; print(list(csv.DictReader(open(sys.argv[1])))[0]['seconds'])" "$out/run/metrics.csv")"
}

for r in $(seq "$rounds"); do
  if [ $((r % 2)) -eq 1 ]; then measure old "$old"; measure new "$new"; else measure new "$new"; measure old "$old"; fi
done

python3 - "$out/results" <<'PY'
import collections, statistics, sys
values = collections.defaultdict(list)
for line in open(sys.argv[1]):
    label, metric, value = line.split()
    values[(metric, label)].append(float(value))
metrics = list(dict.fromkeys(m for m, _ in values))
print("| metric (ms, epoch in s) | old median [min–max] | new median [min–max] | new/old |")
print("|---|---|---|---|")
for m in metrics:
    o, n = values[(m, "old")], values[(m, "new")]
    fmt = lambda v: f"{statistics.median(v):.3f} [{min(v):.3f}–{max(v):.3f}]"
    print(f"| {m} | {fmt(o)} | {fmt(n)} | {statistics.median(n) / statistics.median(o):.3f} |")
PY
