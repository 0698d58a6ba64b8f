"""Writes PyTorch reference cases in the format of shared/golden/ops.json (see its README), to check
that the golden runner handles cases beyond the shared ones: other strides and paddings (also per
axis), other reductions, log-softmax, NLL, average pooling without padding counted, batch norm
with other momentum and eps, max pooling with ceil_mode, adaptive average pooling at the output
sizes of AlexNet (6×6) and VGG (7×7) from inputs that give overlapping windows (13 → 6, 10 → 7,
9 → 4), upsampling ones (5 → 7, 2 → 6) and non-square ones.

usage: python Tools/generate_golden_cases.py OUT.json   (needs torch)
"""
import json
import sys

import torch
import torch.nn.functional as F

torch.manual_seed(7)


def t(x):
    return {"shape": list(x.shape), "data": x.detach().reshape(-1).tolist()}


def labels(x):
    return {"shape": list(x.shape), "data": [int(v) for v in x.reshape(-1).tolist()]}


cases = []


def case(name, op, attrs, inputs, fn, grad_keys):
    leaves = {k: v.clone().requires_grad_(k in grad_keys) for k, v in inputs.items() if v.is_floating_point()}
    args = {k: leaves.get(k, v) for k, v in inputs.items()}
    outputs = fn(**args)
    upstream = {k: (torch.ones_like(v) if v.dim() == 0 else torch.randn_like(v)) for k, v in outputs.items() if v.requires_grad}
    loss = sum((outputs[k] * upstream[k]).sum() for k in upstream)
    grads = torch.autograd.grad(loss, [leaves[k] for k in grad_keys])
    cases.append({"name": name, "op": op, "attrs": attrs,
                  "inputs": {k: (labels(v) if not v.is_floating_point() else t(v)) for k, v in inputs.items()},
                  "outputs": {k: t(v) for k, v in outputs.items()}, "upstream": {k: t(v) for k, v in upstream.items()},
                  "grads": {k: t(g) for k, g in zip(grad_keys, grads)}})


for (n, c, h, w, o, kh, kw, s, p, bias) in [(2, 3, 9, 11, 4, 3, 5, [2, 1], [1, 2], True), (1, 5, 7, 7, 3, 2, 2, 2, 0, False),
                                              (3, 2, 6, 10, 6, 1, 3, [1, 3], [0, 1], True)]:
    x, wt = torch.randn(n, c, h, w), torch.randn(o, c, kh, kw)
    inputs = {"x": x, "weight": wt} | ({"bias": torch.randn(o)} if bias else {})
    case(f"conv2d_{n}x{c}x{h}x{w}_k{kh}x{kw}_s{s}_p{p}", "conv2d", {"stride": s, "padding": p}, inputs,
         lambda x, weight, bias=None, s=s, p=p: {"y": F.conv2d(x, weight, bias, stride=s, padding=p)}, list(inputs))
x = torch.randn(2, 3, 7, 8)
for k, s, p in [(3, 2, 1), ([2, 3], [1, 2], [1, 1])]:
    case(f"avgpool2d_exclude_pad_k{k}_s{s}_p{p}", "avgpool2d", {"kernel": k, "stride": s, "padding": p, "count_include_pad": False},
         {"x": x}, lambda x, k=k, s=s, p=p: {"y": F.avg_pool2d(x, k, s, p, count_include_pad=False)}, ["x"])
    case(f"maxpool2d_k{k}_s{s}_p{p}", "maxpool2d", {"kernel": k, "stride": s, "padding": p}, {"x": x},
         lambda x, k=k, s=s, p=p: {"y": F.max_pool2d(x, k, s, p)}, ["x"])
for k, s, p, size in [(3, 2, 0, 8), (3, 2, 1, 9), (2, 2, 0, 7)]:
    xc = torch.randn(2, 2, size, size)
    case(f"maxpool2d_ceil_k{k}_s{s}_p{p}_{size}", "maxpool2d", {"kernel": k, "stride": s, "padding": p, "ceil_mode": True},
         {"x": xc}, lambda x, k=k, s=s, p=p: {"y": F.max_pool2d(x, k, s, p, ceil_mode=True)}, ["x"])
