"""PyTorch's usual CIFAR training loop, for throughput: a torchvision-CIFAR10-style Dataset of PIL
images (the 3000 training images of `convnet train --holdout 1000 --seed 0` on the 4000-image
sample), transforms RandomCrop(32, padding=4), RandomHorizontalFlip(), ToTensor(), Normalize(),
DataLoader(batch_size=128, shuffle=True, num_workers=2), and ResNet-20's training step (SGD lr 0.1
momentum 0.9 weight decay 5e-4, cosine schedule per step), torch.set_num_threads(2).
With --bare: the same model and step on pre-normalised tensors already in memory (no augmentation,
no DataLoader), in a torch.randperm order each epoch: the bare-step figure.
After every epoch (untimed) it evaluates the 1000 held-out images in one batch, as convnet train does.
Prints images/s of each epoch's training pass, their median over the epochs after the first (all
epochs when there is only one), and the peak RSS of this process and of the DataLoader's worker
processes (resource.RUSAGE_CHILDREN: the largest worker that has exited; workers exit after every epoch).
usage: torch_cifar_pipeline.py DATA_GZ [EPOCHS] [--bare] [--workers N]   (EPOCHS default 3)"""
import argparse
import gzip
import math
import os
import resource
import statistics
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F
import torchvision.transforms as T
from PIL import Image

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tools"))
from reference_models import CifarResNet, he_init  # noqa: E402

MEAN, STD = (0.4914, 0.4822, 0.4465), (0.2470, 0.2435, 0.2616)


class CIFAR(torch.utils.data.Dataset):
    """As torchvision.datasets.CIFAR10 serves them: (transform(PIL image), label)."""

    def __init__(self, images, labels, transform):
        self.images, self.labels, self.transform = images, labels, transform

    def __len__(self):
        return len(self.images)

    def __getitem__(self, index):
        return self.transform(self.images[index]), self.labels[index]


def load(path):
    """The 3000 training images (HWC uint8 arrays) and labels of the --holdout 1000 --seed 0 split,
    and the 1000 held-out ones (normalised tensors) and labels."""
    raw = np.frombuffer(gzip.open(path, "rb").read(), np.uint8).reshape(-1, 3073)
    perm = torch.randperm(len(raw), generator=torch.Generator().manual_seed(0))
    held = sorted(perm[:1000].tolist())
    held_set = set(held)
    keep = [i for i in range(len(raw)) if i not in held_set]
    hwc = raw[keep, 1:].reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1).copy()
    tx = T.Normalize(MEAN, STD)(torch.from_numpy(raw[held, 1:].copy()).view(-1, 3, 32, 32).float().div(255))
    return hwc, [int(v) for v in raw[keep, 0]], tx, torch.from_numpy(raw[held, 0].astype(np.int64))


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("data"), p.add_argument("epochs", type=int, nargs="?", default=3)
    p.add_argument("--bare", action="store_true")
    p.add_argument("--workers", type=int, default=2)
    a = p.parse_args()
    torch.set_num_threads(2)
    torch.manual_seed(0)
    hwc, labels, tx, ty = load(a.data)
    n, batch = len(hwc), 128
    if a.bare:
        x = T.Normalize(MEAN, STD)(torch.from_numpy(hwc).permute(0, 3, 1, 2).float().div(255)).contiguous()
        y = torch.tensor(labels)
        batches = None
    else:
        transform = T.Compose([T.RandomCrop(32, padding=4), T.RandomHorizontalFlip(), T.ToTensor(), T.Normalize(MEAN, STD)])
        dataset = CIFAR([Image.fromarray(img) for img in hwc], labels, transform)
        loader = torch.utils.data.DataLoader(dataset, batch_size=batch, shuffle=True, num_workers=a.workers)
    del hwc
    model = he_init(CifarResNet())
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=5e-4)
    per_epoch = (n + batch - 1) // batch
    total, step = a.epochs * per_epoch, 0
    model.train()
    rates = []
    for epoch in range(a.epochs):
        t0 = time.perf_counter()
        if a.bare:
            order = torch.randperm(n)
            source = ((x[order[i:i + batch]], y[order[i:i + batch]]) for i in range(0, n, batch))
        else:
            source = loader
        seen = 0
        for xb, yb in source:
            for group in opt.param_groups:
                group["lr"] = 0.1 * (1 + math.cos(math.pi * step / total)) / 2
            loss = F.cross_entropy(model(xb), yb)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            loss.item()
            step += 1
            seen += len(yb)
        seconds = time.perf_counter() - t0
        rates.append(seen / seconds)
        model.eval()  # as `convnet train` does after every epoch (untimed): the 1000 held-out images in one batch
        with torch.no_grad():
            accuracy = 100 * (model(tx).argmax(1) == ty).float().mean().item()
        model.train()
        print("epoch %d: %.1f images/s (%.2f s; last batch's loss %.4f, held-out accuracy %.2f %%)"
              % (epoch + 1, rates[-1], seconds, loss.item(), accuracy), flush=True)
    later = rates[1:] or rates
    mode = "bare step, tensors in memory" if a.bare else "PIL Dataset + DataLoader(num_workers=%d)" % a.workers
    print("median images/s (epochs %s): %.1f  [%s]" % ("2–%d" % a.epochs if a.epochs > 1 else "1", statistics.median(later), mode))
    main_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    workers_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print("peak RSS: main %.0f MB, largest worker %s" % (main_mb, "%.0f MB" % workers_mb if not a.bare and a.workers else "—"))


if __name__ == "__main__":
    main()
