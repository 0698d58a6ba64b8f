"""Writes Tests/ConvNetTests/Fixtures/torchvision-transforms.safetensors: torchvision's transforms
(tensor path, v1 API) applied image after image after torch.manual_seed(seed), for
TransformTests to reproduce with our transforms and a generator seeded the same.

Each case is a pipeline written in the syntax `convnet train --augment` reads, which is also
Python: the same text is evaluated here as torchvision calls (`T.Compose([<text>])`). Lighting is
not in torchvision: the class below is the usual PyTorch port of AlexNet's PCA noise
(fb.resnet.torch / pytorch examples). Inputs are crops of the CIFAR-10 sample (uint8, CHW);
outputs float32. After the images, each case records four torch.randint(0, 2**30) draws, so the
number of draws a pipeline makes is checked too.

usage: python3 Tools/export_torchvision_transforms.py [CIFAR_SAMPLE_GZ]
(torch 2.15, torchvision 0.29; default sample ../shared/data/cifar-10-sample/data_batch_1-first4000.bin.gz)"""
import gzip
import json
import os
import sys

import torch
import torchvision
import torchvision.transforms as T
from safetensors.torch import save_file


class Lighting:
    """AlexNet-style PCA lighting noise on an RGB tensor in [0, 1]."""

    eigval = torch.tensor([0.2175, 0.0188, 0.0045])
    eigvec = torch.tensor([[-0.5675, 0.7192, 0.4009],
                           [-0.5808, -0.0045, -0.8140],
                           [-0.5836, -0.6948, 0.4203]])

    def __init__(self, alphastd=0.1):
        self.alphastd = alphastd

    def __call__(self, img):
        if self.alphastd == 0:
            return img
        alpha = img.new().resize_(3).normal_(0, self.alphastd)
        rgb = (self.eigvec.type_as(img).clone()
               .mul(alpha.view(1, 3).expand(3, 3))
               .mul(self.eigval.view(1, 3).expand(3, 3))
               .sum(1).squeeze())
        return img.add(rgb.view(3, 1, 1).expand_as(img))


NAMESPACE = {name: getattr(T, name) for name in dir(T) if not name.startswith("_")}
NAMESPACE["Lighting"] = Lighting

MEAN_STD = "mean=(0.4914, 0.4822, 0.4465), std=(0.247, 0.2435, 0.2616)"

