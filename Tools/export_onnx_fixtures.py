#!/usr/bin/env python3
"""Writes the ONNX import fixtures: small models with random weights (seed 0) exported by
torch.onnx.export (opset 17, dynamic batch, the TorchScript exporter), each with an input batch and
PyTorch's output on it, for Tests/ConvNetTests/ONNXImportTests.swift:
  resnet20.onnx   the CIFAR ResNet-20 of Tools/reference_models.py (random batch-norm statistics;
                  the exporter folds batch norm into the convolutions, and the option-A shortcut
                  becomes Slice/Pad with a constant subgraph)
  tinycnn.onnx    conv/batch norm/ReLU/max pool/average pool (ceil_mode, count_include_pad)/concat/
                  flatten/linear/softmax, exported without constant folding so BatchNormalization stays
  <name>-io.safetensors  {"input": [2, C, H, W], "output": PyTorch's output}
usage: python Tools/export_onnx_fixtures.py [OUT_DIR]   (needs torch, onnx, safetensors)"""
import os
import sys
import warnings

import torch
import torch.nn as nn
import torch.nn.functional as F
from safetensors.torch import save_file

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from reference_models import CifarResNet, he_init  # noqa: E402

OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "Tests", "ConvNetTests",
                                                         "Fixtures", "onnx")


class TinyCNN(nn.Module):
    """Every operator the importer maps, in a few kilobytes of weights."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 8, 3, padding=1)
        self.bn1 = nn.BatchNorm2d(8)
        self.branch_a = nn.Conv2d(8, 4, 1)
        self.branch_b = nn.Conv2d(8, 4, 3, padding=1, bias=False)
        self.fc = nn.Linear(8 * 3 * 3, 5)

    def forward(self, x):
        h = F.max_pool2d(F.relu(self.bn1(self.conv1(x))), 3, stride=2, ceil_mode=True)  # 13 -> 6
        h = torch.cat([self.branch_a(h), F.leaky_relu(self.branch_b(h), 0.1)], 1)
        h = F.avg_pool2d(h, 3, stride=2, padding=1, ceil_mode=True, count_include_pad=True)  # 6 -> 4
        h = F.avg_pool2d(h, 2, stride=1, count_include_pad=False)  # 4 -> 3
        return F.softmax(self.fc(torch.flatten(h, 1)), dim=1)


def randomize_batch_norm(model):
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.weight.data.uniform_(0.5, 1.5)
            m.bias.data.uniform_(-0.5, 0.5)
            m.running_mean.uniform_(-0.5, 0.5)
            m.running_var.uniform_(0.5, 2.0)


def export(name, model, shape, fold):
    torch.manual_seed(0)
    randomize_batch_norm(model)
    model.eval()
    x = torch.randn(2, *shape)
    with torch.no_grad():
        y = model(x)
    path = os.path.join(OUT, f"{name}.onnx")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(model, (x,), path, opset_version=17, dynamo=False, do_constant_folding=fold,
                          input_names=["input"], output_names=["output"],
                          dynamic_axes={"input": {0: "batch"}, "output": {0: "batch"}})
    save_file({"input": x.contiguous(), "output": y.contiguous()}, os.path.join(OUT, f"{name}-io.safetensors"))
    import onnx
    m = onnx.load(path)
    onnx.checker.check_model(m)
    print(name, os.path.getsize(path), "bytes;", sorted({n.op_type for n in m.graph.node}))


os.makedirs(OUT, exist_ok=True)
torch.manual_seed(0)
export("resnet20", he_init(CifarResNet(n=3)), (3, 32, 32), fold=True)
torch.manual_seed(0)
export("tinycnn", TinyCNN(), (3, 13, 13), fold=False)
