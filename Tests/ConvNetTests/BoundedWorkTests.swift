import ConvNet
import Foundation
import Testing

/// Work that outside input cannot make unbounded: recursion whose depth the text chooses, loops
/// stepping over floating values, sizes read from a checkpoint or given as options.
@Suite("bounded work: depth, floating loops, sizes from metadata and options", .serialized)
struct BoundedWorkTests {
    static func message(_ body: () throws -> Any) -> String {
        do { _ = try body() } catch let error as ConvNetError { return error.description } catch { return "\(error)" }
        return "no error"
    }

    @Test("--augment: tuples nested past the limit are an error naming the depth, not a stack overflow")
    func augmentNesting() throws {
        let limit = TransformSpec.maximumNesting
        func nested(_ depth: Int) -> String {
            "RandomCrop(8, padding=" + String(repeating: "(", count: depth) + "4" + String(repeating: ")", count: depth) + ")"
        }
        // At the limit the parser still reads the value (and RandomCrop says what is wrong with it).
        #expect(!Self.message { try TransformSpec.parse(nested(limit)) }.contains("nested"))
        for depth in [limit + 1, 100_000] {
            let error = Self.message { try TransformSpec.parse(nested(depth)) }
            #expect(error.hasPrefix("`augment`: tuples nested more than \(limit) deep"), "\(error.prefix(200))")
            #expect(error.count < 300, "the error quotes an excerpt, not the whole text: \(error.count) characters")
        }
        // Unclosed brackets alone.
        #expect(Self.message { try TransformSpec.parse("Pad(" + String(repeating: "[", count: 200_000)) }.contains("nested"))
    }

