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
