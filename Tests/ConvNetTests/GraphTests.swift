import ConvNet
import ConvNetONNX
import Foundation
import Testing

/// Tracing any module gives a ``Graph``: typed nodes reading the input, named parameters,
/// constants or earlier nodes; only what the output depends on; printed one node a line.
@Suite("graphs traced from modules")
struct GraphTests {
    @Test("a zoo model's graph: every parameter by its state_dict name, nodes in order, printed as torch.fx does")
    func zooModel() throws {
        let model = try GlobalGenerator.seeded(0) { try ModelZoo.make("resnet20") }
        let graph = try model.graph(inputShape: [3, 32, 32], batch: 2)
        #expect(graph.inputShape == [2, 3, 32, 32])
        // Everything the pass reads: all of the state_dict but the batch counters, which evaluation does not use.
        #expect(Set(graph.parameters.map(\.name)) == Set(model.stateDict().map(\.name).filter { !$0.hasSuffix("num_batches_tracked") }))
        #expect(graph.parameters.filter { !$0.name.contains("running") }.reduce(0) { $0 + $1.tensor.count } == model.parameterCount)
        #expect(graph.nodes.last?.shape == [2, 10] && graph.output == .node(graph.nodes.count - 1))
        let adds = graph.nodes.filter { $0.op == .add }
        #expect(adds.count == 9 && adds.allSatisfy { $0.inputs.allSatisfy { if case .node? = $0 { true } else { false } } })
        // Every node reads only what exists before it.
        for (i, node) in graph.nodes.enumerated() {
            for case .node(let j)? in node.inputs { #expect(j < i) }
        }
        let text = graph.description
        #expect(text.contains("%0  = conv2d(%x, conv1.weight; 3×3, padding 1)  [2, 16, 32, 32]"), "\(text.prefix(300))")
        #expect(text.hasSuffix("return %\(graph.nodes.count - 1)"))
        #expect(model.isTraining, "the module's mode is restored")
    }

    final class SideStatistic: Module {
        let fc = Linear(4, 2)
        var statistic: Float = 0
        func forward(_ x: Tensor) throws -> Tensor {
            statistic = try x.squared().mean().item()       // computed on the side: not part of the graph
            return try fc(x) + Tensor.ones([1, 2])            // a constant the forward code makes
        }
    }

    final class ReturnsItsInput: Module { func forward(_ x: Tensor) throws -> Tensor { x } }
    final class ReturnsAWeight: Module {
        @Parameter var w = Tensor.ones([2])
        func forward(_ x: Tensor) throws -> Tensor { w }
    }

    @Test("side computations are left out, made tensors are constants, and degenerate passes are told apart")
    func userModules() throws {
        let graph = try SideStatistic().graph(inputShape: [4], batch: 3)
        #expect(graph.nodes.map(\.op) == [.linear, .add])
        #expect(graph.constants.map(\.shape) == [[1, 2]])
        #expect(graph.nodes[1].inputs == [.node(0), .constant(0)])
        #expect(graph.parameters.map(\.name) == ["fc.weight", "fc.bias"])

        let identity = try ReturnsItsInput().graph(inputShape: [3, 5, 5])
        #expect(identity.nodes.isEmpty && identity.output == .input)
        #expect(throws: ConvNetError.self) { try ReturnsAWeight().graph(inputShape: [2]) }
        #expect(throws: ConvNetError.self) { try ReturnsItsInput().graph(inputShape: [0, 5]) }
    }

    @Test("a grouped, dilated convolution prints its groups and dilation")
    func groupedConvolution() throws {
        let conv = try Conv2d(8, 16, kernelSize: 3, padding: 2, dilation: 2, groups: 4)
        let graph = try conv.graph(inputShape: [8, 9, 9])
        guard case .conv2d(let g) = try #require(graph.nodes.first).op else { Issue.record("not a convolution"); return }
        #expect(g.groups == 4 && g.dilationHeight == 2 && g.dilationWidth == 2)
        #expect(graph.description.contains("conv2d(%x, weight, bias; 3×3, padding 2, dilation 2, groups 4)  [1, 16, 9, 9]"),
                "\(graph)")
    }

    @Test("an imported ONNX model traces to the same kind of graph as the module it became")
    func importedModel() throws {
        let model = try ONNXModel(contentsOf: ONNXImportTests.folder.appendingPathComponent("tinycnn.onnx").path).module()
        let graph = try model.graph(inputShape: [3, 13, 13])
        #expect(graph.nodes.first.map { if case .conv2d = $0.op { true } else { false } } == true)
        #expect(graph.nodes.contains { if case .concat(dim: 1) = $0.op { true } else { false } })
        #expect(graph.nodes.last?.op == .softmax(dim: 1) && graph.nodes.last?.shape == [1, 5])
        #expect(graph.parameterCount == model.stateDict().reduce(0) { $0 + $1.tensor.count })
    }
}
