"""Writes node tests in the layout of ONNX's backend node tests (model.onnx, test_data_set_0/
input_N.pb, output_N.pb) for features ONNX's own suite does not cover in 2-D float: grouped,
depthwise, dilated and asymmetrically padded convolutions, auto_pad with strides, pooling with
asymmetric or large pads and ceil mode, Pad's edge/reflect/wrap modes on floats, LRN with an even
size, batched MatMul, Gemm's options, Softmax's opset-11 flattening.

Expected outputs come from onnx's ReferenceEvaluator and must agree with onnxruntime's (1e-5);
a case where they disagree is reported and not written. Two exceptions, each said where it is made:
Softmax/LogSoftmax at opset 11 take onnxruntime's result (the ReferenceEvaluator ignores that
opset's flattening to 2-D, which the spec and onnxruntime apply), and LRN with an even size a
NumPy transcription of the spec (onnxruntime refuses even sizes; the ReferenceEvaluator's loop
runs over the batch instead of the channels).

    python3 Tools/onnx_extra_node_tests.py OUT_DIR
"""
import os
import shutil
import sys

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper
from onnx.reference import ReferenceEvaluator

rng = np.random.default_rng(0)


def f32(*shape):
    return rng.standard_normal(shape).astype(np.float32)


def case(name, op, inputs, attrs=None, opset=22, expected=None):
    """inputs: list of (name, array); arrays of int64 become INT64 graph inputs. expected: "ort"
    to take onnxruntime's result alone, or a function of the inputs giving the result."""
    nodes_in = [n for n, _ in inputs]
    node = helper.make_node(op, nodes_in, ["y"], **(attrs or {}))
    def vi(n, a):
        t = TensorProto.INT64 if a.dtype == np.int64 else TensorProto.FLOAT
        return helper.make_tensor_value_info(n, t, a.shape)
    graph = helper.make_graph([node], name, [vi(n, a) for n, a in inputs],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)])
    model = helper.make_model(graph, opset_imports=[helper.make_operatorsetid("", opset)], ir_version=8)
    feeds = dict(inputs)
    if callable(expected):
        rt = expected(*[a for _, a in inputs]).astype(np.float32)
        graph.output[0].CopyFrom(helper.make_tensor_value_info("y", TensorProto.FLOAT, rt.shape))
        return name, model, [a for _, a in inputs], [rt]
    try:
        ref = ReferenceEvaluator(model).run(None, feeds)[0]
        rt = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"]).run(None, feeds)[0]
    except Exception as e:  # noqa: BLE001 (a case one of them cannot run is left out, said so)
        print(f"skipped {name}: {str(e).splitlines()[0][:200]}")
        return None
    if expected != "ort" and (ref.shape != rt.shape or not np.allclose(ref, rt, rtol=1e-5, atol=1e-5)):
        print(f"skipped {name}: the reference and onnxruntime disagree ({ref.shape} vs {rt.shape})")
        return None
    graph.output[0].CopyFrom(helper.make_tensor_value_info("y", TensorProto.FLOAT, rt.shape))
    return name, model, [a for _, a in inputs], [rt.astype(np.float32)]


def lrn_spec(x, size, alpha, beta, bias):
    """ONNX LRN: square_sum[n, c] sums x² over channels [c − ⌊(size−1)/2⌋, c + ⌈(size−1)/2⌉]."""
    before, after = (size - 1) // 2, -(-(size - 1) // 2)
    square_sum = np.zeros_like(x, dtype=np.float64)
    for c in range(x.shape[1]):
        square_sum[:, c] = (x[:, max(0, c - before):min(x.shape[1], c + after + 1)].astype(np.float64) ** 2).sum(axis=1)
    return x / (bias + alpha / size * square_sum) ** beta


