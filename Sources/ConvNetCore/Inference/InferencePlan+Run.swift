extension InferencePlan {
    /// One pass of the graph on `x`: each chain's fused step (from `steps`, one per chain) in place
    /// of its convolution and the nodes folded into it, every other node through the dispatcher
    /// (``apply(_:_:)``) with the kernels of ``Backend/current``. Results are let go of after their
    /// last reader, so that a pass's memory is reused as it goes.
    func run(_ x: Tensor, steps: [Int: any InferenceConvolution]) throws -> Tensor {
        let nodes = graph.nodes
        var values = [Tensor?](repeating: nil, count: nodes.count)
        func tensor(_ value: Graph.Value) -> Tensor { graph.tensor(value, input: x, values: values) }
        for index in nodes.indices {
            if let chain = chains[index] {
                values[chain.result] = try steps[index]!.run(x: tensor(nodes[index].inputs[0]!), residual: chain.residual.map(tensor),
                                                             reuseResidual: chain.residualInPlace)
            } else if absorbedBy[index] == nil {
                values[index] = try apply(nodes[index].op, nodes[index].inputs.map { $0.map(tensor) })
            }
            for j in releases[index] { values[j] = nil }
        }
        return tensor(graph.output)
    }
}
