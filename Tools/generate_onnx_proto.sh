#!/usr/bin/env bash
# Regenerates Sources/ConvNetONNX/Proto/onnx.pb.swift (committed, so builds need no protoc) from
# onnx.proto, copied from the `onnx` PyPI package (1.23.2: IR version 11; `python3 -c "import onnx,
# os; print(os.path.dirname(onnx.__file__))"`/onnx.proto): protoc from Debian's protobuf-compiler,
# and protoc-gen-swift built from the swift-protobuf version Package.resolved pins. The generated
# types (Onnx_ModelProto, Onnx_GraphProto, …) stay internal to ConvNet.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v protoc >/dev/null || { echo "generate_onnx_proto.sh: needs protoc (apt-get install protobuf-compiler)" >&2; exit 1; }
swift build -c release --product protoc-gen-swift
proto=Sources/ConvNetONNX/Proto
protoc --plugin=protoc-gen-swift=.build/release/protoc-gen-swift --swift_opt=Visibility=Internal \
  --swift_out="$proto" -I "$proto" "$proto/onnx.proto"
echo "wrote $proto/onnx.pb.swift"
