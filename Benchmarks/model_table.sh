#!/usr/bin/env bash
# Prints docs/performance.md's model table: `convnet bench model` beside Benchmarks/torch_model.py (PyTorch,
# 2 threads) when --with-torch is given (the LeNet-5 epoch: Benchmarks/lenet_epoch_pairs.sh).
#   usage: Benchmarks/model_table.sh PATH/TO/convnet [--with-torch]
# TORCH_PYTHON picks the python that has torch and torchvision (default /tmp/torch/bin/python).
set -euo pipefail
convnet=${1:?usage: model_table.sh PATH/TO/convnet [--with-torch]}
with_torch=${2:-}
here=$(cd "$(dirname "$0")" && pwd)
python=${TORCH_PYTHON:-/tmp/torch/bin/python}
field() { python3 -c "import json,sys; print('%.1f' % json.loads(sys.argv[1])[sys.argv[2]])" "$1" "$2"; }

printf '| work | ours ms/batch | ours images/s |%s\n' "$([ "$with_torch" = --with-torch ] && echo ' PyTorch ms/batch | PyTorch images/s | speed-up |')"
printf '|---|---|---|%s\n' "$([ "$with_torch" = --with-torch ] && echo '---|---|---|')"
for entry in "lenet5 1000|" "lenet5 64|--train" "vgg16 1|" "vgg16 8|" "resnet18 1|" "resnet18 8|" "resnet50 8|" "googlenet 8|"; do
  spec=${entry%%|*}; flag=${entry##*|}; set -- $spec
  ours=$("$convnet" bench model "$1" --batch "$2" $flag)
  kind=inference; [ -n "$flag" ] && kind="training step"
  row="| $1 batch $2 $kind | $(field "$ours" ms_per_batch) | $(field "$ours" images_per_s) |"
  if [ "$with_torch" = --with-torch ]; then
    theirs=$("$python" "$here/torch_model.py" "$1" "$2" $flag)
    speedup=$(python3 -c "import json,sys; print('%.2f×' % (json.loads(sys.argv[2])['ms_per_batch']/json.loads(sys.argv[1])['ms_per_batch']))" "$ours" "$theirs")
    row="$row $(field "$theirs" ms_per_batch) | $(field "$theirs" images_per_s) | $speedup |"
  fi
  echo "$row"
done
