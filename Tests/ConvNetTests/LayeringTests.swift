import Foundation
import Testing

/// The targets' layering as Package.swift and docs/architecture.md state it: nothing imports a
/// layer above it, and ONNX's protobuf stays in its own target. Read from the sources, so a file
/// that breaks the rule fails here even where SwiftPM's dependency graph would let it build.
@Suite("architecture: layering")
struct LayeringTests {
    static let sources = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Sources")

    /// Module names each target's Swift files import.
    static func imports(of target: String) throws -> [String: Set<String>] {
        let folder = sources.appendingPathComponent(target)
        var found: [String: Set<String>] = [:]
        let files = FileManager.default.enumerator(atPath: folder.path)?.compactMap { $0 as? String } ?? []
        for file in files where file.hasSuffix(".swift") {
            let text = try String(contentsOf: folder.appendingPathComponent(file), encoding: .utf8)
            for line in text.split(separator: "\n") {
                let words = line.split(separator: " ").filter { !$0.hasPrefix("@") }
                guard words.count >= 2, words[0] == "import" else { continue }
                found[file, default: []].insert(String(words[1]))
            }
        }
        #expect(!found.isEmpty, "no Swift file with imports under \(folder.path)")
        return found
    }

    @Test("each target imports only the layers below it")
    func importsGoDown() throws {
        let above: [String: Set<String>] = [
            "ConvNetCore": ["ConvNet", "ConvNetONNX", "ConvNetHarness", "SwiftProtobuf", "ArgumentParser"],
            "ConvNet": ["ConvNetONNX", "ConvNetHarness", "ArgumentParser"],
            "ConvNetONNX": ["ConvNetHarness", "ArgumentParser"],
            "ConvNetHarness": ["ArgumentParser", "SwiftProtobuf"],
        ]
        for (target, forbidden) in above {
            for (file, modules) in try Self.imports(of: target) {
                #expect(modules.isDisjoint(with: forbidden), "\(target)/\(file) imports \(modules.intersection(forbidden).sorted())")
            }
        }
    }

    @Test("only TensorBoard's event files use swift-protobuf in ConvNet; ONNX's proto lives in ConvNetONNX")
    func protobufStaysPut() throws {
        for (file, modules) in try Self.imports(of: "ConvNet") where modules.contains("SwiftProtobuf") {
            #expect(file.hasPrefix("Logging/"), "ConvNet/\(file) imports SwiftProtobuf")
        }
        let onnx = try Self.imports(of: "ConvNetONNX")
        #expect(onnx.keys.contains("Proto/onnx.pb.swift"))
    }
}
