"""PyTorch side of `convnet bench model`: median time of one batch through a torchvision model
(or LeNet-5, or a CIFAR ResNet from Tools/reference_models.py), inference under no_grad or, with --train, an SGD step; 2 threads.
usage: torch_model.py MODEL BATCH [--train]  -> {"ms_per_batch":…, "images_per_s":…}
(needs torch and torchvision)"""
import json
import os
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_models import build, time_step  # noqa: E402  (the model list and timing, shared with ort_model.py)

torch.set_num_threads(2)
torch.manual_seed(0)
name, batch, train = sys.argv[1], int(sys.argv[2]), "--train" in sys.argv
model, shape, classes = build(name)
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
ms = time_step(step)[0] * 1e3
print(json.dumps({"ms_per_batch": ms, "images_per_s": batch / ms * 1e3}))
