"""Writes PyTorch reference cases with NaN and infinite inputs, in the format of shared/golden/ops.json
(see its README), so that the golden runner checks that every op propagates NaN and infinity as
PyTorch does: relu(nan) is nan, a max-pooling window holding a NaN yields nan (the last NaN of the
window wins, and receives the gradient), softmax over a row with inf is nan, batch norm over a
channel holding a NaN is nan in that channel only, and so on.

JSON has no NaN or infinity, so a non-finite float is written as the string "nan", "inf" or "-inf".

usage: python Tools/generate_nonfinite_cases.py Tests/ConvNetTests/Fixtures/golden-extra/ops-nonfinite.json
"""
import json
import math
import sys

import torch
import torch.nn.functional as F

torch.manual_seed(11)
NAN, INF = float("nan"), float("inf")


def number(v):
    if math.isnan(v):
        return "nan"
    if math.isinf(v):
        return "inf" if v > 0 else "-inf"
    return v


def t(x):
    return {"shape": list(x.shape), "data": [number(v) for v in x.detach().reshape(-1).tolist()]}


def labels(x):
    return {"shape": list(x.shape), "data": [int(v) for v in x.reshape(-1).tolist()]}


cases = []


def case(name, op, attrs, inputs, fn, grad_keys):
    """One case: outputs of fn(**inputs) and d(Σ outputs · upstream)/d(inputs[k]) for k in grad_keys."""
    leaves = {k: v.clone().requires_grad_(k in grad_keys) for k, v in inputs.items() if v.is_floating_point()}
    args = {k: leaves.get(k, v) for k, v in inputs.items()}
    outputs = fn(**args)
    upstream = {k: (torch.ones_like(v) if v.dim() == 0 else torch.randn_like(v)) for k, v in outputs.items() if v.requires_grad}
    entry = {"name": name, "op": op, "attrs": attrs,
             "inputs": {k: (labels(v) if not v.is_floating_point() else t(v)) for k, v in inputs.items()},
             "outputs": {k: t(v) for k, v in outputs.items()}}
    if grad_keys:
        loss = sum((outputs[k] * upstream[k]).sum() for k in upstream)
        grads = torch.autograd.grad(loss, [leaves[k] for k in grad_keys])
        entry |= {"upstream": {k: t(v) for k, v in upstream.items()}, "grads": {k: t(g) for k, g in zip(grad_keys, grads)}}
    cases.append(entry)


def sprinkle(x, values):
    """x with `values` written at spread-out flat positions (deterministic)."""
    x = x.clone()
    flat = x.view(-1)
    for i, v in enumerate(values):
        flat[(i * 7919 + 3) % flat.numel()] = v
    return x


special = [NAN, INF, -INF, 0.0, -0.0, NAN, 1e38, -1e38]

# Pointwise activations: every special value, also in a tensor large enough for vectorised loops.
x = sprinkle(torch.randn(3, 5, 7), special * 3)
for op in ["relu", "sigmoid", "tanh"]:
    case(f"{op}_nonfinite", op, {}, {"x": x}, lambda x, op=op: {"y": getattr(torch, op)(x)}, ["x"])
case("leaky_relu_nonfinite", "leaky_relu", {"negative_slope": 0.1}, {"x": x},
     lambda x: {"y": F.leaky_relu(x, 0.1)}, ["x"])

# Pooling: NaN and ±inf inside windows, two NaNs in one window, a window of -inf only.
p = torch.randn(2, 3, 8, 9)
p[0, 0, 0, 1] = NAN
p[0, 0, 1, 1] = NAN          # two NaNs in the same 2×2 window
p[0, 1, 4, 4] = INF
p[1, 2, 2:4, 2:4] = -INF     # a whole window of -inf
p[1, 0, 7, 8] = NAN          # at the border (ceil mode, padding)
p[1, 1, 5, 0] = -INF
for k, s, pad, ceil in [(2, 2, 0, False), (3, 2, 1, False), (3, 2, 0, True), (3, 1, 1, False)]:
    case(f"maxpool2d_nonfinite_k{k}_s{s}_p{pad}{'_ceil' if ceil else ''}", "maxpool2d",
         {"kernel": k, "stride": s, "padding": pad, "ceil_mode": ceil}, {"x": p},
         lambda x, k=k, s=s, pad=pad, ceil=ceil: {"y": F.max_pool2d(x, k, s, pad, ceil_mode=ceil)}, ["x"])