logits, y = torch.randn(5, 4) * 2, torch.tensor([3, 0, 1, 1, 2])
for r in ["sum", "none"]:
    case(f"cross_entropy_{r}_smoothing", "cross_entropy", {"reduction": r, "label_smoothing": 0.05}, {"logits": logits, "labels": y},
         lambda logits, labels, r=r: {"y": F.cross_entropy(logits, labels, reduction=r, label_smoothing=0.05)}, ["logits"])
    case(f"mse_{r}", "mse_loss", {"reduction": r}, {"x": logits, "target": torch.randn(5, 4)},
         lambda x, target, r=r: {"y": F.mse_loss(x, target, reduction=r)}, ["x"])
case("log_softmax_dim0", "log_softmax", {"dim": 0}, {"x": logits}, lambda x: {"y": F.log_softmax(x, 0)}, ["x"])
case("nll_mean", "nll_loss", {"reduction": "mean"}, {"x": F.log_softmax(logits, 1), "labels": y},
     lambda x, labels: {"y": F.nll_loss(x, labels)}, ["x"])
case("leaky_relu_0.2", "leaky_relu", {"negative_slope": 0.2}, {"x": logits}, lambda x: {"y": F.leaky_relu(x, 0.2)}, ["x"])
rm, rv = torch.randn(4) * 0.1, torch.rand(4) + 0.5
bx, g, b = torch.randn(3, 4, 2, 5), torch.randn(4), torch.randn(4)


def bn(x, weight, bias):
    mean, var = rm.clone(), rv.clone()
    out = F.batch_norm(x, mean, var, weight, bias, training=True, momentum=0.3, eps=1e-3)
    return {"y": out, "running_mean": mean, "running_var": var}


case("batchnorm2d_train_m0.3_eps1e-3", "batchnorm2d", {"training": True, "momentum": 0.3, "eps": 1e-3,
     "running_mean_in": t(rm), "running_var_in": t(rv)}, {"x": bx, "weight": g, "bias": b}, bn, ["x", "weight", "bias"])
case("local_response_norm_size3", "local_response_norm", {"size": 3, "alpha": 0.01, "beta": 0.5, "k": 1.0},
     {"x": torch.randn(2, 6, 3, 3)}, lambda x: {"y": F.local_response_norm(x, 3, 0.01, 0.5, 1.0)}, ["x"])
# Adaptive average pooling: cell i averages rows ⌊i·H/h⌋ ..< ⌈(i+1)·H/h⌉; these sizes make neighbouring
# windows overlap (13 → 6, 10 → 7, 9 → 4), repeat input pixels (5 → 7, 2 → 6: upsampling), mix both
# (13×5 → 6×7), and leave the input as it is (7 → 7).
for (h, w), out in [((13, 13), 6), ((10, 10), 7), ((5, 5), 7), ((9, 9), 4), ((2, 2), 6), ((13, 5), [6, 7]),
                    ((11, 8), [7, 3]), ((7, 7), 7)]:
    xa = torch.randn(2, 3, h, w)
    case(f"adaptive_avgpool2d_{h}x{w}_to_{out}", "adaptive_avgpool2d", {"output_size": out}, {"x": xa},
         lambda x, out=out: {"y": F.adaptive_avg_pool2d(x, out)}, ["x"])
# erf (added through the dispatcher's checklist): around 0, in the tails where it saturates to ±1
# (its derivative (2/√π)e^(−x²) underflows), and at ±0.
xe = torch.randn(3, 4, 5) * 2
xe.view(-1)[:4] = torch.tensor([0.0, -0.0, 4.5, -6.0])
case("erf", "erf", {}, {"x": xe}, lambda x: {"y": torch.erf(x)}, ["x"])
json.dump({"generator": f"PyTorch {torch.__version__}", "seed": 7, "cases": cases}, open(sys.argv[1], "w"))
print(len(cases), "cases written to", sys.argv[1])
