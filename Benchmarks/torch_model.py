"""PyTorch side of `convnet bench model`: median time of one batch through a torchvision model
(or LeNet-5, or a CIFAR ResNet from Tools/reference_models.py), inference under no_grad or, with --train, an SGD step; 2 threads.
usage: torch_model.py MODEL BATCH [--train]  -> {"ms_per_batch":…, "images_per_s":…}
(needs torch and torchvision)"""
import json
import statistics
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision
import os

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tools"))
from reference_models import CifarResNet  # noqa: E402  (the CIFAR ResNets, as our resnet20/32/44/56)

torch.set_num_threads(2)
torch.manual_seed(0)
name, batch, train = sys.argv[1], int(sys.argv[2]), "--train" in sys.argv


def lenet5():
    return nn.Sequential(nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(6, 16, 5), nn.ReLU(),
                         nn.MaxPool2d(2), nn.Flatten(), nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(),
                         nn.Linear(84, 10))


models = {"lenet5": (lenet5, (1, 28, 28), 10)}
for n in ["alexnet", "vgg11", "vgg13", "vgg16", "vgg19", "vgg11_bn", "vgg16_bn", "resnet18", "resnet34", "resnet50",
          "googlenet"]:
    models[n.replace("_bn", "-bn")] = (getattr(torchvision.models, n), (3, 224, 224), 1000)
for depth in [20, 32, 44, 56]:
    models[f"resnet{depth}"] = (lambda depth=depth: CifarResNet(n=(depth - 2) // 6), (3, 32, 32), 10)
make, shape, classes = models[name]
model = make(aux_logits=False, init_weights=True) if name == "googlenet" else make()
x = torch.randn(batch, *shape)
labels = torch.arange(batch) % classes
opt = torch.optim.SGD(model.parameters(), lr=1e-3, momentum=0.9)


def step():
    if train:
        opt.zero_grad(set_to_none=True)
        F.cross_entropy(model(x), labels).backward()
        opt.step()
    else:
        with torch.no_grad():
            model(x)


model.train(train)
for _ in range(3):
    step()
t0 = time.perf_counter(); step(); one = time.perf_counter() - t0
times = []
for _ in range(max(5, min(50, int(3.0 / max(one, 1e-6))))):
    t0 = time.perf_counter(); step(); times.append(time.perf_counter() - t0)
ms = statistics.median(times) * 1e3
print(json.dumps({"ms_per_batch": ms, "images_per_s": batch / ms * 1e3}))
