"""Writes Tests/ConvNetTests/Fixtures/zoo-seeded-logits.safetensors: PyTorch's logits for the zoo
architectures that have no committed weights (AlexNet both, VGG-11 with and without batch norm,
GoogLeNet, ResNet-34, ResNet-50, LeNet-5 classic).

Their full-size weights would be hundreds of MB, so neither side stores them: each model is built
with `torch.manual_seed(0)` (swift-convnet's `GlobalGenerator.seeded(0)` draws the same weights,
see RandomGeneratorTests), 10 classes. Batch-norm layers would sit at γ = 1, β = 0, mean 0,
variance 1, which hides a wrong use of them, so their four tensors are redrawn from a separate
generator and stored (`MODEL/NAME`, a few hundred KB in all). The input is `torch.manual_seed(1);
torch.randn(SHAPE)` (shape in the metadata under MODEL), which swift-convnet's
`Tensor.randn(SHAPE, generator: &RandomGenerator(seed: 1))` reproduces, and the fixture holds the
evaluation-mode logits (`MODEL/logits`).

For ResNet-34 it also holds one training-mode step (batch statistics): the cross-entropy loss for
labels [3, 7] (`resnet34/train/loss`), the gradients of a few parameters (`resnet34/grad/NAME`) and
bn1's running statistics after the forward pass (`resnet34/train/bn1.running_mean`, `…var`).
(Not ResNet-50: at 2 images of 64×64 its training-mode gradient is ill-conditioned, PyTorch's own
float32 and float64 gradients differing by 8 % of their scale; ResNet-34's agree to 3e-5.)

usage: python3 Tools/export_seeded_zoo_logits.py   (torch 2.x, torchvision, safetensors; written with 2.15)
"""
import os

import torch
import torch.nn.functional as F
import torchvision
from safetensors.torch import save_file

from reference_models import LeNet5Classic, alexnet2012, randomize_batch_norms

OUT = os.path.join(os.path.dirname(__file__), "..", "Tests", "ConvNetTests", "Fixtures", "zoo-seeded-logits.safetensors")

# name, constructor (10 classes), input shape
MODELS = [
    ("lenet5-classic", lambda: LeNet5Classic(), (2, 1, 32, 32)),
    # 96×96 leaves AlexNet 2×2 features: adaptive pooling to 6×6 upsamples with overlapping windows.
    ("alexnet", lambda: torchvision.models.alexnet(num_classes=10), (2, 3, 96, 96)),
    ("alexnet-2012", lambda: alexnet2012(), (2, 3, 227, 227)),
    # 64×64 leaves VGG 2×2 features, pooled to 7×7.
    ("vgg11", lambda: torchvision.models.vgg11(num_classes=10), (2, 3, 64, 64)),
    ("vgg11-bn", lambda: torchvision.models.vgg11_bn(num_classes=10), (2, 3, 64, 64)),
    ("googlenet", lambda: torchvision.models.googlenet(num_classes=10, aux_logits=False, init_weights=True), (2, 3, 64, 64)),
    ("resnet34", lambda: torchvision.models.resnet34(num_classes=10), (2, 3, 64, 64)),
    ("resnet50", lambda: torchvision.models.resnet50(num_classes=10), (2, 3, 64, 64)),
]
TRAIN_GRADS = ["conv1.weight", "bn1.weight", "layer4.2.bn2.weight", "layer1.0.conv2.weight", "fc.weight", "fc.bias"]

tensors, metadata = {}, {}
bn_generator = torch.Generator().manual_seed(123)
for name, make, shape in MODELS:
    torch.manual_seed(0)
    model = make()
    randomize_batch_norms(model, bn_generator, tensors, name)
    torch.manual_seed(1)
    x = torch.randn(shape)
    metadata[name] = ",".join(map(str, shape))
    model.eval()
    with torch.no_grad():
        tensors[f"{name}/logits"] = model(x)
    if name == "resnet34":
        model.train()
        loss = F.cross_entropy(model(x), torch.tensor([3, 7]))
        loss.backward()
        tensors["resnet34/train/loss"] = loss.detach().reshape(1)
        params = dict(model.named_parameters())
        for p in TRAIN_GRADS:
            tensors[f"resnet34/grad/{p}"] = params[p].grad.clone()
        tensors["resnet34/train/bn1.running_mean"] = model.bn1.running_mean.clone()
        tensors["resnet34/train/bn1.running_var"] = model.bn1.running_var.clone()
    print(name, "logits[0,:3] =", tensors[f"{name}/logits"][0, :3].tolist())

save_file({k: v.contiguous().float() for k, v in tensors.items()}, OUT, metadata=metadata)
print("wrote", OUT, os.path.getsize(OUT), "bytes")
