"""The models our benchmarks time on the Python side (PyTorch, onnxruntime), under the names
`convnet bench model` uses: torchvision's ImageNet models, LeNet-5, and the CIFAR ResNets of
Tools/reference_models.py. `build(name)` -> (model, input shape C×H×W, classes).
(needs torch and torchvision)"""
import os
import statistics
import sys
import time

import torch.nn as nn
import torchvision

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tools"))
from reference_models import CifarResNet  # noqa: E402  (the CIFAR ResNets, as our resnet20/32/44/56)


def lenet5():
    return nn.Sequential(nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(6, 16, 5), nn.ReLU(),
                         nn.MaxPool2d(2), nn.Flatten(), nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(),
                         nn.Linear(84, 10))


MODELS = {"lenet5": (lenet5, (1, 28, 28), 10)}
for _n in ["alexnet", "vgg11", "vgg13", "vgg16", "vgg19", "vgg11_bn", "vgg16_bn", "resnet18", "resnet34", "resnet50",
           "googlenet"]:
    MODELS[_n.replace("_bn", "-bn")] = (getattr(torchvision.models, _n), (3, 224, 224), 1000)
for _depth in [20, 32, 44, 56]:
    MODELS[f"resnet{_depth}"] = (lambda depth=_depth: CifarResNet(n=(depth - 2) // 6), (3, 32, 32), 10)


def build(name):
    """A freshly initialised model (seed it first), its input shape and class count; googlenet
    without the auxiliary heads, as ours."""
    if name not in MODELS:
        raise SystemExit(f"error: unknown model '{name}' (known: {', '.join(MODELS)})")
    make, shape, classes = MODELS[name]
    model = make(aux_logits=False, init_weights=True) if name == "googlenet" else make()
    return model, shape, classes


def time_step(step, budget=3.0):
    """Median, min and max seconds of `step()` the way `convnet bench` measures (Stopwatch.swift):
    3 warm-up runs, then enough runs for about `budget` seconds (at least 5, at most 50)."""
    for _ in range(3):
        step()
    t0 = time.perf_counter(); step(); one = time.perf_counter() - t0
    times = []
    for _ in range(max(5, min(50, int(budget / max(one, 1e-6))))):
        t0 = time.perf_counter(); step(); times.append(time.perf_counter() - t0)
    return statistics.median(times), min(times), max(times)
