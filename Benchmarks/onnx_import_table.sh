#!/usr/bin/env bash
# Imported ONNX models against onnxruntime on the very same files (issue 14): for each model and batch,
# Benchmarks/ort_model.py exports torchvision's model with torch.onnx.export (opset 17, fixed batch,
# random weights; cached under $ORT_CACHE) and times onnxruntime on it (CPUExecutionProvider, all graph
# optimisations, 2 threads); `convnet bench model --onnx FILE --batch B --threads 2` times our import of
# that file, frozen, and `convnet bench model M` the zoo model. The three alternate, ROUNDS times
# (the order rotating every round). Prints a markdown table of medians [min–max] and imported/ort.
# Heavy (~10 minutes for 3 rounds): run it alone.
#   usage: Benchmarks/onnx_import_table.sh PATH/TO/convnet [ROUNDS=3]
# Requirements: PYTHON (default python3) with torch, torchvision, onnx and onnxruntime.
set -euo pipefail
convnet=${1:?usage: onnx_import_table.sh PATH/TO/convnet [ROUNDS=3]}
rounds=${2:-3}
[[ -x "$convnet" ]] || { echo "error: convnet binary '$convnet' is not an executable file" >&2; exit 1; }
[[ "$rounds" =~ ^[1-9][0-9]*$ ]] || { echo "error: ROUNDS '$rounds' must be a positive integer" >&2; exit 1; }
here=$(cd "$(dirname "$0")" && pwd)
python=${PYTHON:-python3}
export ORT_CACHE=${ORT_CACHE:-/tmp/convnet-ort-cache}
works=("resnet18 1" "resnet18 8" "resnet50 1" "resnet50 8" "googlenet 1" "googlenet 8" "vgg16 1" "vgg16 8")
results=$(mktemp)
trap 'rm -f "$results"' EXIT

ms() { "$python" -c "import json,sys; print(json.loads(sys.argv[1])['ms_per_batch'])" "$1"; }
ort() { ms "$("$python" "$here/ort_model.py" "$1" "$2" --threads 2)"; }
file() { ls "$ORT_CACHE"/"$1"-b"$2"-opset17-torch*.onnx | head -1; }
imported() { ms "$("$convnet" bench model --onnx "$(file "$1" "$2")" --batch "$2" --threads 2)"; }
zoo() { ms "$("$convnet" bench model "$1" --batch "$2" --threads 2)"; }

for ((round = 1; round <= rounds; round++)); do
  for spec in "${works[@]}"; do
    set -- $spec
    [[ -n "$(file "$1" "$2" 2>/dev/null)" ]] || ort "$1" "$2" > /dev/null  # the export, once
    sides=(imported zoo ort)
    for ((k = 0; k < 3; k++)); do
      side=${sides[$(((k + round) % 3))]}
      echo "$side $1 $2 $($side "$1" "$2")" >> "$results"
    done
    echo "round $round $1 batch $2 done (load average $(cut -d' ' -f1 /proc/loadavg))" >&2
  done
done

"$python" - "$results" "${works[@]}" <<'PY'
import statistics, sys
rows = {}
for line in open(sys.argv[1]):
    side, model, batch, value = line.split()
    rows.setdefault((model, batch), {}).setdefault(side, []).append(float(value))
print("| model | batch | imported ms | zoo ms | onnxruntime ms | imported/ort |")
print("|---|---|---|---|---|---|")
for spec in sys.argv[2:]:
    model, batch = spec.split()
    r = rows[(model, batch)]
    cell = lambda v: f"{statistics.median(v):.1f} [{min(v):.1f}–{max(v):.1f}]"
    ratio = statistics.median(r["imported"]) / statistics.median(r["ort"])
    print(f"| {model} | {batch} | {cell(r['imported'])} | {cell(r['zoo'])} | {cell(r['ort'])} | {ratio:.2f} |")
PY
