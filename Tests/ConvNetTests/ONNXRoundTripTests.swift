import ConvNet
import Foundation
import Testing

/// Random running statistics and affine parameters for every batch norm, so that folding them on
/// export and reading them back is not trivially the identity.
private func randomizeBatchNorms(_ model: Module, seed: UInt64) {
    var gen = RandomGenerator(seed: seed)
    for (name, tensor) in model.stateDict() where name.hasSuffix("running_var") || name.hasSuffix("running_mean") {
        let values = name.hasSuffix("running_var") ? Tensor.uniform(tensor.shape, low: 0.5, high: 1.5, generator: &gen)
            : Tensor.randn(tensor.shape, std: 0.1, generator: &gen)
        try? tensor.assign(values)
    }
}

/// max |a − b| / max(1, max |b|).
private func relativeDifference(_ a: Tensor, _ b: Tensor) -> Float {
    let (x, y) = (a.scalars, b.scalars)
    let scale = max(1, y.map(abs).max() ?? 0)
    return (zip(x, y).map { abs($0 - $1) }.max() ?? 0) / scale
}

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
