extension InferencePlan {
    /// One pass of the graph on `x`: each chain's fused step (from `steps`, one per chain) in place
    /// of its convolution and the nodes folded into it, every other node through the dispatcher
    /// (``apply(_:_:)``) with the kernels of ``Backend/current``. Results are let go of after their
    /// last reader, so that a pass's memory is reused as it goes.
    func run(_ x: Tensor, steps: [Int: any InferenceConvolution]) throws -> Tensor {
        let nodes = graph.nodes
        var values = [Tensor?](repeating: nil, count: nodes.count)
        func tensor(_ value: Graph.Value) -> Tensor {
            switch value {
            case .input: x
            case .parameter(let k): graph.parameters[k].tensor
            case .constant(let k): graph.constants[k]
            case .node(let j): values[j]!
            }
        }
        for index in nodes.indices {
            if let chain = chains[index] {
                let residual = chain.residual.map { source -> Tensor in
                    switch source {
                    case .input: x
                    case .node(let j): values[j]!
                    }
                }
                values[chain.result] = try steps[index]!.run(x: tensor(nodes[index].inputs[0]!), residual: residual,
                                                             reuseResidual: chain.residualInPlace)
            } else if absorbedBy[index] == nil {
                values[index] = try apply(nodes[index].op, nodes[index].inputs.map { $0.map(tensor) })
            }
            for j in releases[index] { values[j] = nil }
        }
        return tensor(graph.output)
    }
}
