#!/usr/bin/env bash
# Prints the convolution benchmark table of docs/performance.md: for each shape, `convnet bench conv`
# and, with --with-torch, the same work in PyTorch (Benchmarks/torch_conv.py).
#   usage: Benchmarks/conv_table.sh PATH/TO/convnet [--with-torch]
# TORCH_PYTHON picks the python that has torch (default /tmp/torch/bin/python).
set -euo pipefail
convnet=${1:?usage: conv_table.sh PATH/TO/convnet [--with-torch]}
with_torch=${2:-}
here=$(cd "$(dirname "$0")" && pwd)
python=${TORCH_PYTHON:-/tmp/torch/bin/python}

shapes=(
  "64 1 28 28 6 5 1 2|LeNet conv1"
  "64 6 14 14 16 5 1 0|LeNet conv2"
  "128 16 32 32 16 3 1 1|ResNet-CIFAR 16ch"
  "128 64 8 8 64 3 1 1|ResNet-CIFAR 64ch"
  "8 64 56 56 64 3 1 1|VGG-style 56x56"
  "32 256 14 14 256 3 1 1|256ch 14x14"
)

field() { python3 -c "import json,sys; print('%.2f' % json.loads(sys.argv[1])[sys.argv[2]])" "$1" "$2"; }

if [ "$with_torch" = "--with-torch" ]; then
  printf '| shape (N C H W → C_out K stride pad) | ours fwd ms | ours fwd+bwd ms | ours GFLOP/s fwd+bwd | PyTorch fwd ms | PyTorch fwd+bwd ms | fwd+bwd ours/PyTorch |\n|---|---|---|---|---|---|---|\n'
else
  printf '| shape (N C H W → C_out K stride pad) | fwd ms | fwd+bwd ms | GFLOP/s fwd | GFLOP/s fwd+bwd |\n|---|---|---|---|---|\n'
fi
for entry in "${shapes[@]}"; do
  shape=${entry%%|*}; name=${entry##*|}
  ours=$("$convnet" bench conv $shape)
  if [ "$with_torch" = "--with-torch" ]; then
    theirs=$("$python" "$here/torch_conv.py" $shape)
    ratio=$(python3 -c "import json,sys; a=json.loads(sys.argv[1]); b=json.loads(sys.argv[2]); print('%.2f' % (a['forward_backward_ms']/b['forward_backward_ms']))" "$ours" "$theirs")
    printf '| %s (%s) | %s | %s | %s | %s | %s | %s |\n' "$name" "$shape" "$(field "$ours" forward_ms)" \
      "$(field "$ours" forward_backward_ms)" "$(field "$ours" gflops_forward_backward)" \
      "$(field "$theirs" forward_ms)" "$(field "$theirs" forward_backward_ms)" "$ratio"
  else
    printf '| %s (%s) | %s | %s | %s | %s |\n' "$name" "$shape" "$(field "$ours" forward_ms)" \
      "$(field "$ours" forward_backward_ms)" "$(field "$ours" gflops_forward)" "$(field "$ours" gflops_forward_backward)"
  fi
done
