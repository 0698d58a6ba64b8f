"""Writes Tests/ConvNetTests/Fixtures/zoo-modern-seeded-logits.safetensors: PyTorch's logits for the
modern zoo architectures (issue 24: MobileNet, EfficientNet, RegNet, ConvNeXt …), made the way
export_seeded_zoo_logits.py makes them for the 2015 zoo, so that the earlier fixture stays byte for
byte as it was.

Each model is built with `torch.manual_seed(0)` and 10 classes (swift-convnet's
`GlobalGenerator.seeded(0)` draws the same weights); batch-norm tensors are redrawn from a separate
generator (seed 123), rounded to float16 values and stored as float16 `MODEL/NAME`, since γ = 1, β = 0, mean 0, variance 1 would hide a
wrong use of them; the input is `torch.manual_seed(1); torch.randn(SHAPE)` (SHAPE in the metadata
under MODEL), and `MODEL/logits` the evaluation-mode logits. The metadata also holds, at 1000
classes, each model's parameter count (`MODEL/parameters`), its state_dict as `name:d0xd1…` entries
joined by `;` in torchvision's order (`MODEL/state_dict`), and torchvision's published GMACs at its
weights' input size (`MODEL/gmacs`, the weights' `_ops`, which torchvision's docs call GFLOPS).
It also holds torchvision's `stochastic_depth` in training mode on a seeded input (`stochastic_depth/…`).

usage: python3 Tools/export_modern_zoo_logits.py   (torch 2.x, torchvision, safetensors)
"""
import os

import torch
import torchvision
from safetensors.torch import save_file

from reference_models import randomize_batch_norms

OUT = os.path.join(os.path.dirname(__file__), "..", "Tests", "ConvNetTests", "Fixtures", "zoo-modern-seeded-logits.safetensors")

# our name, torchvision constructor, input shape (64×64 leaves a 2×2 map before the global pooling)
MODELS = [
    ("mobilenet_v2", torchvision.models.mobilenet_v2, (2, 3, 64, 64)),
    ("mobilenet_v3_small", torchvision.models.mobilenet_v3_small, (2, 3, 64, 64)),
    ("mobilenet_v3_large", torchvision.models.mobilenet_v3_large, (2, 3, 64, 64)),
    ("efficientnet_b0", torchvision.models.efficientnet_b0, (2, 3, 64, 64)),
    ("efficientnet_b1", torchvision.models.efficientnet_b1, (2, 3, 64, 64)),
    ("efficientnet_b2", torchvision.models.efficientnet_b2, (2, 3, 64, 64)),
    ("efficientnet_b3", torchvision.models.efficientnet_b3, (2, 3, 64, 64)),
    ("efficientnet_v2_s", torchvision.models.efficientnet_v2_s, (2, 3, 64, 64)),
    ("resnext50_32x4d", torchvision.models.resnext50_32x4d, (2, 3, 64, 64)),
    ("wide_resnet50_2", torchvision.models.wide_resnet50_2, (2, 3, 64, 64)),
    # 96×96 leaves SqueezeNet a 5×5 map (ceil-mode pooling) before the classifier's 1×1 convolution.
    ("squeezenet1_0", torchvision.models.squeezenet1_0, (2, 3, 96, 96)),
    ("squeezenet1_1", torchvision.models.squeezenet1_1, (2, 3, 96, 96)),
    ("densenet121", torchvision.models.densenet121, (2, 3, 64, 64)),
    ("densenet169", torchvision.models.densenet169, (2, 3, 64, 64)),
    ("shufflenet_v2_x0_5", torchvision.models.shufflenet_v2_x0_5, (2, 3, 64, 64)),
    ("shufflenet_v2_x1_0", torchvision.models.shufflenet_v2_x1_0, (2, 3, 64, 64)),
]

tensors, metadata = {}, {}
bn_generator = torch.Generator().manual_seed(123)
for name, make, shape in MODELS:
    full = make()
    metadata[f"{name}/parameters"] = str(sum(p.numel() for p in full.parameters()))
    metadata[f"{name}/state_dict"] = ";".join(f"{k}:{'x'.join(map(str, v.shape))}" for k, v in full.state_dict().items())
    metadata[f"{name}/gmacs"] = str(torchvision.models.get_model_weights(make).DEFAULT.meta["_ops"])
    torch.manual_seed(0)
    model = make(num_classes=10)
    randomize_batch_norms(model, bn_generator, tensors, name, half=True)
    torch.manual_seed(1)
    x = torch.randn(shape)
    metadata[name] = ",".join(map(str, shape))
    model.eval()
    with torch.no_grad():
        tensors[f"{name}/logits"] = model(x)
    print(name, metadata[f"{name}/parameters"], "parameters; logits[0,:3] =", tensors[f"{name}/logits"][0, :3].tolist())

# torchvision's stochastic depth in training mode: the draws from torch.manual_seed(7) (the global
# generator, which GlobalGenerator.seeded(7) reproduces), per sample and for the whole batch.
torch.manual_seed(3)
x = torch.randn(16, 3, 2, 2)
tensors["stochastic_depth/input"] = x
for mode in ("row", "batch"):
    for p in (0.3, 0.9):
        torch.manual_seed(7)
        tensors[f"stochastic_depth/{mode}/{p}"] = torchvision.ops.stochastic_depth(x, p, mode, training=True)

save_file({k: v.contiguous() if v.dtype == torch.float16 else v.contiguous().float() for k, v in tensors.items()}, OUT, metadata=metadata)
print("wrote", OUT, os.path.getsize(OUT), "bytes")
