"""Writes ONNX's backend node tests (model.onnx, test_data_set_0/input_N.pb, output_N.pb per test)
into a folder, from the test cases the installed `onnx` package defines.

The onnx wheel does not ship backend/test/data/node, and its `cmd_tools generate-data` writes only
the model tests; this writes the node tests the same way (tensor inputs and outputs as TensorProto,
sequences, maps and optionals with numpy_helper).

    python3 Tools/onnx_node_tests.py OUT_DIR
"""
import os
import shutil
import sys

import onnx
from onnx import TensorProto, numpy_helper
from onnx.backend.test.case import node as node_cases


def serialize(value, type_proto, name):
    if type_proto.HasField("sequence_type"):
        return numpy_helper.from_list(value, name).SerializeToString()
    if type_proto.HasField("optional_type"):
        return numpy_helper.from_optional(value, name).SerializeToString()
    if type_proto.HasField("map_type"):
        return numpy_helper.from_dict(value, name).SerializeToString()
    if isinstance(value, TensorProto):
        return value.SerializeToString()
    return numpy_helper.from_array(value, name).SerializeToString()


def main(out):
    cases = node_cases.collect_testcases()
    os.makedirs(out, exist_ok=True)
    for case in cases:
        folder = os.path.join(out, case.name)
        if os.path.exists(folder):
            shutil.rmtree(folder)
        os.makedirs(folder)
        with open(os.path.join(folder, "model.onnx"), "wb") as f:
            f.write(case.model.SerializeToString())
        graph = case.model.graph
        for i, (inputs, outputs) in enumerate(case.data_sets):
            data = os.path.join(folder, f"test_data_set_{i}")
            os.makedirs(data)
            for j, value in enumerate(inputs):
                with open(os.path.join(data, f"input_{j}.pb"), "wb") as f:
                    f.write(serialize(value, graph.input[j].type, graph.input[j].name))
            for j, value in enumerate(outputs):
                with open(os.path.join(data, f"output_{j}.pb"), "wb") as f:
                    f.write(serialize(value, graph.output[j].type, graph.output[j].name))
    print(f"wrote {len(cases)} node tests of onnx {onnx.__version__} to {out}")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: onnx_node_tests.py OUT_DIR")
    main(sys.argv[1])
