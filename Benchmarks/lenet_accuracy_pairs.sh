#!/usr/bin/env bash
# LeNet-5 MNIST test accuracy, ours against PyTorch seed for seed (issue 3's recipe: batch 64,
# inputs normalised with 0.1307/0.3081, 2 threads, torch.randperm each epoch). Our generator is
# PyTorch's, so seed S gives both sides the same initial weights and the same batches: each pair
# differs only by rounding. Prints a Markdown table of the last epoch's accuracy per seed, then
# the mean of each side and of the paired differences, and how many seeds reach 99 %.
#   usage: Benchmarks/lenet_accuracy_pairs.sh PATH/TO/convnet [SEEDS] [EPOCHS] [sgd|adam]
# SEEDS is a count (seeds 0 … SEEDS−1, default 10); EPOCHS default 5; sgd = lr 0.01 momentum 0.9,
# adam = lr 0.001. TORCH_PYTHON picks the python that has torch (default /tmp/torch/bin/python).
set -euo pipefail
convnet=${1:?usage: lenet_accuracy_pairs.sh PATH/TO/convnet [SEEDS] [EPOCHS] [sgd|adam]}
seeds=${2:-10}
epochs=${3:-5}
optimizer=${4:-sgd}
here=$(cd "$(dirname "$0")" && pwd)
python=${TORCH_PYTHON:-/tmp/torch/bin/python}
mnist=$here/../Datasets/mnist
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
case $optimizer in
  sgd) flags=(--optimizer sgd --lr 0.01 --momentum 0.9) ;;
  adam) flags=(--optimizer adam --lr 0.001) ;;
  *) echo "optimizer must be sgd or adam, not $optimizer" >&2; exit 2 ;;
esac

ours=(); theirs=()
for seed in $(seq 0 $((seeds - 1))); do
  rm -rf "$out/run"
  "$convnet" train --model lenet5 --dataset mnist --epochs "$epochs" --batch-size 64 "${flags[@]}" \
    --seed "$seed" --threads 2 --out "$out/run" >/dev/null
  ours+=("$(tail -1 "$out/run/metrics.csv" | cut -d, -f5 | xargs printf '%.2f')")
  theirs+=("$("$python" "$here/torch_lenet_accuracy.py" "$mnist" "$epochs" "$seed" "$optimizer" | awk '{ print $NF }')")
done

row() { local label=$1; shift; printf '| %s |' "$label"; printf ' %s |' "$@"; echo; }
printf '| seed |'; for seed in $(seq 0 $((seeds - 1))); do printf ' %s |' "$seed"; done; echo
printf '|---|'; for _ in $(seq "$seeds"); do printf -- '---|'; done; echo
row "ours, epoch $epochs" "${ours[@]}"
row "PyTorch, epoch $epochs" "${theirs[@]}"
python3 - "$seeds" "${ours[@]}" "${theirs[@]}" <<'PY'
import statistics, sys
n = int(sys.argv[1]); ours = [float(x) for x in sys.argv[2:2 + n]]; theirs = [float(x) for x in sys.argv[2 + n:]]
d = [a - b for a, b in zip(ours, theirs)]
spread = statistics.stdev(d) if n > 1 else 0.0
print("mean: ours %.2f %%, PyTorch %.2f %%; paired difference %+.3f points (sd %.3f, largest %.2f)"
      % (statistics.mean(ours), statistics.mean(theirs), statistics.mean(d), spread, max(map(abs, d))))
print("seeds at >= 99.0 %%: ours %d of %d, PyTorch %d of %d" % (sum(a >= 99 for a in ours), n, sum(b >= 99 for b in theirs), n))
PY
