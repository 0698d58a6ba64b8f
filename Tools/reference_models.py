"""For the tools that write our reference fixtures: PyTorch models that torchvision does not have,
written with swift-convnet's state_dict names (LeNet-5 as shared/reference builds it, the CIFAR
ResNet), and the summary of named tensors the fixtures store."""
import torch
import torch.nn as nn
import torch.nn.functional as F


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


def he_init(model):
    """The CIFAR ResNet's initialisation in the widely used PyTorch reproduction of He et al.
    (akamaster/pytorch_resnet_cifar10): `model.apply(_weights_init)`, He normal (fan_in) for every
    convolution and linear weight, after the layers' defaults."""
    def init(m):
        if isinstance(m, (nn.Linear, nn.Conv2d)):
            nn.init.kaiming_normal_(m.weight)
    model.apply(init)
    return model


def lenet5():
    """LeNet-5 as shared/reference/torch_lenet_epoch.py builds it: an nn.Sequential, whose
    parameter names lenet5_name turns into ours."""
    return nn.Sequential(nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(6, 16, 5), nn.ReLU(),
                         nn.MaxPool2d(2), nn.Flatten(), nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(),
                         nn.Linear(84, 10))


_LENET5_LAYERS = {"0": "conv1", "3": "conv2", "7": "fc1", "9": "fc2", "11": "fc3"}


def lenet5_name(name):
    """`0.weight` → `conv1.weight`, and so on."""
    layer, kind = name.split(".")
    return f"{_LENET5_LAYERS[layer]}.{kind}"


def summarize(named_tensors, rename=lambda name: name):
    """Each tensor's name (renamed), shape, first and last 8 values (as float32), sum and sum of
    magnitudes (in double precision): what the Swift tests compare with ours."""
    result = []
    for name, t in named_tensors:
        v = t.detach().reshape(-1).float()
        result.append({"name": rename(name), "shape": list(t.shape),
                       "first": [float(a) for a in v[:8]], "last": [float(a) for a in v[-8:]],
                       "sum": float(v.double().sum()), "abs_sum": float(v.double().abs().sum())})
    return result


class LeNet5Classic(nn.Module):
    """swift-convnet's `lenet5-classic` (LeCun et al. 1998 on 32×32: tanh, average-pool
    subsampling, C3 fully connected), with its state_dict names and its order of construction."""
    def __init__(self, classes=10):
        super().__init__()
        self.c1, self.tanh1, self.s2 = nn.Conv2d(1, 6, 5), nn.Tanh(), nn.AvgPool2d(2)
        self.c3, self.tanh2, self.s4 = nn.Conv2d(6, 16, 5), nn.Tanh(), nn.AvgPool2d(2)
        self.c5, self.tanh3, self.flatten = nn.Conv2d(16, 120, 5), nn.Tanh(), nn.Flatten()
        self.f6, self.tanh4 = nn.Linear(120, 84), nn.Tanh()
        self.output = nn.Linear(84, classes)

    def forward(self, x):
        h = self.s4(self.tanh2(self.c3(self.s2(self.tanh1(self.c1(x))))))
        return self.output(self.tanh4(self.f6(self.flatten(self.tanh3(self.c5(h))))))


def alexnet2012(classes=10):
    """swift-convnet's `alexnet-2012` (Krizhevsky et al. 2012, ungrouped, with local response
    normalisation): torchvision's AlexNet layout with the paper's widths, no adaptive pooling."""
    model = nn.Module()
    model.features = nn.Sequential(
        nn.Conv2d(3, 96, 11, 4), nn.ReLU(), nn.LocalResponseNorm(5, 1e-4, 0.75, 2), nn.MaxPool2d(3, 2),
        nn.Conv2d(96, 256, 5, padding=2), nn.ReLU(), nn.LocalResponseNorm(5, 1e-4, 0.75, 2), nn.MaxPool2d(3, 2),
        nn.Conv2d(256, 384, 3, padding=1), nn.ReLU(),
        nn.Conv2d(384, 384, 3, padding=1), nn.ReLU(),
        nn.Conv2d(384, 256, 3, padding=1), nn.ReLU(), nn.MaxPool2d(3, 2))
    model.classifier = nn.Sequential(
        nn.Dropout(0.5), nn.Linear(256 * 6 * 6, 4096), nn.ReLU(),
        nn.Dropout(0.5), nn.Linear(4096, 4096), nn.ReLU(), nn.Linear(4096, classes))
    model.forward = lambda x: model.classifier(torch.flatten(model.features(x), 1))
    return model


def randomize_batch_norms(model, generator, store, prefix, half=False):
    """Redraws every BatchNorm2d's weight U(0.5, 1.5), bias N(0, 0.2), running mean N(0, 0.2) and
    running variance U(0.5, 2) from `generator` (in named_modules order), since γ = 1, β = 0, mean 0,
    variance 1 would hide a wrong use of them, and stores each as `store[f"{prefix}/{NAME}"]`. With
    `half`, the values are first rounded to float16 and stored as float16 (exact, half the bytes)."""
    with torch.no_grad():
        for mname, m in model.named_modules():
            if isinstance(m, nn.BatchNorm2d):
                m.weight.uniform_(0.5, 1.5, generator=generator)
                m.bias.normal_(0, 0.2, generator=generator)
                m.running_mean.normal_(0, 0.2, generator=generator)
                m.running_var.uniform_(0.5, 2, generator=generator)
                for k in ("weight", "bias", "running_mean", "running_var"):
                    t = getattr(m, k)
                    if half:
                        t.copy_(t.half().float())
                    store[f"{prefix}/{mname}.{k}"] = t.detach().clone().half() if half else t.detach().clone()
