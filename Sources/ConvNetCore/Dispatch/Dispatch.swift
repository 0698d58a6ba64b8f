/// What an operation's kernel hands the dispatcher: its result, and its backward rule, dY → one
/// gradient per input in the order ``Op`` documents (nil where none). The dispatcher keeps the rule
/// (and what it captured) only when a gradient is wanted.
struct Computed {
    var output: Tensor
    var backward: ((Tensor) throws -> [Tensor?])?

    init(_ output: Tensor, backward: ((Tensor) throws -> [Tensor?])? = nil) {
        self.output = output
        self.backward = backward
    }
}

/// The kernels of the operations, one static function per ``Op`` case, each written next to the
/// public function that checks its arguments and builds the `Op` (`Ops/`). ``Op/compute(_:wantsGradient:)``
/// picks one; nothing else calls them.
enum Kernels {}

/// Runs `op` on `inputs`, the one way every operation of the library runs. In this order:
/// 1. the kernel: the op's own, on ``Backend/current``;
/// 2. when gradients are enabled and an input requires one, the op's backward rule is recorded on
///    the result (a ``GradNode``);
/// 3. the call is reported to the task's ``OpObserver`` (traces, graphs, frozen runs).
///
/// `inputs` follow the order ``Op`` documents for the case (`nil` for an absent optional input).
/// Public operator functions check their arguments, build the `Op` and call this; a ``Graph``'s
/// nodes run through it as they are.
package func apply(_ op: Op, _ inputs: [Tensor?]) throws -> Tensor {
    try apply(op, inputs) { inputs, wantsGradient in try op.compute(inputs, wantsGradient: wantsGradient) }
}

/// ``apply(_:_:)`` with a kernel the caller chose among the op's own paths (a fused block's
/// portable or AVX-512 kernel, which tests and benchmarks compare).
func apply(_ op: Op, _ inputs: [Tensor?], kernel: ([Tensor?], Bool) throws -> Computed) throws -> Tensor {
    let wantsGradient = GradMode.enabledFlag && inputs.contains { $0?.requiresGrad == true }
    let computed = try kernel(inputs, wantsGradient)
    let output = computed.output
    if wantsGradient {
        let backward = computed.backward ?? { _ in
            throw ConvNetError(op: op.name, "this kernel computes no gradient here")
        }
        output.requiresGrad = true
        output.gradFn = GradNode(op: op, inputs: inputs.map { $0?.requiresGrad == true ? $0 : nil }, backward: backward)
    }
    OpObservation.current?.observe(op, inputs: inputs, output: output)
    return output
}

/// ``apply(_:_:)`` for an operation whose kernel cannot fail (pointwise math on any shape), for
/// the public functions that do not throw.
func applyTotal(_ op: Op, _ inputs: [Tensor?]) -> Tensor {
    do {
        return try apply(op, inputs)
    } catch {
        preconditionFailure("\(op.name) has a kernel that cannot fail, yet it threw: \(error)")
    }
}

/// Which of `x` and the parameters of a convolution-like kernel need gradients, when any is wanted.
func gradientsWanted(_ wantsGradient: Bool, input x: Tensor, parameters: Tensor?...) -> GradientsWanted {
    GradientsWanted(input: wantsGradient && x.requiresGrad,
                    parameters: wantsGradient && parameters.contains { $0?.requiresGrad == true })
}
