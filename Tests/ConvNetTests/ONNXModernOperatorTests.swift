import ConvNet
import ConvNetONNX
import Foundation
import Testing

/// Export of the modern CNN operators (opset 17), import of HardSwish, HardSigmoid, Clip(0, 6) and
/// LayerNormalization, and a round trip of a module with every new layer.
@Suite("ONNX: modern CNN operators")
struct ONNXModernOperatorTests {
    /// Every new layer after two convolutions, with a random LayerNorm2d weight and bias.
    /// `exactGELU`: also a GELU with erf, which exports an Erf node (and imports back since `erf` joined the core).
    static func model(exactGELU: Bool) throws -> Module {
        let norm = LayerNorm2d(6, eps: 1e-6)
        var gen = RandomGenerator(seed: 11)
        for t in [norm.weight, norm.bias] {
            let r = Tensor.randn(t.shape, std: 0.5, generator: &gen).scalars
            t.withUnsafeMutableBufferPointer { b in for i in b.indices { b[i] += r[i] } }
        }
        let layers: [Module] = try GlobalGenerator.seeded(12) {
            [Conv2d(3, 6, kernelSize: 3, padding: 1), norm, Hardswish(), ChannelShuffle(groups: 2),
             try Conv2d(6, 6, kernelSize: 3, padding: 1, groups: 3), ReLU6(), Hardsigmoid(), SiLU(), GELU(approximate: .tanh)]
                + (exactGELU ? [GELU()] : [])
        }
        return Sequential(layers)
    }

    @Test("export: the nodes of each operator, a dynamic batch")
    func exportedNodes() throws {
        let model = try Self.model(exactGELU: true)
        model.eval()
        let onnx = try ONNXExportTests.exported(model, inputShape: [3, 6, 6])
        let counts = onnx.opCounts
        #expect(counts["HardSwish"] == 1 && counts["HardSigmoid"] == 1 && counts["Clip"] == 1 && counts["Erf"] == 1)
        #expect(counts["LayerNormalization"] == 1 && counts["Transpose"] == 3 && counts["Reshape"] == 2 && counts["Sigmoid"] == 1)
        #expect(counts["Tanh"] == 1 && counts["Gelu"] == nil)
        #expect(onnx.inputs.first?.dims.first == "batch", "\(onnx.inputs)")
        // LayerNorm over the last axis needs no Transpose.
        let last = ONNXExportTests.Forward { m, x in try layerNorm(m.conv(x), axis: -1, eps: 1e-6) }
        let plain = try ONNXExportTests.exported(last, inputShape: [1, 8, 8])
        #expect(plain.opCounts["LayerNormalization"] == 1 && plain.opCounts["Transpose"] == nil)
    }

    @Test("round trip: exported, imported (eager and frozen) at two batch sizes, the same outputs")
    func roundTrip() throws {
        let model = try Self.model(exactGELU: true)
        model.eval()
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("roundtrip-modern-\(UUID()).onnx").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try model.exportONNX(to: path, inputShape: [3, 6, 6], batch: .dynamic)
        let imported = try ONNXModel(contentsOf: path).module()
        imported.eval()
        let frozen = try imported.frozen()
        var gen = RandomGenerator(seed: 13)
        for batch in [2, 3] {
            let x = Tensor.randn([batch, 3, 6, 6], std: 3, generator: &gen)
            let ours = try withNoGrad { try model(x) }
            let eager = try withNoGrad { try imported(x) }
            #expect(eager.shape == ours.shape && Self.maxAbsoluteDifference(eager, ours) <= 1e-5, "batch \(batch): \(Self.maxAbsoluteDifference(eager, ours))")
            #expect(Self.maxAbsoluteDifference(try frozen(x), ours) <= 1e-5, "frozen batch \(batch)")
        }
        // The imported graph runs the core's operators, not clamps and arithmetic.
        let ops = Set(try imported.graph(inputShape: [3, 6, 6]).nodes.map { $0.op.name })
        #expect(ops.isSuperset(of: ["hardswish", "hardsigmoid", "relu6", "layer_norm"]), "\(ops.sorted())")
    }

    @Test("import: HardSigmoid with other alpha and beta, Clip with other bounds, LayerNormalization over several axes refused")
    func importedOperators() throws {
        typealias P = ONNXTestProto
        let x = try Tensor(shape: [1, 6], scalars: [-7, -3, -0.5, 0.5, 3, 7])
        func run(_ nodes: [P], _ initializers: [P] = []) throws -> [Float] {
            let model = P.model(nodes: nodes, initializers: initializers, inputs: [P.value("x", [nil, 6])], outputs: [P.value("y", [nil, 6])])
            return try ONNXModel(serializedData: model).module()(x).scalars
        }
        // ONNX's default HardSigmoid (alpha 0.2, beta 0.5): max(0, min(1, 0.2x + 0.5)).
        let defaults = try run([P.node("HardSigmoid", ["x"], ["y"])])
        #expect(zip(defaults, [0, 0, 0.4, 0.6, 1, 1] as [Float]).allSatisfy { abs($0 - $1) < 1e-6 }, "\(defaults)")
        let pytorch = try run([P.node("HardSigmoid", ["x"], ["y"], [.float("alpha", Float(1.0 / 6.0)), .float("beta", 0.5)])])
        #expect(pytorch == x.hardsigmoid().scalars)
        #expect(try run([P.node("HardSwish", ["x"], ["y"])]) == x.hardswish().scalars)
        #expect(try run([P.node("Clip", ["x", "lo", "hi"], ["y"])], [P.tensor("lo", [], [0]), P.tensor("hi", [], [6])]) == x.relu6().scalars)
        #expect(try run([P.node("Clip", ["x", "lo", "hi"], ["y"])], [P.tensor("lo", [], [-1]), P.tensor("hi", [], [1])])
                == [-1, -1, -0.5, 0.5, 1, 1])
        let several = P.model(nodes: [P.node("LayerNormalization", ["x", "s"], ["y"], [.int("axis", 1)])],
                              initializers: [P.tensor("s", [2, 3], [1, 1, 1, 1, 1, 1])],
                              inputs: [P.value("x", [nil, 2, 3])], outputs: [P.value("y", [nil, 2, 3])])
        #expect(throws: (any Error).self) { try ONNXModel(serializedData: several).module()(Tensor.zeros([1, 2, 3])) }
    }

    static func maxAbsoluteDifference(_ a: Tensor, _ b: Tensor) -> Float {
        guard a.shape == b.shape else { return .infinity }
        return zip(a.scalars, b.scalars).map { abs($0 - $1) }.max() ?? 0
    }
}
