"""PyTorch side of the CIFAR ResNet-20 accuracy comparison: the same experiment as
`convnet train --model resnet20 --dataset cifar10 --data DIR --holdout 1000 --augment cifar
--batch-size 128 --lr 0.1 --momentum 0.9 --weight-decay 5e-4 --schedule cosine --seed SEED --threads 2`,
drawn so that seed S gives both sides the same held-out split, initial weights, batch order and
augmentation (each pair of runs differs only by rounding):
- held-out split: torch.randperm(4000) from a generator seeded SEED; the first 1000 (sorted) are held out,
  the other 3000 train, in increasing order;
- torch.manual_seed(SEED), then ResNet-20 (Tools/reference_models.py, He init), then one
  torch.randperm(3000) per epoch from the global generator;
- augmentation (RandomCrop(32, padding=4), RandomHorizontalFlip() on the [0, 1] image, then
  Normalize) from a generator per image: torch.manual_seed(s & 0xFFFFFFFF) with
  s = m(m(m(SEED) ^ epoch) ^ index), m = SplitMix64's finaliser; these generators are private, so
  the global generator draws only the weights and the orders;
- SGD lr 0.1 momentum 0.9 weight decay 5e-4, cosine over all steps (set before each step),
  batches of 128 (the last one smaller), evaluation on the held-out images after every epoch.
Prints one line per epoch (epoch, train loss, train accuracy, held-out loss, held-out accuracy,
seconds of the training pass), then `held-out accuracy: NN.NN%` and the peak RSS.
With --workers N (N > 0) a torch.utils.data.DataLoader with N worker processes augments the
batches (same batches; the loader gets a generator of its own so it draws nothing from the global one).
With --check-augment: checks the augmentation against torchvision's transforms drawn from the
global generator (saved and restored), prints the first batch's sums and exits.
usage: torch_cifar_resnet20.py DATA_GZ EPOCHS SEED [--workers N] [--check-augment] [--trace]
       [--train-limit N] [--double] [--save STATE.safetensors]"""
import argparse
import gzip
import math
import os
import resource
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tools"))
from reference_models import CifarResNet, he_init  # noqa: E402

MEAN = torch.tensor([0.4914, 0.4822, 0.4465]).view(3, 1, 1)
STD = torch.tensor([0.2470, 0.2435, 0.2616]).view(3, 1, 1)
MASK = (1 << 64) - 1


def splitmix(x):
    z = (x + 0x9E3779B97F4A7C15) & MASK
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
    return z ^ (z >> 31)


def sample_seed(seed, epoch, index):
    return splitmix(splitmix(splitmix(seed) ^ epoch) ^ index) & 0xFFFFFFFF


def load(path):
    """Labels [N] (long) and images [N, 3, 32, 32] as ToTensor gives them (uint8/255, float32)."""
    raw = np.frombuffer(gzip.open(path, "rb").read(), np.uint8).reshape(-1, 3073)
    labels = torch.from_numpy(raw[:, 0].astype(np.int64))
    images = torch.from_numpy(raw[:, 1:].copy()).view(-1, 3, 32, 32).float().div(255)
    return images, labels


def split(n, holdout, seed):
    perm = torch.randperm(n, generator=torch.Generator().manual_seed(seed))
    held = sorted(perm[:holdout].tolist())
    held_set = set(held)
    return [i for i in range(n) if i not in held_set], held


def normalize(x):
    return (x - MEAN) / STD


def augment(image, generator):
    """RandomCrop(32, padding=4) then RandomHorizontalFlip() as torchvision draws them (top, then
    left, each torch.randint(0, 9); flip when torch.rand(1) < 0.5), from `generator`."""
    padded = F.pad(image, (4, 4, 4, 4))
    top = int(torch.randint(0, 9, (1,), generator=generator).item())
    left = int(torch.randint(0, 9, (1,), generator=generator).item())
    out = padded[:, top:top + 32, left:left + 32]
    if torch.rand(1, generator=generator) < 0.5:
        out = out.flip(-1)
    return out


class Augmented(torch.utils.data.Dataset):
    """Image `index` of the training set in epoch `epoch`, augmented from its own generator."""

    def __init__(self, images, labels, seed):
        self.images, self.labels, self.seed, self.epoch = images, labels, seed, 0

    def __len__(self):
        return len(self.images)

    def __getitem__(self, index):
        g = torch.Generator().manual_seed(sample_seed(self.seed, self.epoch, index))
        return normalize(augment(self.images[index], g)), self.labels[index]


