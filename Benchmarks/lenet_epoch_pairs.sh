#!/usr/bin/env bash
# LeNet-5 MNIST epoch time, ours against PyTorch eager, in back-to-back pairs (issue 3's recipe:
# batch 64, SGD lr 0.01 momentum 0.9, 2 threads, data in memory, shuffled each epoch).
# Each side trains EPOCHS epochs per run and reports the median of epochs 2..EPOCHS (the first
# epoch includes warm-up: oneDNN's JIT, PyTorch's allocator); a pair runs ours, then PyTorch,
# right after each other, so that both see the same machine load. Prints a Markdown table, the
# median and lowest ratio, and each process's peak memory (max RSS).
#   usage: Benchmarks/lenet_epoch_pairs.sh PATH/TO/convnet [PAIRS] [EPOCHS]
# TORCH_PYTHON picks the python that has torch (default /tmp/torch/bin/python); TORCH_LENET the
# PyTorch side (default ../shared/reference/torch_lenet_epoch.py, the script whose figures the
# issue quotes); MNIST_DIR the MNIST files it reads (default Datasets/mnist).
set -euo pipefail
convnet=${1:?usage: lenet_epoch_pairs.sh PATH/TO/convnet [PAIRS] [EPOCHS]}
pairs=${2:-5}
epochs=${3:-4}
here=$(cd "$(dirname "$0")" && pwd)
python=${TORCH_PYTHON:-/tmp/torch/bin/python}
mnist=${MNIST_DIR:-$here/../Datasets/mnist}
torch_lenet=${TORCH_LENET:-$here/../../shared/reference/torch_lenet_epoch.py}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

# Peak resident memory in MB of the command that wrote GNU time's output to $1.
rss() { awk '/Maximum resident set size/ { printf "%.0f", $NF / 1024 }' "$1"; }

ours_s=(); torch_s=(); ratios=(); ours_mb=(); torch_mb=()
for i in $(seq "$pairs"); do
  rm -rf "$out/run"
  /usr/bin/time -v "$convnet" train --model lenet5 --dataset mnist --epochs "$epochs" --batch-size 64 \
    --optimizer sgd --lr 0.01 --momentum 0.9 --threads 2 --test-limit 1000 --out "$out/run" \
    >/dev/null 2>"$out/ours.time"
  ours=$(python3 -c "import csv,statistics,sys; r=list(csv.DictReader(open(sys.argv[1]))); print('%.3f' % statistics.median(float(x['seconds']) for x in r[1:]))" "$out/run/metrics.csv")
  theirs=$(/usr/bin/time -v "$python" "$torch_lenet" "$mnist" "$epochs" 2>"$out/torch.time" | tail -1)
  ours_s+=("$ours"); torch_s+=("$(printf '%.3f' "$theirs")")
  ratios+=("$(python3 -c "import sys; print('%.2f' % (float(sys.argv[2]) / float(sys.argv[1])))" "$ours" "$theirs")")
  ours_mb+=("$(rss "$out/ours.time")"); torch_mb+=("$(rss "$out/torch.time")")
done

row() { local label=$1; shift; printf '| %s |' "$label"; printf ' %s |' "$@"; echo; }
printf '| pair |'; for i in $(seq "$pairs"); do printf ' %s |' "$i"; done; echo
printf '|---|'; for i in $(seq "$pairs"); do printf -- '---|'; done; echo
row "ours, s/epoch" "${ours_s[@]}"
row "PyTorch, s/epoch" "${torch_s[@]}"
row "PyTorch / ours" "${ratios[@]/%/×}"
row "ours, max RSS MB" "${ours_mb[@]}"
row "PyTorch, max RSS MB" "${torch_mb[@]}"
python3 -c "import statistics,sys; r=[float(x) for x in sys.argv[1:]]; print('ratio: median %.2f×, lowest %.2f×, highest %.2f×' % (statistics.median(r), min(r), max(r)))" "${ratios[@]}"
