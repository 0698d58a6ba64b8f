// swift-tools-version: 6.0
import Foundation
import PackageDescription

// SwiftPM names a package given by path after its folder (the clone's name, "swift-convnet" or another).
let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().lastPathComponent

// libFuzzer targets, one executable per parser of outside bytes, each fed from its own committed
// seed corpus in Corpus/<name> (Fuzz<name> is the executable):
//   IDX          IDXArray.parse: MNIST's IDX files, plain or gzipped (the header-first inflation)
//   Gzip         Gzip.decompress, with a limit and with a size declared by the output's first bytes
//   SafeTensors  SafeTensors.decode: the JSON header and every dtype's tensors
//   Checkpoint   SafeTensors.decode, then Classifier.weights and Checkpoint.decode (metadata)
//   CIFAR        CIFAR.parse: CIFAR-10 and CIFAR-100 (fine, coarse) batches, plain or gzipped
//   Augment      TransformSpec.parse (--augment) and the pipeline it builds, applied to images
//   Image        Image.header and Image.decode (PNG, JPEG) to gray and RGB
//   ONNX         ONNXModel (protobuf, operators, graph order, initializers, shape inference), then a run on zeros
// A package of its own, because a fuzzer has no main and is built with the sanitizers:
//   make fuzz        builds, then runs each for FUZZ_SECONDS (default 60) from a copy of its corpus
//   make fuzz-smoke  each for a few seconds (CI)
//   make fuzz-corpus rewrites Corpus/ from the seeds each target makes (`FuzzX --write-seeds DIR`)
let targets = ["IDX", "Gzip", "SafeTensors", "Checkpoint", "CIFAR", "Augment", "Image", "ONNX"]

let package = Package(
    name: "convnet-fuzz",
    dependencies: [.package(path: "..")],
    targets: [
        .target(name: "FuzzSupport", dependencies: [.product(name: "ConvNet", package: root)]),
    ] + targets.map { name in
        .executableTarget(
            name: "Fuzz\(name)",
            dependencies: ["FuzzSupport", .product(name: "ConvNet", package: root)]
                + (name == "ONNX" ? [.product(name: "ConvNetONNX", package: root)] : []),
            swiftSettings: [.unsafeFlags(["-parse-as-library"])])
    }
)
