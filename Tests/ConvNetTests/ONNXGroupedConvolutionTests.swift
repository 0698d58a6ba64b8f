import ConvNet
import ConvNetONNX
import Foundation
import Testing

/// ONNX Conv with `group` and `dilations` runs as one core convolution: such models fuse when
/// frozen (the plan's notes say so) rather than running eagerly, and exporting a model with a
/// depthwise and a dilated layer writes those attributes and imports back to the same outputs.
@Suite("ONNX grouped and dilated convolutions")
struct ONNXGroupedConvolutionTests {
    typealias P = ONNXTestProto

    /// Conv (`group`, `dilations`, symmetric `pads`) → BatchNormalization → Relu on an [N, 8, 9, 9] input.
    static func model(outChannels: Int, group: Int, dilation: Int) -> Data {
        let perGroup = 8 / group, count = outChannels * perGroup * 9
        let weights = (0..<count).map { Float(($0 * 37) % 23) / 23 - 0.5 }
        let channel = { (scale: Float, offset: Float) in (0..<outChannels).map { Float($0 % 5) * scale + offset } }
        return P.model(
            nodes: [P.node("Conv", ["x", "w", "b"], ["c"], name: "conv", [.int("group", group), .ints("dilations", [dilation, dilation]),
                                                                         .ints("kernel_shape", [3, 3]), .ints("pads", [dilation, dilation, dilation, dilation])]),
                    P.node("BatchNormalization", ["c", "gamma", "beta", "mean", "var"], ["n"], name: "bn", [.float("epsilon", 1e-5)]),
                    P.node("Relu", ["n"], ["y"], name: "relu")],
            initializers: [P.tensor("w", [outChannels, perGroup, 3, 3], weights), P.tensor("b", [outChannels], channel(0.1, -0.2)),
                           P.tensor("gamma", [outChannels], channel(0.2, 0.6)), P.tensor("beta", [outChannels], channel(-0.1, 0.1)),
                           P.tensor("mean", [outChannels], channel(0.05, -0.1)), P.tensor("var", [outChannels], channel(0.3, 0.5))],
            inputs: [P.value("x", [nil, 8, 9, 9])], outputs: [P.value("y", [nil, outChannels, 9, 9])])
    }

    @Test("a depthwise, a depthwise ×2, a grouped and a dilated ONNX Conv fold their batch norm and ReLU when frozen, and give the eager outputs",
          arguments: [(8, 8, 1), (16, 8, 1), (4, 2, 1), (6, 1, 2), (8, 4, 3)])
    func frozenFuses(outChannels: Int, group: Int, dilation: Int) throws {
        let net = try ONNXModel(serializedData: Self.model(outChannels: outChannels, group: group, dilation: dilation)).module()
        let frozen = try net.frozen()
        for batch in [2, 3] {
            let x = try Tensor(shape: [batch, 8, 9, 9], scalars: (0..<(batch * 648)).map { Float(($0 * 53) % 29) / 29 - 0.5 })
            let eager = try withNoGrad { try net(x) }
            #expect(eager.shape == [batch, outChannels, 9, 9])
            let reference = try Backend.with(.reference) { try withNoGrad { try net(x) } }
            #expect(relativeDifference(eager, reference) <= 1e-5)
            for _ in 0..<2 {  // the first pass traces, the second runs the plan
                #expect(relativeDifference(try frozen(x), eager) <= 1e-5)
            }
        }
        // One plan per batch size, each a fused step (before, a grouped or dilated Conv ran eagerly:
        // the emulation's weights were new tensors on every pass).
        let plans = frozen.notes.filter { $0.contains("convolutions fused") }
        #expect(plans.count == 2 && plans.allSatisfy { $0.contains("1 convolutions fused (1 batch norms folded, 0 residual sums, 1 ReLUs) of 3 operations") },
                "\(frozen.notes)")
        #expect(!frozen.notes.contains { $0.contains("eagerly") }, "\(frozen.notes)")
    }

    /// A MobileNet-like model: a stem, a depthwise layer with stride 2, batch norm, a grouped 1×1 and a dilated 3×3.
    static func mobile() throws -> Sequential {
        Sequential(Conv2d(3, 8, kernelSize: 3, padding: 1), ReLU(),
                   try Conv2d(8, 8, kernelSize: 3, stride: 2, padding: 1, groups: 8), BatchNorm2d(8), ReLU(),
                   try Conv2d(8, 12, kernelSize: 1, groups: 4), ReLU(),
                   try Conv2d(12, 6, kernelSize: 3, padding: 2, dilation: 2), ReLU(),
                   GlobalAvgPool2d(), Flatten(), Linear(6, 5))
    }

    @Test("export writes group and dilations; the file imports back to the module's outputs, eagerly and frozen")
    func roundTrip() throws {
        let model = try GlobalGenerator.seeded(9) { try Self.mobile() }
        randomizeBatchNorms(model, seed: 10)
        model.eval()
        let path = Fixtures.temporaryFolder("onnx-grouped") + ".onnx"
        defer { try? FileManager.default.removeItem(atPath: path) }
        try model.exportONNX(to: path, inputShape: [3, 12, 12])
        let description = try ONNXModelDescription(path: path)
        let convs = description.nodes.filter { $0.opType == "Conv" }
        #expect(convs.map { $0.attributes["group"] } == [[1], [8], [4], [1]])
        #expect(convs.map { $0.attributes["dilations"] } == [[1, 1], [1, 1], [1, 1], [2, 2]])
        #expect(convs.map { $0.attributes["pads"] } == [[1, 1, 1, 1], [1, 1, 1, 1], [0, 0, 0, 0], [2, 2, 2, 2]])
        let shapes = description.initializers.filter { convs.map { $0.inputs[1] }.contains($0.name) }.map(\.dims)
        #expect(Set(shapes) == [[8, 3, 3, 3], [8, 1, 3, 3], [12, 2, 1, 1], [6, 12, 3, 3]])

        let net = try ONNXModel(contentsOf: path).module()
        let frozen = try net.frozen()
        var gen = RandomGenerator(seed: 11)
        for batch in [1, 4] {
            let x = Tensor.randn([batch, 3, 12, 12], generator: &gen)
            let want = try withNoGrad { try model(x) }
            #expect(relativeDifference(try withNoGrad { try net(x) }, want) <= 1e-5)
            for _ in 0..<2 { #expect(relativeDifference(try frozen(x), want) <= 1e-5) }
        }
        #expect(frozen.notes.filter { $0.contains("4 convolutions fused (1 batch norms folded, 0 residual sums, 4 ReLUs)") }.count == 2,
                "\(frozen.notes)")
    }
}