def torchvision_augment(image, seed):
    """The reference: torchvision's transforms on the global generator after torch.manual_seed(seed)."""
    import torchvision.transforms as T
    state = torch.get_rng_state()
    torch.manual_seed(seed)
    out = T.Compose([T.RandomCrop(32, padding=4), T.RandomHorizontalFlip(), T.Normalize(MEAN.view(3).tolist(), STD.view(3).tolist())])(image)
    torch.set_rng_state(state)
    return out


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("data"), p.add_argument("epochs", type=int), p.add_argument("seed", type=int)
    p.add_argument("--workers", type=int, default=0)
    p.add_argument("--check-augment", action="store_true")
    p.add_argument("--trace", action="store_true", help="print the running loss and accuracy after every batch")
    p.add_argument("--train-limit", type=int, help="train on the first N training images only (as convnet's --train-limit)")
    p.add_argument("--double", action="store_true", help="train in float64 (how far rounding alone moves a run)")
    p.add_argument("--save", help="write the state_dict and momentum buffers here (safetensors, convnet checkpoint names)")
    a = p.parse_args()
    torch.set_num_threads(2)
    images, labels = load(a.data)
    train_idx, held_idx = split(len(images), 1000, a.seed)
    if a.train_limit:
        train_idx = train_idx[:a.train_limit]
    x, y = images[train_idx].contiguous(), labels[train_idx].contiguous()
    tx, ty = normalize(images[held_idx]), labels[held_idx]
    dataset = Augmented(x, y, a.seed)

    torch.manual_seed(a.seed)
    model = he_init(CifarResNet())
    if a.double:
        model.double()
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=5e-4)
    batch = 128
    batches = (len(x) + batch - 1) // batch
    total = a.epochs * batches

    if a.check_augment:
        order = torch.randperm(len(x))
        first = order[:batch].tolist()
        ours = torch.stack([dataset[i][0] for i in first])
        ref = torch.stack([torchvision_augment(x[i], sample_seed(a.seed, 0, i)) for i in first])
        print("first batch (epoch 1) indices %s…; sum %.6f, abs sum %.6f; max |ours - torchvision| %.3g"
              % (first[:4], ours.double().sum(), ours.double().abs().sum(), (ours - ref).abs().max()))
        return

    loader = None
    if a.workers > 0:
        loader_gen = torch.Generator().manual_seed(0)  # for the loader's base seed: keeps the global generator untouched

    step = 0
    last = 0.0
    for epoch in range(a.epochs):
        order = torch.randperm(len(x)).tolist()
        dataset.epoch = epoch
        chunks = [order[i:i + batch] for i in range(0, len(order), batch)]
        if a.workers > 0:
            loader = torch.utils.data.DataLoader(dataset, batch_sampler=chunks, num_workers=a.workers, generator=loader_gen)
            source = iter(loader)
        else:
            source = ((torch.stack([dataset[i][0] for i in c]), y[c]) for c in chunks)
        model.train()
        loss_sum, correct, seen = 0.0, 0, 0
        t0 = time.perf_counter()
        for xb, yb in source:
            for group in opt.param_groups:
                group["lr"] = 0.1 * (1 + math.cos(math.pi * step / total)) / 2
            logits = model(xb.double() if a.double else xb)
            loss = F.cross_entropy(logits, yb)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            step += 1
            loss_sum += loss.item() * len(yb)
            correct += (logits.argmax(1) == yb).sum().item()
            seen += len(yb)
            if a.trace:
                print("  batch %d  loss %.6f  acc %.2f%%  lr %.6g" % (step - epoch * batches, loss_sum / seen, 100 * correct / seen,
                                                                   opt.param_groups[0]["lr"]), flush=True)
        seconds = time.perf_counter() - t0
        model.eval()
        with torch.no_grad():
            logits = model(tx.double() if a.double else tx)
            test_loss = F.cross_entropy(logits, ty).item()
            last = 100 * (logits.argmax(1) == ty).sum().item() / len(ty)
        print("%d %.6f %.2f %.6f %.2f %.2f" % (epoch + 1, loss_sum / seen, 100 * correct / seen, test_loss, last, seconds),
              flush=True)
    if a.save:
        from safetensors.torch import save_file
        tensors = {k: v.contiguous() for k, v in model.state_dict().items()}
        for name, param in model.named_parameters():
            if "momentum_buffer" in opt.state[param]:
                tensors["optimizer.momentum_buffer." + name] = opt.state[param]["momentum_buffer"].contiguous()
        save_file(tensors, a.save)
    print("held-out accuracy: %.2f%%" % last)
    print("peak RSS: %.0f MB" % (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024))


if __name__ == "__main__":
    main()
