"""Writes Tests/ConvNetTests/Fixtures/gradcam.safetensors: Grad-CAM maps computed by PyTorch, to
check swift-convnet's `GradCAM` (Selvaraju et al. 2017) to 1e-4.

For each model (weights from `torch.manual_seed(0)`, which swift-convnet's `GlobalGenerator.seeded(0)`
reproduces; 10 classes; evaluation mode) and the input `torch.manual_seed(1); torch.randn(SHAPE)`:
A = the output of the explained layer, y_c = the logit of class c,
alpha_k = mean_ij dy_c/dA_k,ij, map = relu(sum_k alpha_k A_k) (`MODEL/map/C`, [h, w]), and
heatmap = interpolate(map, input size, bilinear, align_corners=False) / its max (`MODEL/heatmap/C`).
Classes: the predicted one and class 3 (metadata `MODEL` = "layer;shape;classes").

usage: python3 Tools/export_gradcam_fixture.py   (torch 2.x, torchvision, safetensors)
"""
import os

import torch
import torch.nn.functional as F
import torchvision
from safetensors.torch import save_file

from reference_models import CifarResNet, he_init, lenet5

OUT = os.path.join(os.path.dirname(__file__), "..", "Tests", "ConvNetTests", "Fixtures", "gradcam.safetensors")

# name, constructor, explained module (PyTorch), its name in swift-convnet, input shape
MODELS = [
    ("lenet5", lenet5, lambda m: m[3], "conv2", (1, 1, 28, 28)),
    ("resnet20", lambda: he_init(CifarResNet(3)), lambda m: m.layer3, "layer3", (1, 3, 32, 32)),
    ("resnet18", lambda: torchvision.models.resnet18(num_classes=10), lambda m: m.layer4, "layer4", (1, 3, 128, 128)),
]

tensors, metadata = {}, {}
for name, make, target, layer, shape in MODELS:
    torch.manual_seed(0)
    model = make().eval()
    torch.manual_seed(1)
    x = torch.randn(shape)
    captured = {}
    target(model).register_forward_hook(lambda module, inputs, output: captured.__setitem__("A", output))
    logits = model(x)
    predicted = int(logits.argmax(1))
    classes = [predicted] if predicted == 3 else [predicted, 3]
    for c in classes:
        a = captured["A"]
        (grad,) = torch.autograd.grad(logits[0, c], a, retain_graph=True)
        alpha = grad[0].mean(dim=(1, 2))
        cam = F.relu((alpha[:, None, None] * a[0]).sum(0))
        up = F.interpolate(cam[None, None], size=shape[2:], mode="bilinear", align_corners=False)[0, 0]
        peak = up.max()
        heat = up / peak if peak > 0 else up
        tensors[f"{name}/map/{c}"] = cam.detach().contiguous()
        tensors[f"{name}/heatmap/{c}"] = heat.detach().contiguous()
    tensors[f"{name}/logits"] = logits.detach().contiguous()
    metadata[name] = f"{layer};{','.join(map(str, shape))};{','.join(map(str, classes))}"
    print(name, "classes", classes, "map", tuple(cam.shape))
save_file(tensors, OUT, metadata=metadata)
print("wrote", OUT, os.path.getsize(OUT), "bytes")
