"""Checks `convnet export` on every zoo model against ONNX's own tools: the file passes
onnx.checker.check_model(full_check=True) and onnxruntime's CPU provider reproduces swift-convnet's
logits to 1e-4 of their scale, at batch 2 and (the dynamic batch dimension) at batch 1.

Per model: export once with the fresh initialisation, give every batch norm random statistics and
affine parameters (a fresh model's are the identity) and export again with those weights, with
`--reference-out` writing a random input batch and our logits for it. Prints a table; exits 1 when
a model fails.

usage: python3 Tools/check_onnx_export.py [--convnet .build/release/convnet] [--models lenet5,resnet20]
       python3 Tools/check_onnx_export.py --file model.onnx reference.safetensors   (any exported file)
(needs numpy, onnx, onnxruntime, safetensors)
"""
import argparse
import os
import re
import subprocess
import sys
import tempfile
import time

import numpy as np
import onnx
import onnxruntime as ort
from onnx import numpy_helper
from safetensors.numpy import load_file, save_file

TOLERANCE = 1e-4


def zoo_models(convnet):
    text = subprocess.run([convnet, "export", "--help"], check=True, capture_output=True, text=True).stdout
    names = re.search(r"Model: ([^.]+)\.", " ".join(text.split())).group(1)
    return [n.strip() for n in names.split(",")]


def randomized_weights(model_path, out_path, rng):
    """The exported initializers (state_dict names) with random batch-norm parameters and statistics."""
    weights = {}
    for t in onnx.load(model_path).graph.initializer:
        if t.data_type != onnx.TensorProto.FLOAT or t.name.startswith(("const_", "bn_", "scalar")):
            continue  # constants the exporter made, not state_dict entries
        a = numpy_helper.to_array(t).astype(np.float32)
        if t.name.endswith(".running_var"):
            a = rng.uniform(0.5, 2.0, a.shape)
            weights[t.name[: -len("running_var")] + "num_batches_tracked"] = np.zeros((), np.float32)
        elif t.name.endswith(".running_mean"):
            a = rng.normal(0, 0.2, a.shape)
        weights[t.name] = np.ascontiguousarray(a, dtype=np.float32)
    for name in list(weights):  # batch norm's weight and bias: those of modules with running statistics
        prefix = name.rsplit(".", 1)[0]
        if prefix + ".running_var" in weights and name.endswith((".weight", ".bias")):
            shape = weights[name].shape
            weights[name] = (rng.uniform(0.5, 1.5, shape) if name.endswith(".weight") else rng.normal(0, 0.2, shape)).astype(np.float32)
    save_file(weights, out_path)


def check(convnet, model, folder, rng):
    first, final = os.path.join(folder, f"{model}.init.onnx"), os.path.join(folder, f"{model}.onnx")
    weights, reference = os.path.join(folder, f"{model}.safetensors"), os.path.join(folder, f"{model}.ref.safetensors")
    run = lambda *args: subprocess.run([convnet, "export", "--model", model, "--threads", "2", *args],
                                       check=True, capture_output=True, text=True)
    run("--out", first)
    randomized_weights(first, weights, rng)
    os.remove(first)
    start = time.time()
    run("--weights", weights, "--out", final, "--reference-out", reference)
    seconds = time.time() - start
    return compare(final, reference) | {"seconds": seconds}


def compare(final, reference):
    """check_model, then onnxruntime on the reference input at batch N and 1 against our logits."""
    onnx.checker.check_model(final, full_check=True)
    proto = onnx.load(final)
    ref = load_file(reference)
    x, ours = ref["input"], ref["logits"]
    options = ort.SessionOptions()
    options.intra_op_num_threads = 2
    session = ort.InferenceSession(final, options, providers=["CPUExecutionProvider"])
    theirs2 = session.run(["logits"], {"input": x})[0]
    theirs1 = session.run(["logits"], {"input": x[:1]})[0]
    scale = float(np.abs(ours).max())
    worst = max(float(np.abs(theirs2 - ours).max()), float(np.abs(theirs1 - ours[:1]).max()))
    return {"nodes": len(proto.graph.node), "mb": os.path.getsize(final) / 1e6, "seconds": float("nan"),
            "scale": scale, "worst": worst, "ok": theirs2.shape == ours.shape and worst <= TOLERANCE * scale}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--convnet", default=".build/release/convnet")
    parser.add_argument("--models", help="comma-separated (default: every zoo model)")
    parser.add_argument("--file", nargs=2, action="append", metavar=("MODEL.onnx", "REFERENCE.safetensors"),
                        help="instead of zoo models: an exported file and its input/logits (repeatable)")
    args = parser.parse_args()
    models = [] if args.file and not args.models else args.models.split(",") if args.models else zoo_models(args.convnet)
    rng = np.random.default_rng(0)
    jobs = [(m, lambda m=m, folder=None: check(args.convnet, m, folder, rng)) for m in models]
    jobs += [(os.path.basename(f), lambda f=f, r=r, folder=None: compare(f, r)) for f, r in args.file or []]
    print(f"onnx {onnx.__version__}, onnxruntime {ort.__version__} (CPUExecutionProvider, 2 threads); "
          f"tolerance {TOLERANCE} of max|logit|")
    print(f"| model | nodes | file MB | export s | check_model | max abs diff (batch 2 and 1) | max abs logit | result |")
    print("|---|---:|---:|---:|---|---:|---:|---|")
    failures = 0
    with tempfile.TemporaryDirectory() as folder:
        for model, job in jobs:
            try:
                r = job(folder=folder)
            except subprocess.CalledProcessError as e:
                print(f"| {model} | | | | | | | FAIL: {(e.stderr or e.stdout).strip().splitlines()[-1]} |")
                failures += 1
                continue
            except Exception as e:  # the checker's or onnxruntime's verdict
                print(f"| {model} | | | | FAIL | | | {type(e).__name__}: {str(e).splitlines()[0]} |")
                failures += 1
                continue
            failures += not r["ok"]
            print(f"| {model} | {r['nodes']} | {r['mb']:.1f} | {r['seconds']:.1f} | passes | {r['worst']:.2e} | "
                  f"{r['scale']:.3g} | {'ok' if r['ok'] else 'FAIL'} |")
            sys.stdout.flush()
            for name in os.listdir(folder):
                os.remove(os.path.join(folder, name))
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
