import ConvNet
import ConvNetONNX
import Foundation
import Testing

@Suite("ONNX round trip: a model exported by us and imported by us gives its own logits")
struct ONNXRoundTripTests {
    @Test("zoo models exported with a dynamic batch, imported, eager and frozen, at two batch sizes", arguments: [
        ("lenet5", [1, 28, 28]), ("resnet20", [3, 32, 32]), ("googlenet", [3, 64, 64]), ("resnet18", [3, 32, 32]),
        ("mobilenet_v2", [3, 32, 32]), ("mobilenet_v3_small", [3, 32, 32]), ("efficientnet_b0", [3, 32, 32]),
        ("shufflenet_v2_x0_5", [3, 32, 32]), ("densenet121", [3, 32, 32]), ("squeezenet1_1", [3, 64, 64]),
    ])
    func roundTrip(name: String, shape: [Int]) throws {
        let model = try GlobalGenerator.seeded(0) { try ModelZoo.make(name) }
        randomizeBatchNorms(model, seed: 1)
        model.eval()
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("roundtrip-\(name)-\(UUID()).onnx").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try model.exportONNX(to: path, inputShape: shape, batch: .dynamic)
        let imported = try ONNXModel(contentsOf: path).module()
        imported.eval()
        let frozen = try imported.frozen()
        var gen = RandomGenerator(seed: 2)
        for batch in [2, 3, 2, 2] {
            let x = Tensor.randn([batch] + shape, generator: &gen)
            let ours = try withNoGrad { try model(x) }
            let eager = try withNoGrad { try imported(x) }
            #expect(eager.shape == ours.shape && relativeDifference(eager, ours) <= 1e-5, "\(name) eager batch \(batch)")
            #expect(relativeDifference(try frozen(x), ours) <= 1e-4, "\(name) frozen batch \(batch)")
        }
    }
}

@Suite("convnet eval --onnx", .serialized)
struct ONNXEvalCommandTests {
    @Test("an exported LeNet-5 judged by eval --onnx on CIFAR images (resized to 28×28, gray) scores what the zoo model scores in-process")
    func evalMatchesLibrary() throws {
        try #require(FileManager.default.isExecutableFile(atPath: SignalTests.executable), "build convnet first")
        let model = try GlobalGenerator.seeded(3) { try ModelZoo.make("lenet5") }
        let path = Fixtures.temporaryFolder("eval-onnx") + ".onnx"
        defer { try? FileManager.default.removeItem(atPath: path) }
        try model.exportONNX(to: path, inputShape: [1, 28, 28], batch: .dynamic)
        let (status, output) = try CommandLineTests.convnet(["eval", "--onnx", path, "--dataset", "cifar10", "--data", Fixtures.cifarSample, "--json"])
        try #require(status == 0, "\(output)")
        let json = try #require(output.split(separator: "\n").last { $0.hasPrefix("{") })
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        // The same images prepared by the library: gray, resized to 28×28, CIFAR's held-out split.
        var request = DataRequest(dataset: "cifar10", directory: Fixtures.cifarSample, channels: 1)
        request.imageSize = 28
        let prepared = try DatasetCatalog.prepare(request)
        let loader = try DataLoader(prepared.evaluation, batchSize: 100, shuffle: false, normalization: prepared.normalization)
        let expected = try evaluate(model, on: loader)
        let loss = try #require(object["loss"] as? Double), accuracy = try #require(object["accuracy"] as? Double)
        #expect(abs(loss - expected.loss) <= 1e-5 * max(1, expected.loss), "\(loss) vs \(expected.loss)")
        #expect(abs(100 * accuracy - expected.accuracy) < 1e-9, "\(accuracy) vs \(expected.accuracy) %")
        #expect(object["split"] as? String == prepared.evaluationName)
    }

    @Test("eval --onnx without --dataset, or with a dataset of another class count: one clear error")
    func badUse() throws {
        let (status, output) = try CommandLineTests.convnet(["eval", "--onnx", Fixtures.directory.path + "/onnx/tinycnn.onnx"])
        #expect(status != 0 && output.contains("--onnx needs --dataset"))
        let both = try CommandLineTests.convnet(["eval", "--onnx", "a.onnx", "--checkpoint", "b", "--dataset", "mnist"])
        #expect(both.status != 0 && both.output.contains("give --checkpoint FILE, or --onnx FILE"))
        let classes = try CommandLineTests.convnet(["eval", "--onnx", Fixtures.directory.path + "/onnx/tinycnn.onnx", "--dataset", "cifar10",
                                                    "--data", Fixtures.cifarSample])
        #expect(classes.status != 0 && classes.output.contains("gives 5 classes but cifar10 has 10"), "\(classes.output)")
    }
}
