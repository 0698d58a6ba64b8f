import ConvNet
import ConvNetONNX
import Foundation
import Testing

/// The `convnet` executable end to end (the one `swift build` puts beside the tests): what it
/// prints is compared with what the library computes in-process from the same files.
@Suite("the convnet executable end to end", .serialized)
struct CommandLineTests {
    /// Runs `convnet arguments…`; returns the exit status and stdout and stderr together.
    static func convnet(_ arguments: [String]) throws -> (status: Int32, output: String) {
        try ChildProcess.run(SignalTests.executable, arguments)
    }

    /// The first number after `prefix` on a line of `text` that starts with it.
    static func number(after prefix: String, in text: String) -> Double? {
        let line = text.split(separator: "\n").first { $0.hasPrefix(prefix) }
        return line.flatMap { Double($0.dropFirst(prefix.count).prefix { "0123456789.".contains($0) }) }
    }

    /// `predict`'s lines for one image: (percent, class name, class index) per class, best first.
    static func predictions(of image: String, in text: String) -> [(percent: Double, name: String, index: Int)] {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        guard let start = lines.firstIndex(of: image + ":") else { return [] }
        return lines[(start + 1)...].prefix { $0.hasPrefix(" ") }.compactMap { line in
            // "   93.26%  six (6)"
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            guard let percentEnd = trimmed.firstIndex(of: "%"), let open = trimmed.lastIndex(of: "("),
                  let percent = Double(trimmed[..<percentEnd]),
                  let index = Int(trimmed[trimmed.index(after: open)...].dropLast()) else { return nil }
            let name = trimmed[trimmed.index(after: percentEnd)..<open].trimmingCharacters(in: .whitespaces)
            return (percent, name, index)
        }
    }

