// swift-tools-version: 6.0
import Foundation
import PackageDescription

// Layers, bottom to top:
//   COpenBLAS, CDNNL      system libraries (BLAS and oneDNN C APIs); CZlib (gzip) for data files;
//   CPNG, CTurboJPEG      libpng and libjpeg-turbo's TurboJPEG, used only by CImageCodecs
//   CFusedKernels         our C kernels for fused steps no library offers (AVX-512 chosen at run time)
//   CImageCodecs          our C PNG/JPEG decoding (PIL's conversions) over CPNG and CTurboJPEG
//   ConvNetCore           tensors, autodiff, operators, CPU backends; imports nothing above it
//   ConvNet               the library users import (re-exports the core; nn/optim/data/models/training
//                         build here; TensorBoard event files through swift-protobuf)
//   ConvNetONNX           ONNX import and export (ONNX's protobuf through swift-protobuf) over ConvNet
//   ConvNetHarness        benchmarks and the ONNX conformance harness, for the CLI and the tests
//   convnet               the command-line tool, a thin shell over the three libraries above
//   CMPI                  Open MPI's C API (data-parallel training), only where it is installed

/// Open MPI is optional: when pkg-config's `ompi-c` is missing (or CONVNET_MPI=0), the library
/// builds without the CMPI target and `MPICommunicator` reports that MPI is missing. After
/// installing Open MPI into an existing checkout, `touch Package.swift` so SwiftPM reads this again.
let mpiAvailable: Bool = {
    let environment = ProcessInfo.processInfo.environment
    if environment["CONVNET_MPI"] == "0" { return false }
    let folders = (environment["PKG_CONFIG_PATH"] ?? "").split(separator: ":").map(String.init) + [
        "/usr/lib/x86_64-linux-gnu/pkgconfig", "/usr/lib/aarch64-linux-gnu/pkgconfig", "/usr/lib/pkgconfig",
        "/usr/lib64/pkgconfig", "/usr/local/lib/pkgconfig", "/opt/homebrew/lib/pkgconfig", "/usr/share/pkgconfig",
    ]
    return folders.contains { FileManager.default.fileExists(atPath: $0 + "/ompi-c.pc") }
}()
let mpiTargets: [Target] = mpiAvailable
    ? [.systemLibrary(name: "CMPI", path: "Sources/CMPI", pkgConfig: "ompi-c",
                      providers: [.apt(["libopenmpi-dev"]), .brew(["open-mpi"])])]
    : []

let package = Package(
    name: "swift-convnet",
    platforms: [.macOS(.v13)],
    products: [
        .library(name: "ConvNet", targets: ["ConvNet"]),
        .library(name: "ConvNetONNX", targets: ["ConvNetONNX"]),
        .library(name: "ConvNetHarness", targets: ["ConvNetHarness"]),
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
            dependencies: ["ConvNetCore", "CZlib", "CImageCodecs", .product(name: "SwiftProtobuf", package: "swift-protobuf")]
                + (mpiAvailable ? ["CMPI"] : []),
            // The .proto that Tools/generate_tensorboard_proto.sh turns into the committed event.pb.swift.
            exclude: ["Logging/Proto/event.proto"],
            swiftSettings: mpiAvailable ? [.define("CONVNET_MPI")] : []),
        .target(
            name: "ConvNetONNX",
            dependencies: ["ConvNet", .product(name: "SwiftProtobuf", package: "swift-protobuf")],
            // The .proto that Tools/generate_onnx_proto.sh turns into the committed onnx.pb.swift.
            exclude: ["Proto/onnx.proto"]),
        .target(
            name: "ConvNetHarness",
            dependencies: ["ConvNet", "ConvNetONNX"]),
        .executableTarget(
            name: "convnet",
            dependencies: [
                "ConvNet", "ConvNetONNX", "ConvNetHarness",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),
        .testTarget(
            name: "ConvNetTests", dependencies: ["ConvNet", "ConvNetONNX", "ConvNetHarness"],
            // PyTorch-written weights and logits (Tools/export_reference_models.py), read by path.
            exclude: ["Fixtures"]),
    ] + mpiTargets
)
