extension Graph {
    /// Runs the graph on `input` (of ``inputShape``): every node in order through the dispatcher
    /// (``apply(_:_:)``) with the kernels of ``Backend/current``, each result let go of after its
    /// last reader. Gradients are recorded as for the eager operations, so that a graph's
    /// parameters can be trained through it. The forward code the graph was traced from does not run.
    /// - Throws: ``ConvNetError`` when `input` is not of the traced shape, or what a kernel throws.
    public func callAsFunction(_ input: Tensor) throws -> Tensor {
        try require(input.shape == inputShape, "graph",
                    "input \(describe(input.shape)) is not of the shape the graph was traced at, \(describe(inputShape))")
        let releases = Self.releases(readers)
        var values = [Tensor?](repeating: nil, count: nodes.count)
        for (index, node) in nodes.enumerated() {
            values[index] = try apply(node.op, node.inputs.map { $0.map { tensor($0, input: input, values: values) } })
            for j in releases[index] { values[j] = nil }
        }
        return tensor(output, input: input, values: values)
    }

    /// Per node, the nodes that read its result, in order, each once; the caller reads the graph's
    /// output and counts as reader `nodes.count`.
    package var readers: [[Int]] {
        var readers = [[Int]](repeating: [], count: nodes.count)
        for (index, node) in nodes.enumerated() {
            for case .node(let j) in Set(node.inputs.compactMap { $0 }) { readers[j].append(index) }
        }
        if case .node(let j) = output { readers[j].append(nodes.count) }
        return readers
    }

    /// Per node, the node results it is the last to read (from ``readers``): a pass lets go of them
    /// once that node has run, so that their memory can be reused. The graph's output is never let go.
    package static func releases(_ readers: [[Int]]) -> [[Int]] {
        var releases = [[Int]](repeating: [], count: readers.count)
        for (j, r) in readers.enumerated() {
            guard let last = r.max(), last < readers.count else { continue }
            releases[last].append(j)
        }
        return releases
    }

    /// The tensor `value` stands for in a pass on `input` whose node results so far are `values`.
    package func tensor(_ value: Value, input: Tensor, values: [Tensor?]) -> Tensor {
        switch value {
        case .input: input
        case .parameter(let k): parameters[k].tensor
        case .constant(let k): constants[k]
        case .node(let j): values[j]!
        }
    }
}
