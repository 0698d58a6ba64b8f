import ConvNet
import Foundation
import Testing

/// Weights saved by PyTorch (`safetensors.torch.save_file(model.state_dict(), path)`, written by
/// Tools/export_reference_models.py) load into the zoo model of the same name and give PyTorch's
/// logits; weights we save load back unchanged.
@Suite("PyTorch weight interchange")
struct WeightInterchangeTests {
    static let fixtures = Fixtures.directory

    @Test("PyTorch-saved weights reproduce PyTorch's logits", arguments: ["resnet18", "resnet20"])
    func pytorchLogits(_ name: String) throws {
        let weights = try SafeTensors.read(path: Self.fixtures.appendingPathComponent("\(name).safetensors").path)
        let io = try SafeTensors.read(path: Self.fixtures.appendingPathComponent("\(name)-io.safetensors").path).dictionary
        let model = try ModelZoo.make(name, classes: 10)
        try model.loadStateDict(weights.dictionary)
        model.eval()
        let logits = try withNoGrad { try model(io["input"]!) }
        let want = io["logits"]!
        #expect(logits.shape == want.shape)
        let scale = want.scalars.map(abs).max()!
        let worst = zip(logits.scalars, want.scalars).map { abs($0 - $1) }.max()!
        #expect(worst <= 1e-4 * scale, "\(name): largest logit difference \(worst) at scale \(scale)")
        // Both backends agree.
        let reference = try Backend.with(.reference) { try withNoGrad { try model(io["input"]!) } }
        #expect(zip(reference.scalars, want.scalars).map { abs($0 - $1) }.max()! <= 1e-4 * scale)
    }

    @Test("weights saved by swift-convnet load back into a fresh model bit for bit")
    func roundTrip() throws {
        let weights = try SafeTensors.read(path: Self.fixtures.appendingPathComponent("resnet20.safetensors").path)
        let model = try ModelZoo.make("resnet20")
        try model.loadStateDict(weights.dictionary)
        let path = NSTemporaryDirectory() + "convnet-roundtrip-\(UUID().uuidString).safetensors"
        defer { try? FileManager.default.removeItem(atPath: path) }
        try SafeTensors.write(.init(tensors: model.stateDict()), to: path)
        let again = try ModelZoo.make("resnet20")
        try again.loadStateDict(SafeTensors.read(path: path).dictionary)
        for ((name, a), (_, b)) in zip(model.stateDict(), again.stateDict()) {
            #expect(a.scalars == b.scalars, "\(name) changed")
        }
    }

    @Test("weights of the wrong model are refused with the offending names")
    func mismatch() throws {
        let weights = try SafeTensors.read(path: Self.fixtures.appendingPathComponent("resnet20.safetensors").path)
        do {
            try ModelZoo.make("resnet18").loadStateDict(weights.dictionary)
            Issue.record("resnet20 weights loaded into resnet18")
        } catch let error as ConvNetError {
            #expect(error.message.contains("missing keys") && error.message.contains("layer4"))
        }
    }
}
