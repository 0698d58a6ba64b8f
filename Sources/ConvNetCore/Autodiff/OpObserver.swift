/// Something that watches every recorded operation of a forward pass, in order: which tensors
/// each read and which it produced. ``Tensor/recorded(_:_:_:)`` reports every call to the observer
/// of the current task, with or without gradients. The inference planner traces a model with one
/// (`OpTrace`) and its frozen runs follow the same calls with another. An observer belongs to the
/// one forward pass it watches (one task, one thread), hence `Sendable` without locks.
protocol OpObserver: AnyObject, Sendable {
    /// An operation named `op` read `inputs` (`nil` where none was given) and produced `output`.
    func observe(_ op: String, inputs: [Tensor?], output: Tensor)
}

/// The observer of the current task, if any.
enum OpObservation {
    @TaskLocal static var current: (any OpObserver)?
}

/// A fact about one operation that the inference planner needs beyond its inputs, told by the
/// operator itself while an ``OpTrace`` records.
enum OpDetail {
    /// A 2-D convolution of `g` with these weights.
    case convolution(Conv2dGeometry, weight: Tensor, bias: Tensor?)
    /// Batch normalisation in evaluation mode (running statistics).
    case batchNorm(weight: Tensor?, bias: Tensor?, mean: Tensor, variance: Tensor, eps: Float)
}

/// The recorded calls of one forward pass: each call's operation, the identities of the tensors it
/// read and produced, and its ``OpDetail`` where the operator gave one. Keeps every tensor it saw
/// alive until it is dropped, so that identities stay unique.
final class OpTrace: OpObserver, @unchecked Sendable {
    struct Call {
        let op: String
        let inputs: [ObjectIdentifier?]
        let output: ObjectIdentifier
        var detail: OpDetail?
    }

    private(set) var calls: [Call] = []
    private var seen: [Tensor] = []
    private var callByOutput: [ObjectIdentifier: Int] = [:]

    func observe(_ op: String, inputs: [Tensor?], output: Tensor) {
        seen.append(output)
        seen.append(contentsOf: inputs.compactMap { $0 })
        callByOutput[ObjectIdentifier(output)] = calls.count
        calls.append(Call(op: op, inputs: inputs.map { $0.map(ObjectIdentifier.init) }, output: ObjectIdentifier(output)))
    }

    /// Attaches `detail` to the call that produced `output` (the operator's last recorded call).
    func describe(_ output: Tensor, _ detail: OpDetail) {
        guard let index = callByOutput[ObjectIdentifier(output)] else { return }
        calls[index].detail = detail
    }

    /// Tells the current trace, if one records, a fact about the call that produced `output`.
    static func describe(_ output: Tensor, _ detail: @autoclosure () -> OpDetail) {
        (OpObservation.current as? OpTrace)?.describe(output, detail())
    }
}
