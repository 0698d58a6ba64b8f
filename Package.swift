// swift-tools-version: 6.0
import PackageDescription

// Layers, bottom to top:
//   COpenBLAS, CDNNL      system libraries (BLAS and oneDNN C APIs); CZlib (gzip) for data files;
//   CPNG, CTurboJPEG      libpng and libjpeg-turbo's TurboJPEG, used only by CImageCodecs
//   CFusedKernels         our C kernels for fused steps no library offers (AVX-512 chosen at run time)
//   CImageCodecs          our C PNG/JPEG decoding (PIL's conversions) over CPNG and CTurboJPEG
//   ConvNetCore           tensors, autodiff, operators, CPU backends; imports nothing above it
//   ConvNet               the library users import (re-exports the core; nn/optim/data/models build here;
//                         TensorBoard event files and ONNX models through swift-protobuf)
//   convnet               the command-line tool, a thin shell over ConvNet
let package = Package(
    name: "swift-convnet",
    platforms: [.macOS(.v13)],
    products: [
        .library(name: "ConvNet", targets: ["ConvNet"]),
        .executable(name: "convnet", targets: ["convnet"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-protobuf", from: "1.39.0"),
    ],
    targets: [
        .systemLibrary(
            name: "COpenBLAS", path: "Sources/COpenBLAS", pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(
            name: "CDNNL", path: "Sources/CDNNL",
            providers: [.apt(["libdnnl-dev"]), .brew(["onednn"])]),
        .target(name: "CFusedKernels", path: "Sources/CFusedKernels"),
        .target(
            name: "ConvNetCore",
            dependencies: [
                .target(name: "COpenBLAS", condition: .when(platforms: [.linux])),
                "CDNNL",
                "CFusedKernels",
            ]),
        .systemLibrary(
            name: "CZlib", path: "Sources/CZlib",
            providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(
            name: "CPNG", path: "Sources/CPNG", pkgConfig: "libpng",
            providers: [.apt(["libpng-dev"]), .brew(["libpng"])]),
        .systemLibrary(
            name: "CTurboJPEG", path: "Sources/CTurboJPEG", pkgConfig: "libturbojpeg",
            providers: [.apt(["libturbojpeg0-dev"]), .brew(["jpeg-turbo"])]),
        .target(
            name: "CImageCodecs", dependencies: ["CPNG", "CTurboJPEG"],
            linkerSettings: [.linkedLibrary("png"), .linkedLibrary("turbojpeg")]),
        .target(
            name: "ConvNet",
            dependencies: ["ConvNetCore", "CZlib", "CImageCodecs", .product(name: "SwiftProtobuf", package: "swift-protobuf")],
            // The .protos that Tools/generate_tensorboard_proto.sh and generate_onnx_proto.sh turn into
            // the committed event.pb.swift and onnx.pb.swift.
            exclude: ["Logging/Proto/event.proto", "ONNX/Proto/onnx.proto"]),
        .executableTarget(
            name: "convnet",
            dependencies: ["ConvNet", .product(name: "ArgumentParser", package: "swift-argument-parser")]),
        .testTarget(
            name: "ConvNetTests", dependencies: ["ConvNet"],
            // PyTorch-written weights and logits (Tools/export_reference_models.py), read by path.
            exclude: ["Fixtures"]),
    ]
)