    @Test("train → eval → predict on MNIST: the numbers printed are the library's for the files written")
    func trainEvalPredict() throws {
        try #require(FileManager.default.isExecutableFile(atPath: SignalTests.executable), "build convnet first")
        let folder = Fixtures.temporaryFolder("cli")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let run = folder + "/run", checkpoint = folder + "/run/checkpoint.safetensors"

        // train: one epoch on 4,096 images, tested on the first 1,000.
        let (trainStatus, trainText) = try Self.convnet([
            "train", "--train-limit", "4096", "--test-limit", "1000", "--epochs", "1", "--seed", "1",
            "--threads", "2", "--workers", "2", "--data", TrainingTests.mnist, "--out", run])
        try #require(trainStatus == 0, "\(trainText)")
        let printedAccuracy = try #require(Self.number(after: "test accuracy: ", in: trainText), "\(trainText)")
        let csv = try String(contentsOfFile: run + "/metrics.csv", encoding: .utf8).split(separator: "\n")
        #expect(csv.first == "epoch,train_loss,train_accuracy,test_loss,test_accuracy,seconds" && csv.count == 2, "\(csv)")
        let row = csv.last!.split(separator: ",").compactMap { Double($0) }
        #expect(row.count == 6 && row[0] == 1 && abs(row[4] - printedAccuracy) < 0.006, "metrics \(row), printed \(printedAccuracy)")
        #expect(printedAccuracy > 40, "one epoch on 4,096 images learns something: \(printedAccuracy) %")

        // The checkpoint, loaded in-process, reproduces the test accuracy of the first 1,000 images.
        let model = try Classifier.load(model: "lenet5", weights: Classifier.weights(path: checkpoint))
        let test = try MNIST.load(directory: TrainingTests.mnist, split: .test)
        let first1000 = try evaluate(model, on: DataLoader(test.prefix(1000), batchSize: 500, shuffle: false, normalization: .mnist))
        #expect(abs(first1000.accuracy - printedAccuracy) < 0.006, "in-process \(first1000.accuracy), train printed \(printedAccuracy)")

        // eval: the whole test split, as the library evaluates it.
        let (evalStatus, evalText) = try Self.convnet(["eval", "--checkpoint", checkpoint, "--data", TrainingTests.mnist,
                                                       "--threads", "2", "--workers", "2"])
        try #require(evalStatus == 0, "\(evalText)")
        let all = try evaluate(model, on: DataLoader(test, batchSize: 500, shuffle: false, normalization: .mnist))
        #expect(evalText.contains("model: lenet5") && evalText.contains("10000 test images") && evalText.contains("epochs trained: 1"),
                "\(evalText)")
        let evalAccuracy = try #require(Self.number(after: "test accuracy: ", in: evalText), "\(evalText)")
        let evalLoss = try #require(Self.number(after: "test loss: ", in: evalText), "\(evalText)")
        #expect(abs(evalAccuracy - all.accuracy) < 0.006 && abs(evalLoss - all.loss) < 6e-5,
                "eval printed \(evalLoss) / \(evalAccuracy) %, in-process \(all.loss) / \(all.accuracy) %")

        // predict: six test digits as PNG files; the top 3 printed are the softmax of the model's
        // logits for the normalised pixels, names from the checkpoint (MNIST's digits).
        let indices = [0, 1, 2, 3, 4, 7]
        var images: [String] = []
        for i in indices {
            let path = "\(folder)/digit\(i).png"
            try test.image(at: i).writePNG(path: path)
            images.append(path)
        }
        var pixels: [Float] = []
        for i in indices {
            for byte in test.pixels[(i * 784)..<((i + 1) * 784)] { pixels.append((Float(byte) / 255 - 0.1307) / 0.3081) }
        }
        let logits = try withNoGrad { try model(Tensor(shape: [indices.count, 1, 28, 28], scalars: pixels)) }
        let expected = try Classifier.topK(logits, k: 3, classNames: MNIST.digitNames)
        let (predictStatus, predictText) = try Self.convnet(["predict", "--model", "lenet5", "--weights", checkpoint,
                                                             "--top", "3", "--threads", "2"] + images)
        try #require(predictStatus == 0, "\(predictText)")
        for (image, want) in zip(images, expected) {
            let got = Self.predictions(of: image, in: predictText)
            let (gotIndices, gotNames) = (got.map { $0.index }, got.map { $0.name })
            let (wantIndices, wantNames) = (want.map { $0.classIndex }, want.map { $0.className })
            #expect(gotIndices == wantIndices && gotNames == wantNames, "\(image): \(predictText)")
            #expect(zip(got, want).allSatisfy { abs($0.percent - 100 * $1.probability) < 0.006 }, "\(image): \(predictText)")
        }
        try Self.checkPredictJSON(checkpoint: checkpoint, images: images, expected: expected)
        try Self.checkEvalJSON(checkpoint: checkpoint, model: model, test: test)

        // The same weights as a plain state dict (what PyTorch's save_file writes): the same
        // model in-process, the same predictions printed (names from --dataset or a label file).
        let plain = folder + "/plain.safetensors"
        try SafeTensors.write(.init(tensors: model.stateDict()), to: plain)
        let fromPlain = try Classifier.load(model: "lenet5", weights: Classifier.weights(path: plain))
        let plainLogits = try withNoGrad { try fromPlain(Tensor(shape: [indices.count, 1, 28, 28], scalars: pixels)) }
        #expect(plainLogits.scalars == logits.scalars)
        #expect(Classifier.weights(try SafeTensors.read(path: checkpoint)).keys.sorted() == fromPlain.stateDict().map(\.name).sorted(),
                "the checkpoint's tensors, its optimizer slots dropped, are the state dict")
        let (plainStatus, plainText) = try Self.convnet(["predict", "--model", "lenet5", "--weights", plain, "--dataset", "mnist",
                                                         "--top", "3", "--threads", "2"] + images)
        #expect(plainStatus == 0 && plainText == predictText, "\(plainText)")
        let names = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
        try (names.joined(separator: "\n") + "\n").write(toFile: folder + "/names.txt", atomically: true, encoding: .utf8)
        let (namedStatus, namedText) = try Self.convnet(["predict", "--model", "lenet5", "--weights", plain, "--labels",
                                                         folder + "/names.txt", "--top", "1", "--threads", "2"] + images)
        #expect(namedStatus == 0, "\(namedText)")
        for (image, want) in zip(images, expected) {
            let got = Self.predictions(of: image, in: namedText)
            #expect(got.count == 1 && got.first?.name == names[want[0].classIndex] && got.first?.index == want[0].classIndex,
                    "\(image): \(namedText)")
        }
    }

    @Test("summary: --input C×H×W in its three spellings; malformed shapes are one error line and a non-zero exit")
    func summaryShapes() throws {
        try #require(FileManager.default.isExecutableFile(atPath: SignalTests.executable), "build convnet first")
        var outputs: [String] = []
        for spelling in ["3x64x64", "3×64×64", "3,64,64"] {
            let (status, text) = try Self.convnet(["summary", "resnet18", "--input", spelling, "--json"])
            #expect(status == 0, "\(spelling): \(text)")
            outputs.append(text)
        }
        #expect(Set(outputs).count == 1, "the three spellings give different summaries")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(outputs[0].utf8)) as? [String: Any])
        let layers = try #require(json["layers"] as? [[String: Any]])
        func shape(_ name: String) -> [Int]? { layers.first { $0["name"] as? String == name }?["output_shape"] as? [Int] }
        // 64×64 through ResNet-18: the stem halves twice (32, 16), then layers 2–4 halve again (8, 4, 2).
        #expect(json["input_shape"] as? [Int] == [3, 64, 64])
        #expect(shape("conv1") == [64, 32, 32] && shape("maxpool") == [64, 16, 16] && shape("layer4.1.bn2") == [512, 2, 2]
                && shape("avgpool") == [512, 1, 1] && shape("fc") == [1000], "\(layers.map { ($0["name"]!, $0["output_shape"]!) })")
        #expect(json["total_params"] as? Int == 11_689_512)
        // The default is the model's own input.
        let (_, lenet) = try Self.convnet(["summary", "lenet5", "--json"])
        let lenetJSON = try JSONSerialization.jsonObject(with: Data(lenet.utf8)) as? [String: Any]
        #expect(lenetJSON?["input_shape"] as? [Int] == [1, 28, 28], "\(lenet)")

        for bad in ["3x64", "3x64x64x2", "3xax64", "0x64x64", "3x-64x64", "", "3x64x"] {
            let (status, text) = try Self.convnet(["summary", "resnet18", "--input", bad])
            #expect(status != 0, "--input \"\(bad)\" was accepted: \(text)")
            #expect(text.hasPrefix("Error: --input \(bad): expected three positive sizes C×H×W"), "\(bad): \(text)")
            #expect(!text.contains("Fatal error") && !text.contains("crashed"), "\(bad): \(text)")
        }
        // Well-formed, but not what the model takes: an error naming the channel mismatch.
        let (status, text) = try Self.convnet(["summary", "resnet18", "--input", "1x28x28"])
        #expect(status != 0 && text.hasPrefix("Error:") && text.contains("channels") && !text.contains("crashed"), "\(text)")
    }

    @Test("summary --graph: prints the traced graph of a zoo or ONNX model; an ONNX graph with no input, symbolic sizes or --json is one error line")
    func summaryGraph() throws {
        try #require(FileManager.default.isExecutableFile(atPath: SignalTests.executable), "build convnet first")
        let (status, text) = try Self.convnet(["summary", "lenet5", "--graph"])
        // The first block is one fused node where the CPU runs the fused kernel, else three.
        let result = ConvPoolReLUPath.avx512Available ? "%9" : "%11"
        #expect(status == 0 && text.hasPrefix("graph(%x: [1, 1, 28, 28])") && text.contains("return \(result)\n"), "\(text)")
        let tiny = ONNXImportTests.folder.appendingPathComponent("tinycnn.onnx").path
        let (onnxStatus, onnxText) = try Self.convnet(["summary", "--onnx", tiny, "--graph"])
        #expect(onnxStatus == 0 && onnxText.contains("= softmax(%11; dim 1)  [1, 5]"), "\(onnxText)")

        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("convnet-graph-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let relu = ONNXTestProto.node("Relu", ["x"], ["y"])
        let noInput = folder.appendingPathComponent("no-input.onnx")
        try ONNXTestProto.model(nodes: [ONNXTestProto.node("Constant", [], ["y"], [.tensor("value", ONNXTestProto.tensor("c", [1], [1]))])],
                                inputs: [], outputs: [ONNXTestProto.value("y", [1])]).write(to: noInput)
        let symbolic = folder.appendingPathComponent("symbolic.onnx")
        try ONNXTestProto.model(nodes: [relu], inputs: [ONNXTestProto.value("x", [nil, 3, nil, nil])],
                                outputs: [ONNXTestProto.value("y", [nil, 3, nil, nil])]).write(to: symbolic)
        for (arguments, words) in [(["summary", "--onnx", noInput.path, "--graph"], "input"),
                                   (["summary", "--onnx", symbolic.path, "--graph"], "give --input"),
                                   (["summary", "lenet5", "--graph", "--json"], "--graph or --json")] {
            let (status, text) = try Self.convnet(arguments)
            #expect(status != 0 && text.hasPrefix("Error:") && text.contains(words) && !text.contains("crashed"), "\(arguments): \(text)")
        }
        // With --input, the symbolic model traces at that size.
        let (sized, sizedText) = try Self.convnet(["summary", "--onnx", symbolic.path, "--graph", "--input", "3x4x5"])
        #expect(sized == 0 && sizedText.contains("%0 = relu(%x)  [1, 3, 4, 5]"), "\(sizedText)")
    }
}
