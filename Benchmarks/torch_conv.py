"""PyTorch side of `convnet bench conv`: median forward and forward+backward time of F.conv2d,
2 threads.  usage: torch_conv.py N C H W COUT K STRIDE PAD  -> the same JSON as `convnet bench conv`.
(A copy of shared/reference/torch_conv.py, kept here so the comparison runs from a clone.)"""
import json, statistics, sys, time
import torch
import torch.nn.functional as F

torch.set_num_threads(2)
n, c, h, w, o, k, s, p = map(int, sys.argv[1:9])
x = torch.randn(n, c, h, w, requires_grad=True)
wt = torch.randn(o, c, k, k, requires_grad=True)
b = torch.randn(o, requires_grad=True)


def med(fn, reps=None):
    for _ in range(3):
        fn()
    t0 = time.perf_counter(); fn(); one = time.perf_counter() - t0
    reps = reps or max(5, min(50, int(2.0 / max(one, 1e-6))))
    ts = []
    for _ in range(reps):
        t0 = time.perf_counter(); fn(); ts.append(time.perf_counter() - t0)
    return statistics.median(ts) * 1e3


def fwd():
    with torch.no_grad():
        F.conv2d(x, wt, b, stride=s, padding=p)


def fwd_bwd():
    y = F.conv2d(x, wt, b, stride=s, padding=p)
    gx, gw, gb = torch.autograd.grad(y, (x, wt, b), torch.ones_like(y))


ho, wo = (h + 2 * p - k) // s + 1, (w + 2 * p - k) // s + 1
flops = 2.0 * n * o * ho * wo * c * k * k
f, fb = med(fwd), med(fwd_bwd)
print(json.dumps({"forward_ms": f, "forward_backward_ms": fb,
                  "gflops_forward": flops / f / 1e6, "gflops_forward_backward": 3 * flops / fb / 1e6}))
