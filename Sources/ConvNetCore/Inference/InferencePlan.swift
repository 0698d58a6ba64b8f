/// A traced ``Graph`` compiled for inference, for one input shape: which convolution nodes run as
/// fused steps and which later nodes (batch norm, `+`, ReLU) were folded into them; every other
/// node runs through the dispatcher as it is; and when each value may be let go.
///
/// A convolution's chain grows while its result has exactly one reader and that reader can be
/// folded: batch norm in evaluation mode (into the weights and bias, exactly:
/// w' = w·γ/√(σ²+ε), b' = (b − μ)·γ/√(σ²+ε) + β), then a residual `+` whose other operand already
/// exists when the convolution runs (oneDNN's sum post-op: the output buffer starts as that
/// operand), then ReLU (an eltwise post-op). The graph's result, or a value anything else reads,
/// ends the chain, so no other reader ever sees a value that was folded away.
final class InferencePlan {
    /// One convolution with what was folded into it.
    struct Chain {
        var convolution: Int
        var geometry: Conv2dGeometry
        var weight: Tensor
        var bias: Tensor?
        var batchNorm: (weight: Tensor?, bias: Tensor?, mean: Tensor, variance: Tensor, eps: Float)?
        /// The residual operand the step sums: the graph's input or an earlier node's result.
        var residual: Graph.Value?
        /// The residual is read by nothing after the `+`, so the convolution may write its result
        /// into the residual's memory instead of a copy of it.
        var residualInPlace = false
        var relu: Bool
        /// The nodes folded into the convolution, in order.
        var absorbed: [Int]

        /// The node whose value the fused step computes.
        var result: Int { absorbed.last ?? convolution }
    }

    let graph: Graph
    /// The chains, by the convolution's node index.
    private(set) var chains: [Int: Chain] = [:]
    /// Folded node → the convolution node it was folded into.
    private(set) var absorbedBy: [Int: Int] = [:]
    /// Per node, the node results nothing reads after it (``Graph/releases(_:)``).
    private(set) var releases: [[Int]] = []

    init(_ graph: Graph) {
        self.graph = graph
        let nodes = graph.nodes
        let readers = graph.readers

        /// The only reader of node `j`'s result, if there is exactly one and it is a node.
        func soleReader(_ j: Int) -> Int? {
            readers[j].count == 1 && readers[j][0] < nodes.count ? readers[j][0] : nil
        }
        /// Input `i` of node `index` when it is a parameter or constant: a tensor fixed at planning.
        func fixed(_ index: Int, _ i: Int) -> Tensor? {
            guard i < nodes[index].inputs.count, let value = nodes[index].inputs[i] else { return nil }
            switch value {
            case .parameter(let k): return graph.parameters[k].tensor
            case .constant(let k): return graph.constants[k]
            case .input, .node: return nil
            }
        }

        for (index, node) in nodes.enumerated() {
            guard case .conv2d(let g) = node.op, absorbedBy[index] == nil, let weight = fixed(index, 1),
                  node.inputs.count < 3 || node.inputs[2] == nil || fixed(index, 2) != nil else { continue }
            var chain = Chain(convolution: index, geometry: g, weight: weight, bias: fixed(index, 2), batchNorm: nil,
                              residual: nil, relu: false, absorbed: [])
            var value = index
            if let next = soleReader(value), case .batchNorm(let attributes) = nodes[next].op, !attributes.training,
               let mean = fixed(next, 3), let variance = fixed(next, 4),
               nodes[next].inputs[1] == nil || fixed(next, 1) != nil, nodes[next].inputs[2] == nil || fixed(next, 2) != nil {
                chain.batchNorm = (fixed(next, 1), fixed(next, 2), mean, variance, attributes.eps)
                chain.absorbed.append(next)
                value = next
            }
            if let next = soleReader(value), nodes[next].op == .add, nodes[next].inputs.count == 2,
               nodes[next].shape == nodes[value].shape {
                let operands = nodes[next].inputs
                let other = operands[0] == .node(value) ? operands[1] : operands[0]
                let source: Graph.Value? = switch other {
                case .input?: .input
                case .node(let j)? where j < index: .node(j)  // exists before the convolution runs
                default: nil  // a parameter or constant: not a residual sum's operand here
                }
                if let source, other != .node(value), graph.shape(of: other!) == nodes[next].shape {
                    chain.residual = source
                    if case .node(let j) = source, graph.output != .node(j) {
                        chain.residualInPlace = readers[j].allSatisfy { $0 <= next }
                    }
                    chain.absorbed.append(next)
                    value = next
                }
            }
            if let next = soleReader(value), nodes[next].op == .relu {
                chain.relu = true
                chain.absorbed.append(next)
            }
            chains[index] = chain
            for absorbed in chain.absorbed { absorbedBy[absorbed] = index }
        }

        releases = Graph.releases(readers)
    }

    /// Number of convolutions that run fused, and of nodes folded into them (for `--verbose`).
    var summary: String {
        let folds = chains.values.reduce(into: (bn: 0, sum: 0, relu: 0)) {
            if $1.batchNorm != nil { $0.bn += 1 }
            if $1.residual != nil { $0.sum += 1 }
            if $1.relu { $0.relu += 1 }
        }
        return "\(chains.count) convolutions fused (\(folds.bn) batch norms folded, \(folds.sum) residual sums, \(folds.relu) ReLUs) of \(graph.nodes.count) operations"
    }
}
