#!/usr/bin/env python3
"""onnxruntime side of `convnet bench model`: median time of one inference batch through the same
model (torchvision's, LeNet-5, or a CIFAR ResNet; see bench_models.py), random weights (seed 0),
exported by torch.onnx.export (opset 17, fixed batch) and run by onnxruntime's CPUExecutionProvider
with ORT_ENABLE_ALL graph optimisations, `--threads` intra-op threads and one inter-op thread.
Timed as Sources/ConvNet/Training/Stopwatch.swift times ours: 3 warm-up runs, then enough runs for
about 3 s (at least 5, at most 50), the median.
usage: ort_model.py MODEL BATCH [--threads 2] [--check]
  -> {"ms_per_batch": median, "images_per_s": …, "spread_ms": [min, max]}
--check also prints to stderr the largest |onnxruntime − PyTorch| logit difference on the input.
Exported models are cached under $ORT_CACHE (default /tmp/convnet-ort-cache), one file per model and
batch. (needs torch, torchvision, onnx and onnxruntime)"""
import argparse
import json
import os
import sys
import warnings

import numpy as np
import onnxruntime as ort
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_models import MODELS, build, time_step  # noqa: E402

OPSET = 17

parser = argparse.ArgumentParser(description="onnxruntime CPU inference time of one batch")
parser.add_argument("model", choices=sorted(MODELS))
parser.add_argument("batch", type=int)
parser.add_argument("--threads", type=int, default=2)
parser.add_argument("--check", action="store_true", help="compare onnxruntime's logits with PyTorch's (stderr)")
args = parser.parse_args()
if args.batch < 1 or args.threads < 1:
    parser.error("batch and --threads must be at least 1")

cache = os.environ.get("ORT_CACHE", "/tmp/convnet-ort-cache")
os.makedirs(cache, exist_ok=True)
path = os.path.join(cache, f"{args.model}-b{args.batch}-opset{OPSET}-torch{torch.__version__}.onnx")
_, shape, _ = MODELS[args.model]
x = np.random.default_rng(1).standard_normal((args.batch, *shape), dtype=np.float32)


def torch_model():
    torch.manual_seed(0)
    model, _, _ = build(args.model)
    return model.eval()


if not os.path.exists(path):
    model = torch_model()
    partial = f"{path}.{os.getpid()}.partial"  # renamed when complete, so a killed export leaves no bad cache
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the legacy (TorchScript) exporter's deprecation notice
        # dynamo=False: the torch.export-based exporter needs onnxscript, which we don't require.
        torch.onnx.export(model, (torch.from_numpy(x),), partial, opset_version=OPSET, dynamo=False,
                          input_names=["input"], output_names=["logits"])
    os.replace(partial, path)

options = ort.SessionOptions()
options.intra_op_num_threads = args.threads
options.inter_op_num_threads = 1
options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
session = ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])
feeds = {session.get_inputs()[0].name: x}


def step():
    return session.run(None, feeds)


if args.check:
    with torch.no_grad():
        expected = torch_model()(torch.from_numpy(x)).numpy()
    got = step()[0]
    print(f"{args.model} batch {args.batch}: max |ort - torch| = {np.abs(got - expected).max():.3g} "
          f"(max |torch| = {np.abs(expected).max():.3g})", file=sys.stderr)

median, fastest, slowest = time_step(step)
ms = median * 1e3
print(json.dumps({"ms_per_batch": ms, "images_per_s": args.batch / ms * 1e3,
                  "spread_ms": [fastest * 1e3, slowest * 1e3]}))
