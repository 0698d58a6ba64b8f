"""PyTorch eager LeNet-5 on MNIST with issue 3's recipe (batch 64, SGD lr 0.01 momentum 0.9, inputs
normalised with 0.1307/0.3081, PyTorch's default initialisation, reshuffled every epoch), for the
accuracy side of our comparison: prints the test accuracy (percent) after each epoch, one line.
With `adam`: Adam lr 1e-3 instead of SGD (as `convnet train --optimizer adam --lr 0.001`).
usage: torch_lenet_accuracy.py MNIST_DIR EPOCHS SEED [sgd|adam]"""
import gzip
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

directory, epochs, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
optimizer = sys.argv[4] if len(sys.argv) > 4 else "sgd"
torch.set_num_threads(2)
torch.manual_seed(seed)


def idx(name):
    raw = gzip.open(f"{directory}/{name}", "rb").read()
    return np.frombuffer(raw, np.uint8, offset=16 if "images" in name else 8)


def images(name):
    x = torch.tensor(idx(name), dtype=torch.float32).view(-1, 1, 28, 28) / 255
    return (x - 0.1307) / 0.3081


x, y = images("train-images-idx3-ubyte.gz"), torch.tensor(idx("train-labels-idx1-ubyte.gz"), dtype=torch.long)
tx, ty = images("t10k-images-idx3-ubyte.gz"), torch.tensor(idx("t10k-labels-idx1-ubyte.gz"), dtype=torch.long)
net = nn.Sequential(nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(6, 16, 5), nn.ReLU(),
                    nn.MaxPool2d(2), nn.Flatten(), nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(),
                    nn.Linear(84, 10))
if optimizer == "adam":
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
else:
    opt = torch.optim.SGD(net.parameters(), lr=0.01, momentum=0.9)
accuracies = []
for epoch in range(epochs):
    net.train()
    perm = torch.randperm(len(x))
    for i in range(0, len(x), 64):
        j = perm[i:i + 64]
        loss = F.cross_entropy(net(x[j]), y[j])
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
    net.eval()
    with torch.no_grad():
        correct = sum((net(tx[k:k + 1000]).argmax(1) == ty[k:k + 1000]).sum().item() for k in range(0, len(tx), 1000))
    accuracies.append(100 * correct / len(tx))
print(" ".join("%.2f" % a for a in accuracies))
