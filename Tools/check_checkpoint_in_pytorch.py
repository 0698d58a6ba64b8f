"""Loads a swift-convnet LeNet-5 checkpoint into PyTorch and prints its MNIST test accuracy, which
must equal what `convnet eval` prints for the same file (the weights interchange the other way).

usage: python Tools/check_checkpoint_in_pytorch.py runs/demo/checkpoint.safetensors Datasets/mnist
(needs torch, numpy, safetensors)
"""
import gzip
import sys

import numpy as np
import torch
import torch.nn as nn
from safetensors.torch import load_file


class LeNet5(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1, self.conv2 = nn.Conv2d(1, 6, 5, padding=2), nn.Conv2d(6, 16, 5)
        self.fc1, self.fc2, self.fc3 = nn.Linear(400, 120), nn.Linear(120, 84), nn.Linear(84, 10)

    def forward(self, x):
        x = torch.max_pool2d(torch.relu(self.conv1(x)), 2)
        x = torch.max_pool2d(torch.relu(self.conv2(x)), 2)
        x = torch.relu(self.fc1(torch.flatten(x, 1)))
        return self.fc3(torch.relu(self.fc2(x)))


state = load_file(sys.argv[1])
weights = {k: v for k, v in state.items() if not k.startswith("optimizer.")}  # optimizer slots ride along
model = LeNet5()
model.load_state_dict(weights, strict=True)
model.eval()
d = sys.argv[2]
images = np.frombuffer(gzip.open(f"{d}/t10k-images-idx3-ubyte.gz").read(), np.uint8, offset=16)
labels = np.frombuffer(gzip.open(f"{d}/t10k-labels-idx1-ubyte.gz").read(), np.uint8, offset=8)
x = (torch.tensor(images, dtype=torch.float32).view(-1, 1, 28, 28) / 255 - 0.1307) / 0.3081
with torch.no_grad():
    accuracy = (model(x).argmax(1) == torch.tensor(labels, dtype=torch.long)).float().mean().item() * 100
print(f"PyTorch test accuracy of {sys.argv[1]}: {accuracy:.2f}%")