# (name, seed, input shape (C, H, W), pipeline text)
CASES = [
    ("random_crop_pad4", 0, (3, 32, 32), "RandomCrop(32, padding=4)"),
    ("random_crop_reflect_rect", 1, (3, 24, 30), "RandomCrop((20, 24), padding=(2, 3), padding_mode='reflect')"),
    ("random_crop_edge_pad_if_needed", 2, (3, 24, 30), "RandomCrop(28, pad_if_needed=True, padding_mode='edge')"),
    ("random_crop_symmetric_ltrb", 3, (3, 24, 30), "RandomCrop(26, padding=(1, 2, 3, 4), padding_mode='symmetric')"),
    ("random_crop_fill", 4, (3, 24, 30), "RandomCrop((24, 30), padding=3, fill=0.5)"),
    ("random_crop_same_size_draws_nothing", 5, (3, 24, 30), "RandomCrop((24, 30))"),
    ("horizontal_flip", 6, (3, 24, 30), "RandomHorizontalFlip()"),
    ("vertical_flip_p03", 7, (3, 24, 30), "RandomVerticalFlip(p=0.3)"),
    ("cifar", 8, (3, 32, 32), f"RandomCrop(32, padding=4), RandomHorizontalFlip(), Normalize({MEAN_STD})"),
    ("color_jitter", 9, (3, 32, 32), "ColorJitter(brightness=0.4, contrast=0.4, saturation=0.4, hue=0.1)"),
    ("color_jitter_ranges_strong_hue", 10, (3, 24, 30), "ColorJitter(brightness=(0.5, 1.5), saturation=(0.0, 2.0), hue=(-0.5, 0.5))"),
    ("color_jitter_contrast_only", 11, (3, 24, 30), "ColorJitter(contrast=0.8)"),
    ("color_jitter_gray", 12, (1, 24, 30), "ColorJitter(0.4, 0.4, 0.4, 0.1)"),
    ("random_resized_crop", 13, (3, 32, 32), "RandomResizedCrop(24)"),
    ("random_resized_crop_upscale_rect", 14, (3, 24, 30), "RandomResizedCrop((40, 36), scale=(0.3, 1.0), ratio=(0.5, 2.0))"),
    ("random_resized_crop_fallback", 15, (3, 24, 30), "RandomResizedCrop(16, scale=(0.95, 1.0), ratio=(3.0, 4.0))"),
    ("resize_center_crop_up", 16, (3, 24, 30), "Resize(40), CenterCrop(35)"),
    ("resize_center_crop_down_odd", 17, (3, 24, 30), "Resize(17), CenterCrop((15, 13))"),
    ("resize_exact_center_crop_pad", 18, (3, 24, 30), "Resize((20, 18)), CenterCrop(23)"),
    ("lighting", 19, (3, 32, 32), "Lighting(0.1)"),
    ("imagenet_style", 20, (3, 32, 32),
     f"RandomResizedCrop(28), RandomHorizontalFlip(), ColorJitter(0.4, 0.4, 0.4), Lighting(0.1), Normalize({MEAN_STD})"),
    ("pad_reflect_crop_flip_jitter", 21, (3, 24, 30),
     "Pad(2, padding_mode='reflect'), RandomCrop(24), RandomHorizontalFlip(p=0.7), ColorJitter(hue=0.25)"),
]

IMAGES_PER_CASE = 6


def cifar_images(path, count):
    data = gzip.open(path).read()
    records = [data[i * 3073:(i + 1) * 3073] for i in range(count)]
    return [torch.tensor(list(r[1:]), dtype=torch.uint8).reshape(3, 32, 32) for r in records]


def inputs_for(shape, images, offset):
    c, h, w = shape
    out = []
    for k in range(IMAGES_PER_CASE):
        img = images[(offset + k) % len(images)]
        img = img[:, (k % 3):(k % 3) + h, (k % 2):(k % 2) + w] if (h, w) != (32, 32) else img
        if c == 1:  # PIL's ITU-R 601-2 luma, the gray image a user would load
            r, g, b = img.int()
            img = ((r * 19595 + g * 38470 + b * 7471 + 0x8000) >> 16).to(torch.uint8).unsqueeze(0)
        out.append(img.contiguous())
    return out


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    sample = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        here, "..", "..", "shared", "data", "cifar-10-sample", "data_batch_1-first4000.bin.gz")
    images = cifar_images(sample, 64)
    tensors, cases = {}, []
    for index, (name, seed, shape, text) in enumerate(CASES):
        pipeline = T.Compose(eval(f"[{text}]", NAMESPACE))
        inputs = inputs_for(shape, images, index * 3)
        torch.manual_seed(seed)
        outputs = [pipeline(img.float().div(255)) for img in inputs]
        tail = torch.randint(0, 2 ** 30, (4,)).tolist()
        for k, (x, y) in enumerate(zip(inputs, outputs)):
            tensors[f"{name}.input.{k}"] = x.clone()
            tensors[f"{name}.output.{k}"] = y.contiguous().float()
        cases.append({"name": name, "seed": seed, "pipeline": text, "images": len(inputs), "tail": tail})
    out = os.path.join(here, "..", "Tests", "ConvNetTests", "Fixtures", "torchvision-transforms.safetensors")
    save_file(tensors, out, metadata={
        "cases": json.dumps(cases),
        "versions": f"torch {torch.__version__}, torchvision {torchvision.__version__}",
    })
    print(f"wrote {len(cases)} cases to {os.path.normpath(out)}")


if __name__ == "__main__":
    main()
