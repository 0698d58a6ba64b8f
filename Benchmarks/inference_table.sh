#!/usr/bin/env bash
# Inference beside onnxruntime: `convnet bench model M --batch B --threads 2` and
# Benchmarks/ort_model.py (onnxruntime CPUExecutionProvider, 2 intra-op threads) run alternately,
# ROUNDS times each (the first of the pair swaps every round), for resnet18, resnet50, googlenet and
# vgg16 at batch 1 and 8, lenet5 at batch 1000 (1×28×28) and resnet20 at batch 128 (3×32×32).
# Prints a markdown table: per side the median of the ROUNDS per-run medians [their min–max],
# ours/ort (below 1: ours is faster), GFLOP/s = 2 · MACs per image (`convnet summary M --json`,
# "total_macs") · batch / median time, and ours as a share of the machine's FP32 limit, measured
# each round by Benchmarks/fp32_peak.c (2 threads of back-to-back AVX-512 FMAs; built with cc) beside
# oneDNN's 256-channel 3×3 convolution (`convnet bench conv 32 256 14 14 256 3 1 1 --threads 2`). Progress goes to stderr, with the 1-minute load average
# (above ~2.5 on 2 cores means something else ran meanwhile). Heavy (~10 minutes on 2 cores):
# run it alone, e.g. under `flock /tmp/cpu.lock`.
#   usage: Benchmarks/inference_table.sh PATH/TO/convnet [ROUNDS=3]
# Requirements: a release convnet; PYTHON (default python3) with torch, torchvision, onnx and
# onnxruntime. ort_model.py caches its ONNX exports under $ORT_CACHE (default /tmp/convnet-ort-cache,
# ~1.4 GB for this table).
set -euo pipefail
convnet=${1:?usage: inference_table.sh PATH/TO/convnet [ROUNDS=3]}
rounds=${2:-3}
[[ -x "$convnet" ]] || { echo "error: convnet binary '$convnet' is not an executable file" >&2; exit 1; }
[[ "$rounds" =~ ^[1-9][0-9]*$ ]] || { echo "error: ROUNDS '$rounds' must be a positive integer" >&2; exit 1; }
here=$(cd "$(dirname "$0")" && pwd)
python=${PYTHON:-python3}
works=("resnet18 1" "resnet18 8" "resnet50 1" "resnet50 8" "googlenet 1" "googlenet 8" "vgg16 1" "vgg16 8"
       "lenet5 1000" "resnet20 128")
results=$(mktemp)

ms() { "$python" -c "import json,sys; print(json.loads(sys.argv[1])['ms_per_batch'])" "$1"; }
ours() { ms "$("$convnet" bench model "$1" --batch "$2" --threads 2)"; }
ort() { ms "$("$python" "$here/ort_model.py" "$1" "$2" --threads 2)"; }
peak_binary=$(mktemp)
trap 'rm -f "$results" "$peak_binary"' EXIT
cc -O2 -mavx512f -fopenmp "$here/fp32_peak.c" -o "$peak_binary" \
  || { echo "error: could not build Benchmarks/fp32_peak.c (needs cc with AVX-512 and OpenMP)" >&2; exit 1; }
peak() { "$python" -c "import json,sys; print(json.loads(sys.argv[1])['gflops'])" "$("$peak_binary" 2)"; }
conv() {
  "$python" -c "import json,sys; print(json.loads(sys.argv[1])['gflops_forward'])" \
    "$("$convnet" bench conv 32 256 14 14 256 3 1 1 --threads 2)"
}

for spec in "${works[@]}"; do
  set -- $spec
  macs=$("$convnet" summary "$1" --json | "$python" -c "import json,sys; print(json.load(sys.stdin)['total_macs'])")
  echo "macs $1 $2 $macs" >> "$results"
done
for ((round = 1; round <= rounds; round++)); do
  echo "peak x x $(peak)" >> "$results"; echo "conv x x $(conv)" >> "$results"
  for spec in "${works[@]}"; do
    set -- $spec
    if ((round % 2)); then a=$(ours "$1" "$2"); b=$(ort "$1" "$2"); else b=$(ort "$1" "$2"); a=$(ours "$1" "$2"); fi
    echo "ours $1 $2 $a" >> "$results"; echo "ort $1 $2 $b" >> "$results"
    printf 'round %d %s batch %s: ours %.2f ms, onnxruntime %.2f ms (load average %s)\n' "$round" "$1" "$2" "$a" "$b" \
      "$(cut -d' ' -f1 /proc/loadavg)" >&2
  done
done

"$python" - "$results" "${works[@]}" <<'PY'
import statistics
import sys

runs, macs = {}, {}
for line in open(sys.argv[1]):
    side, model, batch, value = line.split()
    if side == "macs":
        macs[(model, batch)] = int(value)
    elif side in ("peak", "conv"):
        runs.setdefault(side, []).append(float(value))
    else:
        runs.setdefault((side, model, batch), []).append(float(value))


def cell(times):
    return f"{statistics.median(times):.2f} [{min(times):.2f}–{max(times):.2f}]"


def gflops(key, times):
    return 2 * macs[key] * int(key[1]) / (statistics.median(times) * 1e-3) / 1e9


limit = statistics.median(runs["peak"])
print(f"FP32 limit (fp32_peak, 2 threads): {cell(runs['peak'])} GFLOP/s; oneDNN 256-channel 3×3 convolution: "
      f"{cell(runs['conv'])} GFLOP/s ({100 * statistics.median(runs['conv']) / limit:.0f} % of the limit)\n")
print("| work | ours ms (median [min–max]) | onnxruntime ms (median [min–max]) | ours/ort | ours GFLOP/s | ort GFLOP/s | ours % of limit |")
print("|---|---|---|---|---|---|---|")
for spec in sys.argv[2:]:
    key = tuple(spec.split())
    ours, ort = runs[("ours", *key)], runs[("ort", *key)]
    print(f"| {key[0]} batch {key[1]} | {cell(ours)} | {cell(ort)} | "
          f"{statistics.median(ours) / statistics.median(ort):.2f} | {gflops(key, ours):.1f} | {gflops(key, ort):.1f} | "
          f"{100 * gflops(key, ours) / limit:.0f} |")
PY
