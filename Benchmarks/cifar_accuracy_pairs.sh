#!/usr/bin/env bash
# CIFAR ResNet-20 held-out accuracy, ours against PyTorch seed for seed, on the 4000-image CIFAR-10
# sample: 1000 held out, 3000 trained on with the `cifar` augmentation (RandomCrop(32, padding=4) +
# RandomHorizontalFlip()), batch 128, SGD lr 0.1 momentum 0.9 weight decay 5e-4, cosine schedule,
# 2 threads. Benchmarks/torch_cifar_resnet20.py draws split, weights, order and augmentation as we
# do, so seed S is the same experiment on both sides and the pairs differ only by rounding (which
# the first backward pass of a He-initialised ResNet already amplifies to ~0.1–1 % of the gradient,
# and lr 0.1 amplifies further: the pairs do not stay close, but they are paired).
# Runs ours and PyTorch's alternately, seed by seed; prints a Markdown table of the last epoch's
# held-out accuracy per seed, the mean of each side and the paired difference (mean ± standard error).
#   usage: Benchmarks/cifar_accuracy_pairs.sh PATH/TO/convnet [SEEDS] [EPOCHS]
# SEEDS is a count (seeds 0 … SEEDS−1, default 5); EPOCHS default 30. CIFAR_DATA: the folder with
# data_batch_1-first4000.bin.gz (default ../shared/data/cifar-10-sample beside the repository); TORCH_PYTHON: the python
# that has torch and torchvision (default /tmp/torch/bin/python if present, else python3).
set -euo pipefail
convnet=${1:?usage: cifar_accuracy_pairs.sh PATH/TO/convnet [SEEDS] [EPOCHS]}
seeds=${2:-5}
epochs=${3:-30}
here=$(cd "$(dirname "$0")" && pwd)
data=${CIFAR_DATA:-$here/../../shared/data/cifar-10-sample}
if [[ -z ${TORCH_PYTHON:-} ]]; then
  if [[ -x /tmp/torch/bin/python ]]; then TORCH_PYTHON=/tmp/torch/bin/python; else TORCH_PYTHON=python3; fi
fi
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

ours=(); theirs=()
for seed in $(seq 0 $((seeds - 1))); do
  rm -rf "$out/run"
  "$convnet" train --model resnet20 --dataset cifar10 --data "$data" --holdout 1000 --augment cifar \
    --epochs "$epochs" --batch-size 128 --lr 0.1 --momentum 0.9 --weight-decay 5e-4 --schedule cosine \
    --seed "$seed" --threads 2 --out "$out/run" >/dev/null
  ours+=("$(tail -1 "$out/run/metrics.csv" | cut -d, -f5 | xargs printf '%.2f')")
  theirs+=("$("$TORCH_PYTHON" "$here/torch_cifar_resnet20.py" "$data/data_batch_1-first4000.bin.gz" "$epochs" "$seed" \
    | sed -n 's/^held-out accuracy: \([0-9.]*\)%$/\1/p')")
  echo "seed $seed: ours ${ours[-1]} %, PyTorch ${theirs[-1]} %" >&2
done

row() { local label=$1; shift; printf '| %s |' "$label"; printf ' %s |' "$@"; echo; }
printf '| seed |'; for seed in $(seq 0 $((seeds - 1))); do printf ' %s |' "$seed"; done; echo
printf '|---|'; for _ in $(seq "$seeds"); do printf -- '---|'; done; echo
row "ours, epoch $epochs" "${ours[@]}"
row "PyTorch, epoch $epochs" "${theirs[@]}"
python3 - "$seeds" "${ours[@]}" "${theirs[@]}" <<'PY'
import math, statistics, sys
n = int(sys.argv[1]); ours = [float(x) for x in sys.argv[2:2 + n]]; theirs = [float(x) for x in sys.argv[2 + n:]]
d = [a - b for a, b in zip(ours, theirs)]
sd = statistics.stdev(d) if n > 1 else 0.0
print("mean held-out accuracy: ours %.2f %%, PyTorch %.2f %%; paired difference (ours − PyTorch) %+.2f ± %.2f points "
      "(mean ± se over %d seeds; sd %.2f, largest |difference| %.2f)"
      % (statistics.mean(ours), statistics.mean(theirs), statistics.mean(d), sd / math.sqrt(n), n, sd, max(map(abs, d))))
PY
