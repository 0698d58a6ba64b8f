// swift-tools-version: 6.0
import Foundation
import PackageDescription

// SwiftPM names a package given by path after its folder (the clone's name, "swift-convnet" or another).
let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().lastPathComponent

// libFuzzer targets for the parsers of outside bytes that live in Swift (CIFAR batches, the
// --augment syntax and the transforms it builds, the image decoders through Image.decode).
// A package of its own, because a fuzzer has no main and is built with the sanitizers:
//   make fuzz            (builds, then runs each for FUZZ_SECONDS, default 60)
let package = Package(
    name: "convnet-fuzz",
    dependencies: [.package(path: "..")],
    targets: [
        .executableTarget(
            name: "DataFuzzer",
            dependencies: [.product(name: "ConvNet", package: root)],
            swiftSettings: [.unsafeFlags(["-parse-as-library"])]),
    ]
)