def cases():
    x = f32(1, 4, 7, 6)
    yield case("test_x_conv_group2_bias", "Conv", [("x", x), ("w", f32(6, 2, 3, 3)), ("b", f32(6))], {"group": 2, "pads": [1, 1, 1, 1]})
    yield case("test_x_conv_depthwise_stride2", "Conv", [("x", x), ("w", f32(4, 1, 3, 3))], {"group": 4, "strides": [2, 2], "pads": [1, 1, 1, 1]})
    yield case("test_x_conv_dilation2", "Conv", [("x", x), ("w", f32(3, 4, 3, 2))], {"dilations": [2, 3], "pads": [2, 1, 2, 1]})
    yield case("test_x_conv_asymmetric_pads", "Conv", [("x", x), ("w", f32(2, 4, 3, 3))], {"pads": [0, 1, 2, 1], "strides": [2, 1]})
    yield case("test_x_conv_same_upper_stride2", "Conv", [("x", x), ("w", f32(2, 4, 3, 2))],
               {"auto_pad": "SAME_UPPER", "strides": [2, 2]})
    yield case("test_x_conv_same_lower_stride2", "Conv", [("x", x), ("w", f32(2, 4, 2, 3))], {"auto_pad": "SAME_LOWER", "strides": [2, 2]})
    yield case("test_x_conv_valid", "Conv", [("x", x), ("w", f32(2, 4, 3, 3))], {"auto_pad": "VALID", "strides": [2, 2]})
    p = f32(2, 3, 7, 8)
    yield case("test_x_maxpool_asymmetric_pads_ceil", "MaxPool", [("x", p)], {"kernel_shape": [3, 3], "strides": [2, 2], "pads": [0, 1, 1, 0], "ceil_mode": 1})
    yield case("test_x_maxpool_same_upper_stride2", "MaxPool", [("x", p)], {"kernel_shape": [3, 2], "strides": [2, 2], "auto_pad": "SAME_UPPER"})
    for include in (0, 1):
        yield case(f"test_x_averagepool_asymmetric_pads_include{include}", "AveragePool", [("x", p)],
                   {"kernel_shape": [3, 3], "strides": [2, 2], "pads": [1, 0, 2, 1], "count_include_pad": include})
        yield case(f"test_x_averagepool_ceil_pads_include{include}", "AveragePool", [("x", p)],
                   {"kernel_shape": [3, 3], "strides": [2, 2], "pads": [1, 1, 1, 1], "ceil_mode": 1, "count_include_pad": include})
        yield case(f"test_x_averagepool_large_pads_include{include}", "AveragePool", [("x", p)],
                   {"kernel_shape": [3, 3], "pads": [2, 2, 2, 2], "count_include_pad": include})
    d = f32(2, 3, 4, 5)
    for mode in ("edge", "reflect", "wrap"):
        yield case(f"test_x_pad_{mode}_float", "Pad", [("x", d), ("pads", np.array([0, 1, 2, 3, 0, 2, 1, 1], dtype=np.int64))], {"mode": mode})
    yield case("test_x_lrn_even_size", "LRN", [("x", f32(2, 7, 3, 3))], {"size": 4, "alpha": 0.01, "beta": 0.6, "bias": 1.5}, opset=13,
               expected=lambda x: lrn_spec(x, 4, 0.01, 0.6, 1.5))
    yield case("test_x_matmul_batched_broadcast", "MatMul", [("a", f32(2, 1, 3, 4)), ("b", f32(3, 4, 5))], opset=13)
    yield case("test_x_matmul_2d_by_3d", "MatMul", [("a", f32(3, 4)), ("b", f32(2, 4, 5))], opset=13)
    yield case("test_x_gemm_transposed_alpha_beta_row_c", "Gemm", [("a", f32(4, 3)), ("b", f32(5, 4)), ("c", f32(5))],
               {"transA": 1, "transB": 1, "alpha": 0.5, "beta": -2.0}, opset=13)
    yield case("test_x_softmax_opset11_axis1_flattens", "Softmax", [("x", f32(2, 3, 4))], {"axis": 1}, opset=11, expected="ort")
    yield case("test_x_logsoftmax_opset11_default_axis", "LogSoftmax", [("x", f32(2, 3, 4))], {}, opset=11, expected="ort")
    yield case("test_x_reshape_zero_and_minus_one", "Reshape", [("x", f32(2, 3, 4)), ("shape", np.array([0, -1, 2], dtype=np.int64))], opset=14)


def write(out, name, model, inputs, outputs):
    folder = os.path.join(out, name)
    if os.path.exists(folder):
        shutil.rmtree(folder)
    data = os.path.join(folder, "test_data_set_0")
    os.makedirs(data)
    onnx.save(model, os.path.join(folder, "model.onnx"))
    for prefix, values, infos in (("input", inputs, model.graph.input), ("output", outputs, model.graph.output)):
        for j, value in enumerate(values):
            with open(os.path.join(data, f"{prefix}_{j}.pb"), "wb") as f:
                f.write(numpy_helper.from_array(value, infos[j].name).SerializeToString())


def main(out):
    os.makedirs(out, exist_ok=True)
    n = 0
    for c in cases():
        if c:
            write(out, *c)
            n += 1
    print(f"wrote {n} extra node tests to {out}")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: onnx_extra_node_tests.py OUT_DIR")
    main(sys.argv[1])
