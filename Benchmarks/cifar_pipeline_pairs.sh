#!/usr/bin/env bash
# CIFAR ResNet-20 training throughput with the input pipeline, ours against PyTorch's usual loop, on
# the 3000 training images of the 4000-image CIFAR-10 sample (--holdout 1000 --seed 0), batch 128,
# SGD lr 0.1 momentum 0.9 weight decay 5e-4, cosine schedule, 2 threads. Each round runs, in turn:
#   ours, --augment cifar          convnet train (its default --workers: all cores)
#   ours, no augmentation          convnet train --augment none
#   PyTorch, PIL + DataLoader      torch_cifar_pipeline.py: PIL Dataset, RandomCrop(32, padding=4),
#                                  RandomHorizontalFlip(), ToTensor(), Normalize(), num_workers=2
#   PyTorch, bare step             torch_cifar_pipeline.py --bare: normalised tensors in memory
#   ours, bare step                convnet bench model resnet20 --batch 128 --train --threads 2
# Training runs: images/s = 3000 / (training-pass seconds of an epoch; ours: metrics.csv's `seconds`),
# median over the epochs after the first (over all of them when EPOCHS is 1); both sides evaluate the
# 1000 held-out images after every epoch, untimed. Peak RSS: /usr/bin/time -f %M of the whole command
# (for PyTorch's loader, the main process; its largest worker is reported apart, and shares pages with it).
# Prints, per row, the median and range over the rounds.
#   usage: Benchmarks/cifar_pipeline_pairs.sh PATH/TO/convnet [ROUNDS] [EPOCHS]
# ROUNDS default 3, EPOCHS default 3. CIFAR_DATA: the folder with data_batch_1-first4000.bin.gz
# (default ../shared/data/cifar-10-sample beside the repository); TORCH_PYTHON: the python that has torch and
# torchvision (default /tmp/torch/bin/python if present, else python3). Needs GNU time (/usr/bin/time;
# apt-get install time).
set -euo pipefail
convnet=${1:?usage: cifar_pipeline_pairs.sh PATH/TO/convnet [ROUNDS] [EPOCHS]}
rounds=${2:-3}
epochs=${3:-3}
here=$(cd "$(dirname "$0")" && pwd)
data=${CIFAR_DATA:-$here/../../shared/data/cifar-10-sample}
if [[ -z ${TORCH_PYTHON:-} ]]; then
  if [[ -x /tmp/torch/bin/python ]]; then TORCH_PYTHON=/tmp/torch/bin/python; else TORCH_PYTHON=python3; fi
fi
[[ -x /usr/bin/time ]] || { echo "needs GNU time: apt-get install time" >&2; exit 2; }
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
results=$out/results.tsv  # row label, round, images/s, peak RSS MB, PyTorch worker RSS MB (or -)

recipe=(--model resnet20 --dataset cifar10 --data "$data" --holdout 1000 --epochs "$epochs" --batch-size 128
        --lr 0.1 --momentum 0.9 --weight-decay 5e-4 --schedule cosine --seed 0 --threads 2)

# images/s of a metrics.csv: 3000 / seconds, median over the epochs after the first.
ours_rate() {
  python3 - "$1" <<'PY'
import csv, statistics, sys
rows = list(csv.DictReader(open(sys.argv[1])))
later = rows[1:] or rows
print("%.1f" % statistics.median(3000 / float(r["seconds"]) for r in later))
PY
}
rss_mb() { awk '{ printf "%.0f", $1 / 1024 }' "$out/rss"; }

ours_train() {  # label, augment
  rm -rf "$out/run"
  /usr/bin/time -f %M -o "$out/rss" "$convnet" train "${recipe[@]}" --augment "$2" --out "$out/run" >/dev/null
  printf '%s\t%s\t%s\t%s\t-\n' "$1" "$round" "$(ours_rate "$out/run/metrics.csv")" "$(rss_mb)" >>"$results"
}

torch_train() {  # label, extra flags
  local label=$1; shift
  /usr/bin/time -f %M -o "$out/rss" "$TORCH_PYTHON" "$here/torch_cifar_pipeline.py" \
    "$data/data_batch_1-first4000.bin.gz" "$epochs" "$@" >"$out/log"
  local rate workers
  rate=$(sed -n 's/^median images\/s[^:]*: \([0-9.]*\).*/\1/p' "$out/log")
  workers=$(sed -n 's/.*largest worker \([0-9]*\) MB.*/\1/p' "$out/log")
  printf '%s\t%s\t%s\t%s\t%s\n' "$label" "$round" "$rate" "$(rss_mb)" "${workers:--}" >>"$results"
}

ours_bench() {
  /usr/bin/time -f %M -o "$out/rss" "$convnet" bench model resnet20 --batch 128 --train --threads 2 >"$out/log"
  local rate
  rate=$(python3 -c 'import json, sys; print("%.1f" % json.load(open(sys.argv[1]))["images_per_s"])' "$out/log")
  printf '%s\t%s\t%s\t%s\t-\n' "ours, bare step (bench model --train)" "$round" "$rate" "$(rss_mb)" >>"$results"
}

for round in $(seq 1 "$rounds"); do
  ours_train "ours, --augment cifar" cifar
  ours_train "ours, no augmentation" none
  torch_train "PyTorch, PIL + DataLoader(num_workers=2)"
  torch_train "PyTorch, bare step (tensors in memory)" --bare
  ours_bench
  echo "round $round of $rounds:" >&2
  awk -F'\t' -v r="$round" '$2 == r { printf "  %-42s %8s images/s  %6s MB\n", $1, $3, $4 }' "$results" >&2
done

python3 - "$results" "$rounds" "$epochs" <<'PY'
import statistics, sys
rows = [line.rstrip("\n").split("\t") for line in open(sys.argv[1])]
rounds, epochs = int(sys.argv[2]), int(sys.argv[3])
labels = list(dict.fromkeys(r[0] for r in rows))
def summary(values, fmt):
    values = [float(v) for v in values if v != "-"]
    if not values:
        return "—"
    lo, hi = min(values), max(values)
    return (fmt % statistics.median(values)) + ("" if len(values) == 1 else " (" + fmt % lo + "–" + fmt % hi + ")")
print("ResNet-20, CIFAR-10 sample (3000 training images), batch 128, 2 threads; %d round(s) of %d epoch(s); "
      "images/s: median over epochs %s; medians (ranges) over rounds" % (rounds, epochs, "2–%d" % epochs if epochs > 1 else "1"))
print()
print("| run | images/s | peak RSS, MB | PyTorch's largest worker, MB |")
print("|---|---|---|---|")
for label in labels:
    mine = [r for r in rows if r[0] == label]
    print("| %s | %s | %s | %s |" % (label, summary([r[2] for r in mine], "%.1f"), summary([r[3] for r in mine], "%.0f"),
                                      summary([r[4] for r in mine], "%.0f")))
PY
