"""Writes the PyTorch side of the weight-interchange tests (Tests/ConvNetTests/Fixtures/).

For each model: PyTorch initialises it (seeded), warms its batch-norm statistics on random batches,
saves `model.state_dict()` with `safetensors.torch.save_file`, and saves an input batch and the
logits PyTorch computes for it in evaluation mode. The Swift tests load the weights into the zoo
model of the same name and must reproduce the logits.

  resnet18:  torchvision.models.resnet18(num_classes=10), weights stored as float16 (half the
             file size; the logits are computed from the same rounded weights), input 2×3×64×64.
  resnet20:  the CIFAR ResNet of He et al. (option-A shortcuts) written out below with the same
             state_dict names as swift-convnet's, float32, input 2×3×32×32.

usage: python Tools/export_reference_models.py [OUT_DIR]   (needs torch, torchvision, safetensors)
"""
import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision
from safetensors.torch import save_file

out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "Tests", "ConvNetTests", "Fixtures")
os.makedirs(out, exist_ok=True)
torch.manual_seed(0)


class OptionA(nn.Module):
    def __init__(self, planes, stride):
        super().__init__()
        self.pad, self.stride = planes // 4, stride

    def forward(self, x):
        return F.pad(x[:, :, ::self.stride, ::self.stride], (0, 0, 0, 0, self.pad, self.pad))


class Block(nn.Module):
    def __init__(self, cin, planes, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, planes, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.shortcut = OptionA(planes, stride) if stride != 1 or cin != planes else nn.Identity()

    def forward(self, x):
        h = self.bn2(self.conv2(F.relu(self.bn1(self.conv1(x)))))
        return F.relu(h + self.shortcut(x))


class CifarResNet(nn.Module):
    def __init__(self, n=3, classes=10):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 16, 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(16)
        stages, cin = [], 16
        for planes, stride in [(16, 1), (32, 2), (64, 2)]:
            blocks = []
            for i in range(n):
                blocks.append(Block(cin, planes, stride if i == 0 else 1))
                cin = planes
            stages.append(nn.Sequential(*blocks))
        self.layer1, self.layer2, self.layer3 = stages
        self.fc = nn.Linear(64, classes)

    def forward(self, x):
        h = self.layer3(self.layer2(self.layer1(F.relu(self.bn1(self.conv1(x))))))
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(h, 1), 1))


def export(name, model, shape, half):
    model.train()
    with torch.no_grad():
        for _ in range(3):
            model(torch.randn(8, *shape) * 2 + 0.5)  # non-trivial running statistics
    if half:
        model.half().float()  # round the weights to float16 once; both sides use these values
    model.eval()
    x = torch.randn(2, *shape)
    with torch.no_grad():
        logits = model(x)
    state = {k: (v.half() if half and v.is_floating_point() else v).contiguous() for k, v in model.state_dict().items()}
    save_file(state, os.path.join(out, f"{name}.safetensors"))
    save_file({"input": x.contiguous(), "logits": logits.contiguous()}, os.path.join(out, f"{name}-io.safetensors"))
    print(name, "saved;", sum(p.numel() for p in model.parameters()), "parameters; logits[0,:3] =", logits[0, :3].tolist())


export("resnet18", torchvision.models.resnet18(num_classes=10), (3, 64, 64), half=True)
export("resnet20", CifarResNet(), (3, 32, 32), half=False)
