#!/usr/bin/env bash
# Data-parallel figures for docs/performance.md (issue 15), ROUNDS rounds alternating, medians:
#  1. averaging the gradients of lenet5 (61,706 floats) and resnet18 (11.7 M) in buckets
#     (`convnet bench allreduce`) against one raw MPI_Allreduce of the same floats, from Swift
#     and from C (Benchmarks/mpi_allreduce.c: Open MPI's own, nothing else);
#  2. the share of a training step spent averaging (printed by `convnet train` under mpirun);
#  3. 2 ranks × 1 thread against 1 rank × 2 threads: LeNet-5 on MNIST, ResNet-20 on the CIFAR sample.
# Usage: Benchmarks/mpi_table.sh [CONVNET] [ROUNDS]   (CIFAR from ../shared/data/cifar-10-sample)
set -euo pipefail
CONVNET=${1:-.build/release/convnet}
ROUNDS=${2:-3}
CIFAR=${CIFAR:-../shared/data/cifar-10-sample}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
MPIRUN="mpirun -np 2"
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
mpicc -O2 Benchmarks/mpi_allreduce.c -o "$WORK/mpi_allreduce"

median() { sort -g | awk '{ v[NR] = $1 } END { if (NR) printf "%.3f", v[int((NR + 1) / 2)] }'; }
json() { python3 -c "import json,sys; print(json.loads(sys.stdin.read().strip().splitlines()[-1])['$1'])"; }

echo "## 1. gradient averaging, 2 ranks (ms, median of $ROUNDS rounds, each the median of 20)"
for model in lenet5 resnet18; do
  : > "$WORK/b"; : > "$WORK/r"; : > "$WORK/c"; : > "$WORK/p"
  for _ in $(seq "$ROUNDS"); do
    out=$($MPIRUN "$CONVNET" bench allreduce "$model")
    echo "$out" | json bucketed_ms >> "$WORK/b"
    echo "$out" | json raw_allreduce_ms >> "$WORK/r"
    floats=$(echo "$out" | json floats)
    $MPIRUN "$WORK/mpi_allreduce" "$floats" 20 | json raw_c_allreduce_ms >> "$WORK/c"
    $MPIRUN "$WORK/mpi_allreduce" "$floats" 20 6553600 | json raw_c_allreduce_ms >> "$WORK/p"
  done
  b=$(median < "$WORK/b"); r=$(median < "$WORK/r"); c=$(median < "$WORK/c"); p=$(median < "$WORK/p")
  echo "$model: $floats floats  bucketed $b  raw (Swift) $r  raw (C) $c  raw (C, 25 MB pieces) $p  bucketed vs C $(python3 -c "print(f'{100*($b/$c-1):+.0f} %, vs C in pieces {100*($b/$p-1):+.0f} %')")  (all bucketed: $(paste -sd' ' "$WORK/b"))"
done

lenet=(train --model lenet5 --dataset mnist --epochs 1 --batch-size 64 --train-limit 19200 --test-limit 1000 --seed 0)
resnet=(train --model resnet20 --dataset cifar10 --data "$CIFAR" --epochs 1 --batch-size 64 --train-limit 1536 --test-limit 256 --seed 0)
epoch_seconds() { tail -1 "$1/metrics.csv" | awk -F, '{ print $NF }'; }

echo "## 2 and 3. training, epoch seconds (median of $ROUNDS), and the share spent averaging gradients"
for name in lenet resnet; do
  declare -n args=$name
  : > "$WORK/one"; : > "$WORK/two"; : > "$WORK/share"
  for _ in $(seq "$ROUNDS"); do
    rm -rf "$WORK/o1" "$WORK/o2"
    "$CONVNET" "${args[@]}" --threads 2 --workers 1 --out "$WORK/o1" > /dev/null
    epoch_seconds "$WORK/o1" >> "$WORK/one"
    $MPIRUN "$CONVNET" "${args[@]}" --threads 1 --workers 1 --out "$WORK/o2" > "$WORK/log"
    epoch_seconds "$WORK/o2" >> "$WORK/two"
    grep "gradient averaging" "$WORK/log" | sed 's/.*(\(.*\)%).*/\1/' >> "$WORK/share"
  done
  echo "$name: 1 rank × 2 threads $(median < "$WORK/one") s  2 ranks × 1 thread $(median < "$WORK/two") s  averaging $(median < "$WORK/share") % of the 2-rank steps  (all: $(paste -sd' ' "$WORK/one") | $(paste -sd' ' "$WORK/two"))"
done