    @Test("JSON nested 100,000 deep in a safetensors header or checkpoint metadata is an error (Foundation stops at 512)")
    func jsonNesting() throws {
        let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        var header = Array(deep.utf8)
        while header.count % 8 != 0 { header.append(0x20) }
        let file = withUnsafeBytes(of: UInt64(header.count).littleEndian) { Array($0) } + header
        #expect(Self.message { try SafeTensors.decode(Data(file), source: "deep.safetensors") }
                == "safetensors: deep.safetensors: the header is not a JSON object")
        let w = try BadInputMatrixTests.Workspace()
        defer { try? FileManager.default.removeItem(atPath: w.root) }
        var contents = try SafeTensors.read(path: w.checkpoint)
        contents.metadata["options"] = deep
        let path = w.root + "/deep.safetensors"
        try SafeTensors.write(contents, to: path)
        #expect(Self.message { try Checkpoint.load(path: path) } == "checkpoint: \(path): metadata \"options\" is missing or damaged")
    }

    /// A run folder whose metrics.csv has `rows` (train loss, train accuracy, test loss, test accuracy).
    static func runFolder(_ root: String, _ name: String, _ rows: [[String]]) throws -> String {
        let folder = root + "/" + name
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let lines = [EpochMetrics.csvHeader] + rows.enumerated().map { "\($0.offset + 1)," + $0.element.joined(separator: ",") + ",1" }
        try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: URL(fileURLWithPath: folder + "/metrics.csv"))
        return folder
    }

    /// Ten 28×28 gray images, one per class folder: a quick evaluation set for an MNIST checkpoint.
    static func tinyFolder(_ root: String, classes: Int = 10) throws -> String {
        let folder = root + "/tiny"
        for c in 0..<classes {
            try FileManager.default.createDirectory(atPath: folder + "/class\(c)", withIntermediateDirectories: true)
            try Image(width: 28, height: 28, channels: 1, pixels: (0..<784).map { UInt8(($0 * (c + 3)) % 256) })
                .writePNG(path: folder + "/class\(c)/a.png")
        }
        return folder
    }

    @Test("report: curves of values a few ulps apart, all equal, infinite, NaN or spanning ±1e308 are drawn, quickly")
    func degenerateCurves() throws {
        let w = try BadInputMatrixTests.Workspace()
        defer { try? FileManager.default.removeItem(atPath: w.root) }
        let data = try Self.tinyFolder(w.root)
        let runs: [(String, [[String]])] = [
            // Losses one and two ulps above 1 (the tick step underflowed and the loop never ended).
            ("ulps", [["1.0", "50", "1.0000000000000002", "50"], ["1.0000000000000004", "50", "1.0", "50"]]),
            ("equal", [["2.5", "97", "2.5", "97"], ["2.5", "97", "2.5", "97"]]),
            ("non-finite", [["inf", "nan", "-inf", "50"], ["nan", "nan", "1", "-inf"]]),
            ("huge", [["-1e308", "-1e38", "1e308", "1e38"], ["1.7976931348623157e308", "0", "-1.7976931348623157e308", "5e-324"]]),
        ]
        var failures: [String] = []
        for (name, rows) in runs {
            let run = try Self.runFolder(w.root, name, rows), out = w.root + "/report-" + name
            let outcome = try BadInputMatrixTests.convnet(["report", "--checkpoint", w.checkpoint, "--dataset", "folder", "--data", data,
                                                           "--run", run, "--threads", "2", "--out", out])
            if outcome.status != 0 || outcome.signalled {
                failures.append("\(name): exit \(outcome.status) after \(outcome.seconds) s: \(outcome.output.suffix(300))")
                continue
            }
            let html = try String(contentsOfFile: out + "/report.html", encoding: .utf8)
            // Every coordinate is a number: no NaN or infinity reaches the SVG ("nan" or "inf" as a value).
            let value = try NSRegularExpression(pattern: #"[ ,"(]-?(nan|inf)[ ,")]"#)
            if let match = value.firstMatch(in: html, range: NSRange(html.startIndex..., in: html)) {
                failures.append("\(name): a drawn value is not finite: \((html as NSString).substring(with: match.range))")
            }
            if !html.contains("<svg") { failures.append("\(name): no chart drawn") }
        }
        for failure in failures { Issue.record(Comment(rawValue: failure)) }
    }

    @Test("calibration bins take NaN and out-of-range confidences without trapping")
    func calibrationBins() {
        let calibration = Calibration(confidences: [.nan, -.infinity, .infinity, 2, -1, 0.5], correct: [true, false, true, false, true, true], bins: 10)
        #expect(calibration.bins.map(\.count).reduce(0, +) == 6)
    }

    /// The checkpoint of `w` with one metadata field replaced, saved beside it.
    static func edited(_ w: BadInputMatrixTests.Workspace, _ key: String, _ value: String) throws -> String {
        var contents = try SafeTensors.read(path: w.checkpoint)
        contents.metadata[key] = value
        let path = w.root + "/edited-\(key)-\(abs(value.hashValue)).safetensors"
        try SafeTensors.write(contents, to: path)
        return path
    }

    @Test("checkpoint metadata out of range is refused on decode, naming the field, by every command that reads it")
    func checkpointMetadata() throws {
        let w = try BadInputMatrixTests.Workspace()
        defer { try? FileManager.default.removeItem(atPath: w.root) }
        let cases: [(String, String)] = [
            ("input_shape", "[]"), ("input_shape", "[1, 28]"), ("input_shape", "[1, 0, 28]"), ("input_shape", "[2, 28, 28]"),
            ("input_shape", "[1, 100000000, 100000000]"), ("input_shape", "[1, 9223372036854775807, 9223372036854775807]"),
            ("input_shape", "[-1, 28, 28]"),
            ("normalization", #"{"mean": [0.1], "std": [0]}"#), ("normalization", #"{"mean": [0.1, 0.2], "std": [1, 1]}"#),
            ("normalization", #"{"mean": [], "std": []}"#),
            ("class_names", "[]"), ("class_names", #"["a", "a", "b", "c", "d", "e", "f", "g", "h", "i"]"#),
            ("class_names", #"["", "b", "c", "d", "e", "f", "g", "h", "i", "j"]"#),
            ("options", #"{"model": "lenet5", "epochs": 0}"#),
        ]
        var failures: [String] = []
        for (key, value) in cases {
            let path = try Self.edited(w, key, value)
            let library = Self.message { try Checkpoint.load(path: path) }
            if !(library.hasPrefix("checkpoint: \(path): metadata \"\(key)\"") || library.contains("\"\(key)\" is missing or damaged")) {
                failures.append("Checkpoint.load with \(key) = \(value): \(library)")
            }
            // predict for every case; eval and export (the other commands that read the metadata) for one of each field.
            var commands = [["predict", "--model", "lenet5", "--weights", path, w.image]]
            if !cases.prefix { $0 != (key, value) }.contains(where: { $0.0 == key }) {
                commands += [["eval", "--checkpoint", path, "--threads", "2"],
                             ["export", "--model", "lenet5", "--weights", path, "--out", w.root + "/edited.onnx"]]
            }
            for command in commands {
                let outcome = try BadInputMatrixTests.convnet(command)
                if let failure = BadInputMatrixTests.judge("\(command[0]) with \(key) = \(value)", outcome, mustName: [key]) {
                    failures.append(failure)
                }
            }
        }
        for failure in failures { Issue.record(Comment(rawValue: failure)) }
    }

    @Test("--augment that grows images past memory, or past 8192 pixels a side, is refused before the first image")
    func augmentSizes() throws {
        let w = try BadInputMatrixTests.Workspace()
        defer { try? FileManager.default.removeItem(atPath: w.root) }
        let cases: [[String]] = [
            ["train", "--train-limit", "64", "--test-limit", "64", "--threads", "2", "--augment", "Pad(8192)", "--out", w.root + "/a1"],
            ["train", "--train-limit", "64", "--test-limit", "64", "--threads", "2", "--augment", "Pad(4000), CenterCrop(28)",
             "--out", w.root + "/a2"],
            ["train", "--train-limit", "64", "--test-limit", "64", "--threads", "2",
             "--augment", "Pad(3000), Pad(3000), Pad(3000), CenterCrop(28)", "--out", w.root + "/a3"],
            ["train", "--train-limit", "64", "--test-limit", "64", "--threads", "2", "--augment", "Resize(8000), Pad(8000)",
             "--out", w.root + "/a4"],
            ["bench", "loader", "--dataset", "mnist", "--data", w.mnist, "--augment", "Pad(8192)", "--channels", "1", "--epochs", "1"],
        ]
        var failures: [String] = []
        for arguments in cases {
            let outcome = try BadInputMatrixTests.convnet(arguments)
            if let failure = BadInputMatrixTests.judge(arguments.joined(separator: " "), outcome, mustName: ["--augment"]) {
                failures.append(failure)
            }
        }
        // The pipeline's sizes come from its transforms, without transforming anything.
        let plan = try TransformSpec.parse("Pad(4), RandomCrop(30), Resize(60), CenterCrop((20, 10))")
            .footprint(for: ImageSize(height: 28, width: 28))
        #expect(plan.output == ImageSize(height: 20, width: 10) && plan.pixels >= 60 * 60)
        for failure in failures { Issue.record(Comment(rawValue: failure)) }
    }

    @Test("export: --batch and --input whose trace cannot fit are refused before tracing")
    func exportSizes() throws {
        let w = try BadInputMatrixTests.Workspace()
        defer { try? FileManager.default.removeItem(atPath: w.root) }
        let cases: [([String], [String])] = [
            (["--batch", "100000000"], ["--batch"]),
            (["--batch", "9223372036854775807"], ["batch"]),
            (["--batch", "64", "--input", "1x8192x8192"], ["--batch", "--input"]),
            (["--input", "1x100000x100000"], ["--input", "100000"]),
        ]
        var failures: [String] = []
        for (options, expected) in cases {
            let arguments = ["export", "--model", "lenet5", "--out", w.root + "/x.onnx"] + options
            let outcome = try BadInputMatrixTests.convnet(arguments)
            if let failure = BadInputMatrixTests.judge(arguments.joined(separator: " "), outcome, mustName: expected) { failures.append(failure) }
        }
        #expect(!FileManager.default.fileExists(atPath: w.root + "/x.onnx"))
        for failure in failures { Issue.record(Comment(rawValue: failure)) }
    }
}
