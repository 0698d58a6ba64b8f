/// One recorded operation: the inputs that need gradients and the hand-derived rule that turns
/// the gradient of the output into gradients of those inputs.
final class GradNode {
    /// The operation, for error messages and debugging.
    let op: Op
    /// The operation's tensor inputs, `nil` where no gradient is needed.
    let inputs: [Tensor?]
    /// Given dL/d(output), returns dL/d(input) for each entry of `inputs` (nil where `inputs` is nil).
    let backward: (Tensor) throws -> [Tensor?]

    init(op: Op, inputs: [Tensor?], backward: @escaping (Tensor) throws -> [Tensor?]) {
        self.op = op
        self.inputs = inputs
        self.backward = backward
    }

    /// What a node becomes once a backward pass without `retainGraph` has freed its saved tensors.
    static func released(_ op: Op) -> GradNode {
        GradNode(op: op, inputs: []) { _ in
            throw ConvNetError(op: "backward", "the graph through \(op.name) was freed by an earlier backward pass; pass retainGraph: true to run backward twice")
        }
    }
}

extension Tensor {
    /// Whether an operation on `inputs` must record a backward pass.
    static func needsGrad(_ inputs: Tensor?...) -> Bool {
        guard GradMode.enabledFlag else { return false }
        for case let t? in inputs where t.requiresGrad { return true }
        return false
    }

    /// Marks `self` as computed from `inputs` by `op`, if any of them requires a gradient.
    /// `inputs` are the operation's tensors in the order ``Op`` documents for it, and `backward`
    /// returns one gradient (or nil) per input.
    /// `backward` is only kept (and only captures its saved tensors) in that case. Every call is
    /// also reported to the task's ``OpObserver``, if one watches.
    @discardableResult
    func recorded(_ op: Op, _ inputs: [Tensor?], _ backward: @escaping (Tensor) throws -> [Tensor?]) -> Tensor {
        OpObservation.current?.observe(op, inputs: inputs, output: self)
        guard GradMode.enabledFlag, inputs.contains(where: { $0?.requiresGrad == true }) else { return self }
        requiresGrad = true
        gradFn = GradNode(op: op, inputs: inputs.map { ($0?.requiresGrad == true) ? $0 : nil }, backward: backward)
        return self
    }
}
