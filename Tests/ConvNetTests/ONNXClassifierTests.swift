import ConvNet
import ConvNetONNX
import Foundation
import Testing

/// ONNX files used as image classifiers by predict, eval and bench (issue 22): a graph whose output
/// is not `[N, classes]` is refused at load; what `convnet export` records of a checkpoint
/// (normalisation, class names, input shape) is read back — and checked like any other bytes of
/// the file; a graph of fixed batch size is fed batches of that size.
@Suite("ONNX classifiers: outputs checked, metadata recorded and read, fixed batches fed", .serialized)
struct ONNXClassifierTests {
    typealias P = ONNXTestProto

    /// x [N, 1, 4, 4] flattened, then Gemm to `classes` outputs (weights 0.01·i), with `metadata`.
    static func classifier(classes: Int = 3, batch: Int? = nil, metadata: [(String, String)] = []) -> Data {
        P.model(nodes: [P.node("Flatten", ["x"], ["f"], name: "flat"), P.node("Gemm", ["f", "w", "b"], ["y"], name: "fc", [.int("transB", 1)])],
                initializers: [P.tensor("w", [classes, 16], (0..<(16 * classes)).map { Float($0 % 7) * 0.01 - 0.02 }),
                               P.tensor("b", [classes], (0..<classes).map { Float($0) * 0.1 })],
                inputs: [P.value("x", [batch, 1, 4, 4])], outputs: [P.value("y", [batch, classes])], metadata: metadata)
    }

    /// The error `imageClassifier()` gives for `data` (nil when it is a classifier), loading errors included.
    static func classifierError(_ data: Data) -> String? {
        do {
            _ = try ONNXModel(serializedData: data, source: "bad.onnx").imageClassifier()
            return nil
        } catch {
            return "\(error)"
        }
    }

    static let input = P.value("x", [nil, 1, 4, 4])

    /// Graphs that are not image classifiers, and what their refusal says.
    static let notClassifiers: [(name: String, model: Data, says: String)] = [
        ("its input as output", P.model(nodes: [], inputs: [input], outputs: [P.value("x", [nil, 1, 4, 4])]), "passes its input"),
        ("input only reshaped", P.model(nodes: [P.node("Flatten", ["x"], ["y"])], inputs: [input], outputs: [P.value("y", [nil, 16])]),
         "without any weights"),
        ("a constant", P.model(nodes: [P.node("Relu", ["x"], ["r"])], initializers: [P.tensor("y", [1, 3], [1, 2, 3])], inputs: [input],
                               outputs: [P.value("y", [1, 3])]), "is a constant"),
        ("rank 4", P.model(nodes: [P.node("Conv", ["x", "w"], ["y"])], initializers: [P.tensor("w", [2, 1, 1, 1], [1, 2])], inputs: [input],
                           outputs: [P.value("y", [nil, 2, 4, 4])]), "is [1, 2, 4, 4] for a batch of 1; a classifier's is [1, classes]"),
        ("one class", classifier(classes: 1), "1 class"),
    ]

    @Test("a graph whose output is not [N, classes] is refused as a classifier: wrong rank, its input, a constant, one class")
    func outputsChecked() throws {
        for (name, model, says) in Self.notClassifiers {
            let message = try #require(Self.classifierError(model), "\(name) taken as a classifier")
            #expect(message.contains(says), "\(name): \(message)")
        }
        let good = try ONNXModel(serializedData: Self.classifier(classes: 3)).imageClassifier()
        #expect(good.inputShape == [1, 4, 4] && good.classes == 3)
    }

    @Test("predict, eval and bench --onnx refuse a graph that does not classify with one error line")
    func commandsRefuseNonClassifiers() throws {
        let dir = Fixtures.temporaryFolder("onnx-not-classifiers")
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let image = dir + "/gray.png"
        try Image(width: 4, height: 4, channels: 1, pixels: [UInt8](repeating: 90, count: 16)).writePNG(path: image)
        for (i, (name, model, _)) in Self.notClassifiers.enumerated() {
            let path = dir + "/\(i).onnx"
            try model.write(to: URL(fileURLWithPath: path))
            for arguments in [["predict", "--onnx", path, image], ["eval", "--onnx", path, "--dataset", "mnist"],
                              ["bench", "model", "--onnx", path]] {
                let outcome = try BadInputMatrixTests.convnet(arguments)
                let failure = BadInputMatrixTests.judge("\(arguments[0]) on \(name)", outcome, mustName: [path])
                #expect(failure == nil, "\(failure ?? "")")
            }
        }
    }

