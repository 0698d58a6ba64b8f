#!/usr/bin/env python3
"""The large ONNX import checks: torchvision resnet18, googlenet, alexnet and vgg11 with random weights (seed 0,
random batch-norm statistics) exported by torch.onnx.export (opset 17, dynamic batch) into OUT_DIR, each with a
2-image input and PyTorch's logits (<name>-io.safetensors); prints onnxruntime's error against PyTorch for scale.
Then: CONVNET_ONNX_LARGE_DIR=OUT_DIR swift test -c release --skip-build --filter ONNXLargeModelTests
usage: python Tools/export_onnx_large_models.py [OUT_DIR]   (default /tmp/convnet-onnx-large; needs torch,
torchvision, onnxruntime, safetensors; ~900 MB written)"""
import os, sys, warnings, torch, torchvision, onnxruntime as ort, numpy as np
from safetensors.torch import save_file
out = sys.argv[1] if len(sys.argv) > 1 else "/tmp/convnet-onnx-large"
os.makedirs(out, exist_ok=True)
for name in ["resnet18", "googlenet", "alexnet", "vgg11"]:
    torch.manual_seed(0)
    kw = {"aux_logits": False, "init_weights": True} if name == "googlenet" else {}
    m = getattr(torchvision.models, name)(weights=None, **kw).eval()
    for mod in m.modules():
        if isinstance(mod, torch.nn.BatchNorm2d):
            mod.running_mean.uniform_(-0.5, 0.5); mod.running_var.uniform_(0.5, 2)
    x = torch.randn(2, 3, 224, 224)
    with torch.no_grad(): y = m(x)
    path = f"{out}/{name}.onnx"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(m, (x,), path, opset_version=17, dynamo=False, input_names=["input"], output_names=["logits"],
                          dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}})
    s = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    yo = s.run(None, {"input": x.numpy()})[0]
    print(name, "ort vs torch", float(np.abs(yo - y.numpy()).max() / np.abs(y.numpy()).max()), flush=True)
    save_file({"input": x, "output": y.contiguous()}, f"{out}/{name}-io.safetensors")
