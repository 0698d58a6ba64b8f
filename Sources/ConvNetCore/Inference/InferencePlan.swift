/// What a frozen model does differently from its eager forward pass, for one input shape: which
/// convolution calls run as fused steps, and which later calls (batch norm, `+`, ReLU) were folded
/// into them. Built once from an ``OpTrace`` of the eager pass; every other call runs as traced.
///
/// A convolution's chain grows while its output has exactly one reader and that reader can be
/// folded: batch norm in evaluation mode (into the weights and bias, exactly:
/// w' = w·γ/√(σ²+ε), b' = (b − μ)·γ/√(σ²+ε) + β), then a residual `+` whose other operand already
/// exists when the convolution runs (oneDNN's sum post-op: the output buffer starts as that
/// operand), then ReLU (an eltwise post-op). A tensor the caller gets back, or that anything else
/// reads, ends the chain, so no other reader ever sees a value that was folded away.
final class InferencePlan {
    /// Where a residual operand comes from: the model's input, or the output of an earlier call.
    enum Source: Hashable {
        case input
        case call(Int)
    }

    /// One convolution with what was folded into it.
    struct Chain {
        var convolution: Int
        var geometry: Conv2dGeometry
        var weight: Tensor
        var bias: Tensor?
        var batchNorm: (weight: Tensor?, bias: Tensor?, mean: Tensor, variance: Tensor, eps: Float)?
        var residual: Source?
        /// The residual is read by nothing after the `+`, so the convolution may write its result
        /// into the residual's memory instead of a copy of it.
        var residualInPlace = false
        var relu: Bool
        /// The calls folded into the convolution, in order.
        var absorbed: [Int]
    }

    /// The operation of every traced call, to check that a frozen run makes the same calls.
    let operations: [Op]
    /// The chains, by the convolution's call index.
    private(set) var chains: [Int: Chain] = [:]
    /// Folded call → the convolution call it was folded into.
    private(set) var absorbedBy: [Int: Int] = [:]
    /// Calls whose outputs a later fused step reads (residual operands), with the last
    /// convolution that reads each (after which a frozen run lets go of it).
    private(set) var kept: [Int: Int] = [:]

    /// Plans `trace`, a forward pass from `input` that returned `output`.
    init(_ trace: OpTrace, input: ObjectIdentifier, output: ObjectIdentifier) {
        let calls = trace.calls
        operations = calls.map(\.op)
        var producer: [ObjectIdentifier: Int] = [:]
        var readers: [ObjectIdentifier: [Int]] = [:]
        for (index, call) in calls.enumerated() {
            for case let id? in call.inputs where id != call.output { readers[id, default: []].append(index) }
            producer[call.output] = index
        }
        // The caller reads the output: it counts as one more reader.
        readers[output, default: []].append(calls.count)

        /// The only reader of `id`, if there is exactly one and it is a call.
        func soleReader(_ id: ObjectIdentifier) -> Int? {
            guard let r = readers[id], r.count == 1, r[0] < calls.count else { return nil }
            return r[0]
        }

        /// Input `i` of call `index` (as ``Op`` orders them), if given.
        func operand(_ index: Int, _ i: Int) -> Tensor? {
            i < calls[index].inputs.count ? calls[index].inputs[i].flatMap(trace.tensor) : nil
        }

        for (index, call) in calls.enumerated() {
            guard case .conv2d(let g) = call.op, absorbedBy[index] == nil, let weight = operand(index, 1) else { continue }
            let bias = operand(index, 2)
            var chain = Chain(convolution: index, geometry: g, weight: weight, bias: bias, batchNorm: nil, residual: nil,
                              relu: false, absorbed: [])
            var value = call.output
            if let next = soleReader(value), case .batchNorm(let attributes) = calls[next].op, !attributes.training,
               let mean = operand(next, 3), let variance = operand(next, 4) {
                chain.batchNorm = (operand(next, 1), operand(next, 2), mean, variance, attributes.eps)
                chain.absorbed.append(next)
                value = calls[next].output
            }
            if let next = soleReader(value), calls[next].op == .add, calls[next].inputs.count == 2 {
                let operands = calls[next].inputs
                let other = operands[0] == value ? operands[1] : operands[0]
                let source: Source? = other == input ? .input : other.flatMap { producer[$0] }.map(Source.call)
                // The other operand must exist before the convolution runs, and differ from the chain's value.
                if let source, other != value, Self.precedes(source, index) {
                    chain.residual = source
                    if case .call = source, let other, other != output {
                        chain.residualInPlace = (readers[other] ?? []).allSatisfy { $0 <= next }
                    }
                    chain.absorbed.append(next)
                    value = calls[next].output
                    if case .call(let producerIndex) = source { kept[producerIndex] = max(kept[producerIndex] ?? index, index) }
                }
            }
            if let next = soleReader(value), calls[next].op == .relu {
                chain.relu = true
                chain.absorbed.append(next)
            }
            chains[index] = chain
            for absorbed in chain.absorbed { absorbedBy[absorbed] = index }
        }
    }

    private static func precedes(_ source: Source, _ index: Int) -> Bool {
        switch source {
        case .input: true
        case .call(let call): call < index
        }
    }

    /// Number of convolutions that run fused, and of calls folded into them (for `--verbose`).
    var summary: String {
        let folds = chains.values.reduce(into: (bn: 0, sum: 0, relu: 0)) {
            if $1.batchNorm != nil { $0.bn += 1 }
            if $1.residual != nil { $0.sum += 1 }
            if $1.relu { $0.relu += 1 }
        }
        return "\(chains.count) convolutions fused (\(folds.bn) batch norms folded, \(folds.sum) residual sums, \(folds.relu) ReLUs) of \(operations.count) operations"
    }
}