    @Test("--onnx on a missing, folder, FIFO, empty, truncated or non-ONNX file: one error line from predict, eval, summary and bench")
    func badFilesEveryCommand() throws {
        let dir = Fixtures.temporaryFolder("onnx-bad-files")
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let fm = FileManager.default
        let image = dir + "/gray.png"
        try Image(width: 4, height: 4, channels: 1, pixels: [UInt8](repeating: 90, count: 16)).writePNG(path: image)
        let valid = try Data(contentsOf: ONNXImportTests.folder.appendingPathComponent("tinycnn.onnx"))
        var failures: [String] = []
        for kind in BadInputMatrixTests.BadKind.allCases {
            let path = dir + "/\(kind).onnx"
            switch kind {
            case .missing: break
            case .directory: try fm.createDirectory(atPath: path, withIntermediateDirectories: true)
            case .fifo: #expect(mkfifo(path, 0o600) == 0)
            case .empty: #expect(fm.createFile(atPath: path, contents: Data()))
            case .truncated: #expect(fm.createFile(atPath: path, contents: valid.prefix(valid.count / 2)))
            case .wrongFormat: try fm.copyItem(atPath: image, toPath: path)
            }
            for arguments in [["predict", "--onnx", path, image], ["eval", "--onnx", path, "--dataset", "mnist"],
                              ["summary", "--onnx", path], ["bench", "model", "--onnx", path]] {
                let outcome = try BadInputMatrixTests.convnet(arguments)
                if let failure = BadInputMatrixTests.judge("\(arguments[0]) × \(kind)", outcome, mustName: [path]) { failures.append(failure) }
            }
        }
        for failure in failures { Issue.record(Comment(rawValue: failure)) }
    }

    @Test("--mean/--std that are not one finite number per channel, a std of 0, or one without the other: one error line")
    func absurdNormalizations() throws {
        let dir = Fixtures.temporaryFolder("onnx-normalization")
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (model, image) = (dir + "/model.onnx", dir + "/gray.png")
        try Self.classifier().write(to: URL(fileURLWithPath: model))
        try Image(width: 4, height: 4, channels: 1, pixels: [UInt8](repeating: 90, count: 16)).writePNG(path: image)
        let good = try CommandLineTests.convnet(["predict", "--onnx", model, "--mean", "0.5", "--std", "0.25", image])
        #expect(good.status == 0, "\(good.output)")
        let cases: [[String]] = [["--mean", "nan", "--std", "1"], ["--mean", "0.5", "--std", "0"], ["--mean", "1e999", "--std", "1"],
                                 ["--mean", "0.5", "--std", "-1"], ["--mean", "0.5"], ["--std", "0.5"], ["--mean", "zero", "--std", "1"],
                                 ["--mean", "0.1,0.2,0.3,0.4", "--std", "1,1,1,1"], ["--mean", "0.1,0.2,0.3", "--std", "1,1,1"],
                                 ["--mean", "0.1,0.2", "--std", "1"]]
        var failures: [String] = []
        for options in cases {
            let outcome = try BadInputMatrixTests.convnet(["predict", "--onnx", model] + options + [image])
            if let failure = BadInputMatrixTests.judge("predict \(options)", outcome, mustName: ["--mean", "--std"]) { failures.append(failure) }
        }
        let checkpoint = try BadInputMatrixTests.convnet(["eval", "--checkpoint", model, "--mean", "0.5", "--std", "0.25"])
        if let failure = BadInputMatrixTests.judge("eval --checkpoint --mean", checkpoint, mustName: ["--mean"]) { failures.append(failure) }
        for failure in failures { Issue.record(Comment(rawValue: failure)) }
    }

    // MARK: - Metadata

    static let goodMetadata = [("convnet.mean", "[0.5]"), ("convnet.std", "[0.25]"), ("convnet.class_names", "[\"cat\", \"dog\", \"emu\"]"),
                               ("convnet.input_shape", "[1, 4, 4]"), ("other.key", "left alone")]

