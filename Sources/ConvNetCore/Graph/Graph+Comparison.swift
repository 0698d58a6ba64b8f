extension Graph {
    /// How `other`, a trace of the same forward pass at the same input shape, differs from this
    /// one, or nil when they are the same computation: the same operations reading the same
    /// values, the same parameters (by identity), and constants of the same values. A pass whose
    /// calls or constants depend on its input's values gives two traces that differ.
    package func difference(from other: Graph) -> String? {
        guard nodes.count == other.nodes.count else {
            return "one trace has \(nodes.count) operations, another \(other.nodes.count)"
        }
        for (index, (a, b)) in zip(nodes, other.nodes).enumerated() where a.op != b.op || a.inputs != b.inputs || a.shape != b.shape {
            return a.op != b.op ? "operation \(index) is \(a.op.name) in one trace and \(b.op.name) in another"
                                : "operation \(index) (\(a.op.name)) reads other values in another trace"
        }
        guard parameters.count == other.parameters.count,
              zip(parameters, other.parameters).allSatisfy({ $0.tensor === $1.tensor }) else {
            return "the traces read different parameters"
        }
        guard constants.count == other.constants.count else { return "the traces read different constants" }
        for (index, (a, b)) in zip(constants, other.constants).enumerated() where a !== b {
            guard a.shape == b.shape, Self.sameValues(a, b) else {
                return "constant \(index) \(describe(a.shape)) is computed from the input's values"
            }
        }
        return output == other.output ? nil : "the traces return different values"
    }

    /// Where traces of `forward` on other inputs of `x`'s shape differ from this graph, a trace of
    /// it on `x`, or nil when they all match: the probes are −x and seeded noise with x's mean and
    /// standard deviation. A pass whose operations depend on its input's values (an `if` on a sum,
    /// a constant computed from the data) is found unless all three inputs happen to agree.
    package func dependence(of forward: (Tensor) throws -> Tensor, at x: Tensor) throws -> String? {
        let values = x.scalars
        let mean = values.reduce(0, +) / Float(max(values.count, 1))
        let spread = (values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Float(max(values.count, 1))).squareRoot()
        var generator = RandomGenerator(seed: 0x5eed)
        let noise = Tensor.randn(x.shape, generator: &generator)
        let probes = [try Tensor(shape: x.shape, scalars: values.map { -$0 }),
                      try Tensor(shape: x.shape, scalars: noise.scalars.map { mean + max(spread, 1e-3) * $0 })]
        for probe in probes {
            let (other, _) = try Graph.tracing(parameters: parameters, input: probe, forward)
            guard let other else { return "on another input it computes nothing from the input" }
            if let difference = difference(from: other) { return difference }
        }
        return nil
    }

    /// Whether `a` and `b` hold the same values bit for bit (so NaN equals NaN).
    private static func sameValues(_ a: Tensor, _ b: Tensor) -> Bool {
        a.withUnsafeBufferPointer { x in
            b.withUnsafeBufferPointer { y in zip(x, y).allSatisfy { $0.bitPattern == $1.bitPattern } }
        }
    }
}