for k, s, pad, include in [(2, 2, 0, True), (3, 2, 1, False)]:
    case(f"avgpool2d_nonfinite_k{k}_s{s}_p{pad}", "avgpool2d", {"kernel": k, "stride": s, "padding": pad,
         "count_include_pad": include}, {"x": p},
         lambda x, k=k, s=s, pad=pad, include=include: {"y": F.avg_pool2d(x, k, s, pad, count_include_pad=include)}, ["x"])
q = torch.randn(2, 4, 3, 3)
q[0, 1, 1, 1], q[1, 2, 0, 0], q[1, 2, 2, 2], q[1, 3, 1, 2] = NAN, INF, -INF, INF
case("global_avgpool_nonfinite", "global_avgpool", {}, {"x": q}, lambda x: {"y": F.adaptive_avg_pool2d(x, 1)}, ["x"])

# Softmax family and the losses: inf − inf is nan; a row of -inf is nan; a NaN spreads along its row.
z = torch.randn(6, 5)
z[0, 2] = INF
z[1, 1] = NAN
z[2, 3] = -INF
z[3] = -INF
z[4, 0], z[4, 4] = INF, INF
for op, fn in [("softmax", torch.softmax), ("log_softmax", torch.log_softmax)]:
    case(f"{op}_nonfinite", op, {"dim": 1}, {"x": z}, lambda x, fn=fn: {"y": fn(x, 1)}, ["x"])
y = torch.tensor([0, 2, 3, 1, 4, 2])
case("cross_entropy_nonfinite_none", "cross_entropy", {"reduction": "none"}, {"logits": z, "labels": y},
     lambda logits, labels: {"y": F.cross_entropy(logits, labels, reduction="none")}, ["logits"])
z2 = torch.randn(4, 3)
z2[1, 0] = NAN
case("cross_entropy_nonfinite_mean", "cross_entropy", {"reduction": "mean"}, {"logits": z2, "labels": torch.tensor([0, 1, 2, 0])},
     lambda logits, labels: {"y": F.cross_entropy(logits, labels)}, ["logits"])

# Linear and convolution: a NaN input pixel spreads over its receptive field, an infinite weight
# over its output channel.
lx = torch.randn(3, 6)
lx[1, 2] = NAN
lw = torch.randn(4, 6)
lw[2, 0] = INF
case("linear_nonfinite", "linear", {}, {"x": lx, "weight": lw, "bias": torch.randn(4)},
     lambda x, weight, bias: {"y": F.linear(x, weight, bias)}, ["x", "weight", "bias"])
cx = torch.randn(2, 3, 7, 7)
cx[0, 1, 3, 3] = NAN
cw = torch.randn(4, 3, 3, 3)
cw[3, 0, 1, 1] = INF
case("conv2d_nonfinite", "conv2d", {"stride": 1, "padding": 1}, {"x": cx, "weight": cw, "bias": torch.randn(4)},
     lambda x, weight, bias: {"y": F.conv2d(x, weight, bias, padding=1)}, ["x", "weight", "bias"])

# Batch norm: a NaN in one channel makes that channel (and its running statistics) NaN only;
# in evaluation mode an infinite running variance gives 0, a NaN running mean gives nan.
bx = torch.randn(4, 3, 3, 3)
bx[2, 1, 0, 2] = NAN
rm, rv = torch.randn(3) * 0.1, torch.rand(3) + 0.5


