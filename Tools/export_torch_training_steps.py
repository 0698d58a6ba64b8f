"""Writes Tests/ConvNetTests/Fixtures/torch-lenet-steps.json: LeNet-5 on the MNIST copy in
Datasets/mnist with issue 3's recipe (batch 64, inputs normalised with 0.1307/0.3081, shuffled by
torch.randperm after the model is built), trained from torch.manual_seed(0) for 20 steps with SGD
(lr 0.01, momentum 0.9) and, separately, with Adam (lr 1e-3): each step's loss and a summary of
every parameter afterwards. Since swift-convnet draws the same initial weights and the same order
for the same seed, its trainer must land on these weights up to rounding (TrainingTests).
usage: python3 Tools/export_torch_training_steps.py (PyTorch 2.x; written with 2.15)."""
import gzip
import json
import os

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

root = os.path.join(os.path.dirname(__file__), "..")
torch.set_num_threads(2)


def idx(name):
    raw = gzip.open(os.path.join(root, "Datasets", "mnist", name), "rb").read()
    return np.frombuffer(raw, np.uint8, offset=16 if "images" in name else 8)


x = torch.tensor(idx("train-images-idx3-ubyte.gz"), dtype=torch.float32).view(-1, 1, 28, 28) / 255
x = (x - 0.1307) / 0.3081
y = torch.tensor(idx("train-labels-idx1-ubyte.gz"), dtype=torch.long)
names = {"0": "conv1", "3": "conv2", "7": "fc1", "9": "fc2", "11": "fc3"}


def run(optimizer, steps=20):
    torch.manual_seed(0)
    net = nn.Sequential(nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(6, 16, 5), nn.ReLU(),
                        nn.MaxPool2d(2), nn.Flatten(), nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(),
                        nn.Linear(84, 10))
    opt = (torch.optim.SGD(net.parameters(), lr=0.01, momentum=0.9) if optimizer == "sgd"
           else torch.optim.Adam(net.parameters(), lr=1e-3))
    perm = torch.randperm(len(x))
    losses = []
    for step in range(steps):
        j = perm[step * 64:(step + 1) * 64]
        loss = F.cross_entropy(net(x[j]), y[j])
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    parameters = []
    for name, p in net.named_parameters():
        layer, kind = name.split(".")
        v = p.detach().reshape(-1)
        parameters.append({"name": f"{names[layer]}.{kind}", "shape": list(p.shape),
                           "first": [float(a) for a in v[:8]], "last": [float(a) for a in v[-8:]],
                           "sum": float(v.double().sum()), "abs_sum": float(v.double().abs().sum())})
    return {"losses": losses, "parameters": parameters}


cases = {"sgd": run("sgd"), "adam": run("adam")}
with open(os.path.join(root, "Tests", "ConvNetTests", "Fixtures", "torch-lenet-steps.json"), "w") as f:
    json.dump({"torch_version": torch.__version__, "steps": 20, "cases": cases}, f, indent=1)
    f.write("\n")
