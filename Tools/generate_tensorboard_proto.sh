#!/usr/bin/env bash
# Regenerates Sources/ConvNet/Logging/Proto/event.pb.swift (committed, so builds need no protoc)
# from event.proto: protoc from Debian's protobuf-compiler, and protoc-gen-swift built from the
# swift-protobuf version Package.resolved pins. The generated types stay internal to ConvNet.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v protoc >/dev/null || { echo "generate_tensorboard_proto.sh: needs protoc (apt-get install protobuf-compiler)" >&2; exit 1; }
swift build -c release --product protoc-gen-swift
proto=Sources/ConvNet/Logging/Proto
protoc --plugin=protoc-gen-swift=.build/release/protoc-gen-swift --swift_opt=Visibility=Internal \
  --swift_out="$proto" -I "$proto" "$proto/event.proto"
echo "wrote $proto/event.pb.swift"
