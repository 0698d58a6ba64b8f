"""Writes the PyTorch side of the weight-interchange tests (Tests/ConvNetTests/Fixtures/).

For each model: PyTorch initialises it (seeded), warms its batch-norm statistics on random batches,
saves `model.state_dict()` with `safetensors.torch.save_file`, and saves an input batch and the
logits PyTorch computes for it in evaluation mode. The Swift tests load the weights into the zoo
model of the same name and must reproduce the logits.

  resnet18:  torchvision.models.resnet18(num_classes=10), weights stored as float16 (half the
             file size; the logits are computed from the same rounded weights), input 2×3×64×64.
  resnet20:  the CIFAR ResNet of He et al. (option-A shortcuts) of reference_models.py, with the same
             state_dict names as swift-convnet's, float32, input 2×3×32×32.

usage: python Tools/export_reference_models.py [OUT_DIR]   (needs torch, torchvision, safetensors)
"""
import os
import sys

import torch
import torchvision
from safetensors.torch import save_file

from reference_models import CifarResNet

out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "Tests", "ConvNetTests", "Fixtures")
os.makedirs(out, exist_ok=True)
torch.manual_seed(0)


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
