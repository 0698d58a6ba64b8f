"""Writes Tests/ConvNetTests/Fixtures/torch-random.json: what PyTorch's CPU generator gives for a few
seeds (torch.rand, uniform_, normal_, randperm, the torch.nn.init schemes, and LeNet-5's default
initial weights followed by the first two epochs' shuffles, and the initial weights of torchvision's
resnet18, vgg11 and googlenet and of the CIFAR ResNet-20), for RandomGeneratorTests to compare with ours.
usage: python3 Tools/export_torch_random.py (PyTorch 2.x and torchvision; written with 2.15)."""
import json
import os

import torch
import torch.nn as nn
import torchvision

from reference_models import CifarResNet, he_init, lenet5, lenet5_name, summarize


def values(t):
    return [float(v) for v in t.detach().reshape(-1)]


def seeded(seed, make):
    torch.manual_seed(seed)
    return make()


cases = {
    "rand_seed0": values(seeded(0, lambda: torch.rand(20))),
    "uniform_seed5_from-0.3_to0.7": values(seeded(5, lambda: torch.empty(10).uniform_(-0.3, 0.7))),
    "randperm10_seed3": seeded(3, lambda: torch.randperm(10).tolist()),
    "randperm1000_seed0": seeded(0, lambda: torch.randperm(1000).tolist()),
    # Fewer than 16 elements: drawn one at a time (53-bit uniforms, Box–Muller pairs cached).
    "normal7_seed2_mean0.5_std2": values(seeded(2, lambda: torch.empty(7).normal_(0.5, 2))),
    # 16 or more: vectorised Box–Muller in blocks of 16, the last block redrawn.
    "normal37_seed1": values(seeded(1, lambda: torch.empty(37).normal_())),
    "dropout0.3_ones1000_seed12": values(seeded(12, lambda: torch.nn.functional.dropout(torch.ones(1000), 0.3))),
    "kaiming_uniform_5x4_seed6": values(seeded(6, lambda: nn.init.kaiming_uniform_(torch.empty(5, 4)))),
    "kaiming_normal_fanout_8x3x3x3_seed7": values(seeded(7, lambda: nn.init.kaiming_normal_(
        torch.empty(8, 3, 3, 3), mode="fan_out", nonlinearity="relu"))),
    "xavier_uniform_6x5_seed8": values(seeded(8, lambda: nn.init.xavier_uniform_(torch.empty(6, 5)))),
    "xavier_normal_6x5_seed9": values(seeded(9, lambda: nn.init.xavier_normal_(torch.empty(6, 5)))),
    "trunc_normal_std0.5_a-1_b1.5_300_seed10": values(seeded(10, lambda: nn.init.trunc_normal_(
        torch.empty(300), mean=0.2, std=0.5, a=-1, b=1.5))),
    # [a, b] holding under 30 % of the mass: rejection from uniform proposals.
    "trunc_normal_std1_a2_b3_200_seed11": values(seeded(11, lambda: nn.init.trunc_normal_(
        torch.empty(200), mean=0, std=1, a=2, b=3))),
}

# LeNet-5 as in shared/reference/torch_lenet_epoch.py, seed 0; then the order of epochs 1 and 2.
torch.manual_seed(0)
lenet = lenet5()
cases["lenet5_seed0"] = {"parameters": summarize(lenet.named_parameters(), lenet5_name),
                         "epoch1_order_first32": torch.randperm(60000)[:32].tolist(),
                         "epoch2_order_first32": torch.randperm(60000)[:32].tolist()}

# Zoo models initialised as their reference implementations do, seed 0, 10 classes.
def parameters_of(model):
    return summarize(model.named_parameters())


cases["resnet18_seed0"] = parameters_of(seeded(0, lambda: torchvision.models.resnet18(num_classes=10)))
cases["vgg11_seed0"] = parameters_of(seeded(0, lambda: torchvision.models.vgg11(num_classes=10)))
cases["resnet20_seed0"] = parameters_of(seeded(0, lambda: he_init(CifarResNet())))
cases["googlenet_seed0"] = parameters_of(seeded(0, lambda: torchvision.models.googlenet(
    num_classes=10, aux_logits=False, init_weights=True)))

path = os.path.join(os.path.dirname(__file__), "..", "Tests", "ConvNetTests", "Fixtures", "torch-random.json")
with open(path, "w") as f:
    json.dump({"torch_version": torch.__version__, "cases": cases}, f, indent=1)
    f.write("\n")
