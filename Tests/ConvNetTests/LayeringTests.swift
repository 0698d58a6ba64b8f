import ConvNet
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

@Suite("architecture: library messages name settings, not flags")
struct SettingNamesTests {
    @Test("no string literal in the libraries names a command-line flag")
    func noFlagsInLibraries() throws {
        // A quoted string with `--word` not preceded by a letter, digit or hyphen.
        let flag = try NSRegularExpression(pattern: #""[^"]*(?<![\w-])--[a-z][a-z-]*"#)
        for target in ["ConvNetCore", "ConvNet", "ConvNetONNX", "ConvNetHarness"] {
            let folder = LayeringTests.sources.appendingPathComponent(target)
            let files = FileManager.default.enumerator(atPath: folder.path)?.compactMap { $0 as? String } ?? []
            for file in files where file.hasSuffix(".swift") && !file.hasSuffix(".pb.swift") {
                let text = try String(contentsOf: folder.appendingPathComponent(file), encoding: .utf8)
                for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated()
                where !line.trimmingCharacters(in: .whitespaces).hasPrefix("//") {
                    let text = String(line)
                    #expect(flag.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) == nil, "\(target)/\(file):\(number + 1) names a flag: \(line.trimmingCharacters(in: .whitespaces).prefix(160))")
                }
            }
        }
    }

    @Test("renamingSettings replaces the backticked settings it knows and leaves other text alone")
    func renaming() {
        let names = ["batchSize": "--batch-size", "outputDirectory": "--out"]
        let error = ConvNetError(op: "`outputDirectory`", "`batchSize` 0 must lie in 1…1,048,576; `seed` and `batchSize` again; a lone ` stays")
        let renamed = error.renamingSettings(names)
        #expect(renamed.op == "--out")
        #expect(renamed.message == "--batch-size 0 must lie in 1…1,048,576; `seed` and --batch-size again; a lone ` stays")
        #expect(renamed.kind == error.kind)
        #expect(ConvNetError.renamingSettings(in: "no settings here", names) == "no settings here")
    }
}
