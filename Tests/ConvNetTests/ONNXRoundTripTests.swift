import ConvNet
import Foundation
import Testing

@Suite("ONNX round trip: a model exported by us and imported by us gives its own logits")
struct ONNXRoundTripTests {
    @Test("zoo models exported with a dynamic batch, imported, eager and frozen, at two batch sizes", arguments: [
        ("lenet5", [1, 28, 28]), ("resnet20", [3, 32, 32]), ("googlenet", [3, 64, 64]), ("resnet18", [3, 32, 32]),
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
