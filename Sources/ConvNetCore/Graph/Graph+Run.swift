extension Graph {
    /// Runs the graph on `input` (of ``inputShape``): every node in order through the dispatcher
    /// (``apply(_:_:)``) with the kernels of ``Backend/current``, each result let go of after its
    /// last reader. Gradients are recorded as for the eager operations, so that a graph's
    /// parameters can be trained through it. The forward code the graph was traced from does not run.
    /// - Throws: ``ConvNetError`` when `input` is not of the traced shape, or what a kernel throws.
    public func callAsFunction(_ input: Tensor) throws -> Tensor {
        try require(input.shape == inputShape, "graph",
                    "input \(describe(input.shape)) is not of the shape the graph was traced at, \(describe(inputShape))")
        var lastReader = [Int](repeating: -1, count: nodes.count)
        for (index, node) in nodes.enumerated() {
            for case .node(let j)? in node.inputs { lastReader[j] = index }
        }
        if case .node(let j) = output { lastReader[j] = nodes.count }
        var values = [Tensor?](repeating: nil, count: nodes.count)
        func tensor(_ value: Value) -> Tensor {
            switch value {
            case .input: input
            case .parameter(let k): parameters[k].tensor
            case .constant(let k): constants[k]
            case .node(let j): values[j]!
            }
        }
        for (index, node) in nodes.enumerated() {
            values[index] = try apply(node.op, node.inputs.map { $0.map(tensor) })
            for case .node(let j)? in node.inputs where lastReader[j] == index { values[j] = nil }
        }
        return tensor(output)
    }
}
