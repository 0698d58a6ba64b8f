"""Writes Tests/ConvNetTests/Fixtures/torch-training-steps.json: LeNet-5 on the MNIST copy in
Datasets/mnist with issue 3's recipe (batch 64, inputs normalised with 0.1307/0.3081, shuffled by
torch.randperm after the model is built), trained from torch.manual_seed(0) for 20 steps with SGD
(lr 0.01, momentum 0.9) and, separately, with Adam (lr 1e-3): each step's loss and a summary of
every parameter afterwards; and "sgd_dataloader": the usual PyTorch loop instead (DataLoader with
shuffle=True over the first 640 training images, a test DataLoader over the first 1000 test images
iterated after each epoch), 2 epochs of SGD, with each epoch's mean training loss. Since
swift-convnet draws the same initial weights and the same order for the same seed, its trainer must
land on these weights up to rounding (TrainingTests). "resnet20_sgd": the CIFAR ResNet-20 (He-init
as in reference_models.py) from seed 0, then 40 random images torch.rand(40, 3, 32, 32) and labels
torch.randperm(40) % 10, trained in 3 batches of 8 with SGD lr 0.02, momentum 0.9, weight decay
5e-4, in double precision (see run_resnet20): each step's loss and a summary of every parameter and
batch-norm buffer afterwards.
usage: python3 Tools/export_torch_training_steps.py (PyTorch 2.x; written with 2.15)."""
import gzip
import json
import os

import numpy as np
import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset

from reference_models import CifarResNet, he_init, lenet5, lenet5_name, summarize

root = os.path.join(os.path.dirname(__file__), "..")
torch.set_num_threads(2)


def idx(name):
    raw = gzip.open(os.path.join(root, "Datasets", "mnist", name), "rb").read()
    return np.frombuffer(raw, np.uint8, offset=16 if "images" in name else 8)


x = torch.tensor(idx("train-images-idx3-ubyte.gz"), dtype=torch.float32).view(-1, 1, 28, 28) / 255
x = (x - 0.1307) / 0.3081
y = torch.tensor(idx("train-labels-idx1-ubyte.gz"), dtype=torch.long)


def run(optimizer, steps=20):
    torch.manual_seed(0)
    net = lenet5()
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
    return {"losses": losses, "parameters": summarize(net.named_parameters(), lenet5_name)}


def run_dataloader(epochs=2):
    tx = (torch.tensor(idx("t10k-images-idx3-ubyte.gz"), dtype=torch.float32).view(-1, 1, 28, 28) / 255 - 0.1307) / 0.3081
    ty = torch.tensor(idx("t10k-labels-idx1-ubyte.gz"), dtype=torch.long)
    torch.manual_seed(0)
    net = lenet5()
    opt = torch.optim.SGD(net.parameters(), lr=0.01, momentum=0.9)
    train = DataLoader(TensorDataset(x[:640], y[:640]), batch_size=64, shuffle=True)
    test = DataLoader(TensorDataset(tx[:1000], ty[:1000]), batch_size=1000)
    epoch_losses = []
    for _ in range(epochs):
        net.train()
        total, seen = 0.0, 0
        for images, labels in train:
            loss = F.cross_entropy(net(images), labels)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            total += loss.item() * len(labels)
            seen += len(labels)
        epoch_losses.append(total / seen)
        net.eval()
        with torch.no_grad():
            for images, labels in test:
                net(images)
    return {"epoch_losses": epoch_losses, "parameters": summarize(net.named_parameters(), lenet5_name)}


def run_resnet20(steps=3, batch=8):
    torch.manual_seed(0)
    net = he_init(CifarResNet())
    images = torch.rand(steps * batch, 3, 32, 32)
    labels = torch.randperm(steps * batch) % 10
    # In double precision: PyTorch's float32 batch-norm backward on CPU strays from the exact
    # gradients by up to 2e-3 (relative) here, ours by under 1e-6; so the float64 run is the reference.
    net, images = net.double(), images.double()
    opt = torch.optim.SGD(net.parameters(), lr=0.02, momentum=0.9, weight_decay=5e-4)
    net.train()
    losses = []
    for step in range(steps):
        loss = F.cross_entropy(net(images[step * batch:(step + 1) * batch]), labels[step * batch:(step + 1) * batch])
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return {"losses": losses, "state": summarize(net.state_dict().items())}


cases = {"sgd": run("sgd"), "adam": run("adam"), "sgd_dataloader": run_dataloader(), "resnet20_sgd": run_resnet20()}
with open(os.path.join(root, "Tests", "ConvNetTests", "Fixtures", "torch-training-steps.json"), "w") as f:
    json.dump({"torch_version": torch.__version__, "steps": 20, "cases": cases}, f, indent=1)
    f.write("\n")