def bn(training, mean_in, var_in):
    def run(x, weight, bias):
        mean, var = mean_in.clone(), var_in.clone()
        out = F.batch_norm(x, mean, var, weight, bias, training=training, momentum=0.1, eps=1e-5)
        return {"y": out, "running_mean": mean, "running_var": var}
    return run


case("batchnorm2d_nonfinite_train", "batchnorm2d", {"training": True, "momentum": 0.1, "eps": 1e-5,
     "running_mean_in": t(rm), "running_var_in": t(rv)}, {"x": bx, "weight": torch.randn(3), "bias": torch.randn(3)},
     bn(True, rm, rv), ["x", "weight", "bias"])
erm, erv = rm.clone(), rv.clone()
erm[0], erv[2] = NAN, INF
ex = torch.randn(4, 3, 3, 3)
ex[1, 1, 1, 1] = INF
case("batchnorm2d_nonfinite_eval", "batchnorm2d", {"training": False, "momentum": 0.1, "eps": 1e-5,
     "running_mean_in": t(erm), "running_var_in": t(erv)}, {"x": ex, "weight": torch.randn(3), "bias": torch.randn(3)},
     bn(False, erm, erv), ["x", "weight", "bias"])

# The fused first block relu(max_pool2d(conv2d(x, W, b, padding), 2)): NaN and inf reach it through
# the input, a weight and the biases (+inf: the channel is inf; -inf: ReLU makes it 0).
fx = torch.randn(2, 1, 12, 12)
fx[0, 0, 5, 6] = NAN
fx[1, 0, 0, 0] = INF
fw = torch.randn(6, 1, 5, 5)
fw[4, 0, 2, 2] = NAN
fb = torch.randn(6)
fb[1], fb[2] = INF, -INF


def block(x, weight, bias, padding=2):
    return {"y": torch.relu(F.max_pool2d(F.conv2d(x, weight, bias, padding=padding), 2))}


# Without an input gradient the fused kernel may run; with one, the three ops do.
case("conv_maxpool_relu_nonfinite", "conv_maxpool_relu", {"padding": 2}, {"x": fx, "weight": fw, "bias": fb},
     block, ["weight", "bias"])
case("conv_maxpool_relu_nonfinite_input_grad", "conv_maxpool_relu", {"padding": 2}, {"x": fx, "weight": fw, "bias": fb},
     block, ["x", "weight", "bias"])

# A finite input and weights, so that the fused kernel itself runs: NaN and ±inf come from the
# biases (a NaN channel: every window is all NaN, the last position wins and gets the gradient).
hx, hw, hb = torch.randn(3, 2, 10, 13), torch.randn(7, 2, 3, 3), torch.randn(7)
hb[0], hb[1], hb[6] = NAN, INF, -INF
case("conv_maxpool_relu_nonfinite_bias", "conv_maxpool_relu", {"padding": 1}, {"x": hx, "weight": hw, "bias": hb},
     lambda x, weight, bias: block(x, weight, bias, padding=1), ["weight", "bias"])
# Non-finite weights at the kernel's centre (never over the zero padding, whose treatment differs
# between convolution algorithms: 0 · inf is NaN when a padded zero is multiplied, nothing when
# skipped); an infinite weight meeting exact zeros of the input gives NaN at those positions only.
gx = torch.randn(3, 2, 10, 13)
gx[0, 0, 2:4, 3:6] = 0.0
gx[2, 1, 7, 1] = 0.0
gw = torch.randn(7, 2, 3, 3)
gw[0, 0, 1, 1] = NAN
gw[3, 0, 1, 1] = INF
gw[5, 1, 1, 1] = -INF
case("conv_maxpool_relu_nonfinite_weights", "conv_maxpool_relu", {"padding": 1}, {"x": gx, "weight": gw, "bias": torch.randn(7)},
     lambda x, weight, bias: block(x, weight, bias, padding=1), ["weight", "bias"])

json.dump({"generator": f"PyTorch {torch.__version__}", "seed": 11, "cases": cases}, open(sys.argv[1], "w"))
print(len(cases), "cases written to", sys.argv[1])