    @Test("metadata is read and checked like the rest of the file: counts, JSON, finite numbers, std above 0, names, lengths")
    func hostileMetadata() throws {
        let model = try ONNXModel(serializedData: Self.classifier(metadata: Self.goodMetadata))
        #expect(model.metadata == ONNXClassifierMetadata(normalization: Normalization(mean: [0.5], std: [0.25]),
                                                         classNames: ["cat", "dog", "emu"], inputShape: [1, 4, 4]))
        #expect(try model.imageClassifier().classes == 3)
        #expect(try ONNXModel(serializedData: Self.classifier()).metadata.isEmpty)
        func with(_ key: String, _ value: String) -> [(String, String)] { Self.goodMetadata.filter { $0.0 != key } + [(key, value)] }
        let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        let cases: [(String, [(String, String)], String)] = [
            ("two channels", with("convnet.mean", "[0.5, 0.5]") + [], "give one per channel"),
            ("three channels for one", with("convnet.mean", "[0.5, 0.5, 0.5]").filter { $0.0 != "convnet.std" } + [("convnet.std", "[1, 1, 1]")], "has 3 values but the input has 1 channels"),
            ("overflowing", with("convnet.mean", "[1e999]"), "not a JSON array of numbers"),
            ("beyond float", with("convnet.mean", "[1e300]"), "must be a finite number"),
            ("not JSON", with("convnet.std", "[NaN]"), "not a JSON array of numbers"),
            ("zero std", with("convnet.std", "[0]"), "above 0"),
            ("negative std", with("convnet.std", "[-0.2]"), "above 0"),
            ("std underflowing", with("convnet.std", "[1e-50]"), "above 0"),
            ("mean alone", Self.goodMetadata.filter { $0.0 != "convnet.std" }, "is given without \"convnet.std\""),
            ("absurd length", with("convnet.class_names", "[" + String(repeating: "\"x\",", count: 600_000) + "\"x\"]"), "bytes long"),
            ("twice", Self.goodMetadata + [("convnet.mean", "[0.5]")], "is given twice"),
            ("four names", with("convnet.class_names", "[\"a\", \"b\", \"c\", \"d\"]"), "names 4 classes but the output has 3"),
            ("empty name", with("convnet.class_names", "[\"a\", \"\", \"c\"]"), "name 1"),
            ("two-line name", with("convnet.class_names", "[\"a\", \"b\\nError: forged\", \"c\"]"), "name 1"),
            ("numbers for names", with("convnet.class_names", "[1, 2, 3]"), "not a JSON array of strings"),
            ("deep nesting", with("convnet.class_names", deep), "not a JSON array of strings"),
            ("other size", with("convnet.input_shape", "[1, 5, 5]"), "is [1, 5, 5] but the graph's input is [1, 4, 4]"),
            ("two channels shape", with("convnet.input_shape", "[2, 4, 4]"), "expected [C, H, W]"),
        ]
        for (name, metadata, says) in cases {
            let message = try #require(Self.classifierError(Self.classifier(metadata: metadata)), "\(name) accepted")
            #expect(message.contains("bad.onnx: metadata \"convnet.") && message.contains(says) && message.count < 1000 && !message.contains("\n"),
                    "\(name): \(message.prefix(400))")
        }
    }

    @Test("a graph of fixed batch size runs any batch in pieces of its size, the last padded, eagerly and frozen")
    func fixedBatchPieces() throws {
        let (fixed, dynamic) = (try ONNXModel(serializedData: Self.classifier(batch: 3)).module(),
                                try ONNXModel(serializedData: Self.classifier()).module())
        for n in [1, 3, 7] {
            let x = try Tensor(shape: [n, 1, 4, 4], scalars: (0..<(16 * n)).map { Float($0 % 11) - 5 })
            let expected = try withNoGrad { try dynamic(x) }
            #expect(try ONNXImportTests.relativeError(try withNoGrad { try fixed(x) }, expected) < 1e-6)
            #expect(try ONNXImportTests.relativeError(try fixed.frozen()(x), expected) < 1e-6)
        }
    }

    // MARK: - Command line: export records what the checkpoint knew

    @Test("export writes the checkpoint's normalisation, class names and input size; predict and eval --onnx give the checkpoint's numbers, at any batch")
    func exportedFileKnowsItsCheckpoint() throws {
        let dir = Fixtures.temporaryFolder("onnx-metadata")
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        // A folder of 3 × 10 gray images, trained on briefly (6 held out for evaluation).
        let images = dir + "/images"
        for c in 0..<3 {
            try FileManager.default.createDirectory(atPath: images + "/class\(c)", withIntermediateDirectories: true)
            for i in 0..<10 {
                try Image(width: 28, height: 28, channels: 1, pixels: (0..<784).map { UInt8((c * 70 + ($0 * (i + 2)) % 90) % 256) })
                    .writePNG(path: images + "/class\(c)/\(i).png")
            }
        }
        var options = TrainingOptions()
        (options.dataset, options.epochs, options.batchSize, options.threads) = ("folder", 1, 8, 2)
        let trainer = try Trainer(options: options, dataDirectory: images, outputDirectory: dir + "/run")
        _ = try trainer.run()
        // Statistics other than the folder's own and names of its own, so that only the file can tell them.
        var saved = try Checkpoint.load(path: trainer.checkpointPath)
        saved.normalization = Normalization(mean: [0.45], std: [0.2])
        saved.classNames = ["cat", "dog", "emu"]
        let checkpoint = dir + "/checkpoint.safetensors"
        try saved.save(to: checkpoint)
        let (dynamic, fixed) = (dir + "/dynamic.onnx", dir + "/fixed.onnx")
        for (path, batch) in [(dynamic, "dynamic"), (fixed, "4")] {
            let export = try CommandLineTests.convnet(["export", "--model", "lenet5", "--weights", checkpoint, "--out", path, "--batch", batch])
            try #require(export.status == 0, "\(export.output)")
        }
        let written = try ONNXModelDescription(path: dynamic).metadata
        #expect(written == ["convnet.mean": "[0.45]", "convnet.std": "[0.2]", "convnet.input_shape": "[1, 28, 28]",
                            "convnet.class_names": "[\"cat\",\"dog\",\"emu\"]"], "\(written)")

        // eval: the checkpoint's loss and accuracy from either file (the fixed one fed 4 images at a time, the last batch padded).
        func evaluation(_ arguments: [String]) throws -> (loss: Double, accuracy: Double) {
            let run = try CommandLineTests.convnet(["eval", "--json", "--data", images] + arguments)
            try #require(run.status == 0, "\(run.output)")
            let json = try #require(run.output.split(separator: "\n").last { $0.hasPrefix("{") })
            let object = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
            return (try #require(object["loss"] as? Double), try #require(object["accuracy"] as? Double))
        }
        let own = try evaluation(["--checkpoint", checkpoint])
        for file in [dynamic, fixed] {
            let onnx = try evaluation(["--onnx", file, "--dataset", "folder"])
            #expect(onnx.accuracy == own.accuracy && abs(onnx.loss - own.loss) < 1e-5, "\(file): \(onnx) against the checkpoint's \(own)")
        }
        let folderStatistics = try evaluation(["--onnx", dynamic, "--dataset", "folder", "--mean", "0.5", "--std", "0.3"])
        #expect(abs(folderStatistics.loss - own.loss) > 1e-3, "--mean/--std ignored: \(folderStatistics) against \(own)")

        // predict: the checkpoint's classes, names and probabilities, from either file; --mean/--std override the file's.
        let inputs = [images + "/class0/0.png", images + "/class2/9.png"]
        func predictions(_ arguments: [String]) throws -> [[(label: String, probability: Double)]] {
            let run = try CommandLineTests.convnet(["predict", "--json", "--top", "3"] + arguments + inputs)
            try #require(run.status == 0, "\(run.output)")
            let results = try #require(try JSONSerialization.jsonObject(with: Data(run.output.utf8)) as? [[String: Any]])
            return results.map { ($0["top"] as? [[String: Any]] ?? []).map { ($0["label"] as? String ?? "", $0["probability"] as? Double ?? -1) } }
        }
        func same(_ a: [[(label: String, probability: Double)]], _ b: [[(label: String, probability: Double)]], labels: Bool = true) -> Bool {
            a.count == b.count && zip(a, b).allSatisfy { x, y in
                x.count == y.count && zip(x, y).allSatisfy { (!labels || $0.label == $1.label) && abs($0.probability - $1.probability) < 1e-5 }
            }
        }
        let expected = try predictions(["--model", "lenet5", "--weights", checkpoint])
        #expect(expected.first?.first.map { saved.classNames!.contains($0.label) } == true, "\(expected)")
        for file in [dynamic, fixed] {
            let got = try predictions(["--onnx", file])
            #expect(same(got, expected), "\(file): \(got) against the checkpoint's \(expected)")
        }
        // Explicit statistics come before the file's: MNIST's give other probabilities.
        let explicit = try predictions(["--onnx", dynamic, "--mean", "0.1307", "--std", "0.3081"])
        #expect(!same(explicit, expected, labels: false), "\(explicit)")
        let bad = try CommandLineTests.convnet(["predict", "--onnx", dynamic, "--mean", "0.1,0.2,0.3", "--std", "1,1,1"] + inputs)
        #expect(bad.status != 0 && bad.output.contains("Error:") && bad.output.contains("1 channels"), "\(bad.output)")
    }
}
