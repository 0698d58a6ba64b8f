import ConvNet
import ConvNetONNX
import Foundation
import Testing

/// `erf`, the operator added by the checklist of docs/architecture.md ("Adding an operator"): an
/// `Op` case, its kernel and backward rule behind the dispatcher, its name, ONNX export and import,
/// a PyTorch golden case (golden-extra's "erf") and these checks.
@Suite("erf: an operator added through the dispatcher")
struct ErfTests {
    @Test("finite differences on both backends", arguments: ComputeBackend.allCases)
    func gradients(backend: ComputeBackend) throws {
        var gen = RandomGenerator(seed: 21)
        let x = Tensor.randn([2, 3, 4], std: 1.5, generator: &gen)
        try Backend.with(backend) {
            try FiniteDifference.check("erf", inputs: [x], step: 1e-2) { t in t[0].erf() }
        }
    }

    @Test("values and gradients at 0, −0, the tails, ±infinity and NaN, as torch.erf")
    func specialValues() throws {
        let x = try Tensor(shape: [7], scalars: [0, -0.0, 1, -6, .infinity, -.infinity, .nan])
        x.requiresGrad = true
        let y = x.erf()
        let values = y.scalars
        #expect(values[0] == 0 && values[1] == 0 && values[1].sign == .minus)
        #expect(abs(values[2] - 0.8427008) < 1e-7 && values[3] == -1 && values[4] == 1 && values[5] == -1 && values[6].isNaN)
        try y.sum().backward()
        let grads = try #require(x.grad).scalars
        // d erf/dx = (2/√π)·e^(−x²): 1.1283792 at ±0, 2.6e-16 at −6 (tiny, not 0: torch.erf's too),
        // 0 at ±infinity, NaN for NaN.
        #expect(abs(grads[0] - 1.1283792) < 1e-6 && grads[1] == grads[0] && abs(grads[2] - 0.41510749) < 1e-6, "\(grads)")
        #expect(abs(grads[3] - 2.6173e-16) < 1e-19 && grads[4] == 0 && grads[5] == 0 && grads[6].isNaN, "\(grads)")
    }

    @Test("recorded as its own operation: a graph and a frozen model run it")
    func graphAndFrozen() throws {
        let model = ONNXExportTests.Forward { m, x in try m.conv(x).erf().relu() }
        model.eval()
        let graph = try model.graph(inputShape: [1, 8, 8])
        #expect(graph.nodes.map(\.op).contains(.erf), "\(graph.nodes.map(\.op.name))")
        var gen = RandomGenerator(seed: 22)
        let x = Tensor.randn([2, 1, 8, 8], generator: &gen)
        let frozen = try model.frozen()
        for _ in 0..<2 {
            let eager = try withNoGrad { try model(x) }
            #expect(ONNXModernOperatorTests.maxAbsoluteDifference(try frozen(x), eager) <= 1e-5)
        }
        #expect(frozen.notes.first?.contains("convolutions fused") == true, "\(frozen.notes)")
    }

    @Test("ONNX: Erf imports, and exact GELU as exporters write it (x·(1 + erf(x/√2))/2) gives gelu()")
    func onnxErf() throws {
        typealias P = ONNXTestProto
        let x = try Tensor(shape: [1, 6], scalars: [-7, -3, -0.5, 0.5, 3, 7])
        func run(_ nodes: [P], _ initializers: [P] = []) throws -> Tensor {
            let model = P.model(nodes: nodes, initializers: initializers, inputs: [P.value("x", [nil, 6])], outputs: [P.value("y", [nil, 6])])
            return try ONNXModel(serializedData: model).module()(x)
        }
        #expect(try run([P.node("Erf", ["x"], ["y"])]).scalars == x.erf().scalars)
        let gelu = try run([P.node("Div", ["x", "sqrt2"], ["a"]), P.node("Erf", ["a"], ["b"]), P.node("Add", ["b", "one"], ["c"]),
                            P.node("Mul", ["x", "c"], ["d"]), P.node("Mul", ["d", "half"], ["y"])],
                           [P.tensor("sqrt2", [], [Float(2).squareRoot()]), P.tensor("one", [], [1]), P.tensor("half", [], [0.5])])
        #expect(ONNXModernOperatorTests.maxAbsoluteDifference(gelu, x.gelu()) <= 1e-6, "\(gelu.scalars)")
        let extra = P.model(nodes: [P.node("Erf", ["x", "x"], ["y"])], inputs: [P.value("x", [nil, 6])], outputs: [P.value("y", [nil, 6])])
        #expect(throws: ConvNetError.self) { try ONNXModel(serializedData: extra) }
    }
}
