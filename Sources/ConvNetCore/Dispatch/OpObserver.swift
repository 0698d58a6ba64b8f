/// Something that watches every recorded operation of a forward pass, in order: which tensors
/// each read and which it produced. The dispatcher (``apply(_:_:)``) reports every call to the observer
/// of the current task, with or without gradients. Traces and graphs are made with one
/// (`OpTrace`, ``traceOperations(_:)``). An observer belongs to the
/// one forward pass it watches (one task, one thread), hence `Sendable` without locks.
protocol OpObserver: AnyObject, Sendable {
    /// Operation `op` read `inputs` (`nil` where none was given) and produced `output`.
    func observe(_ op: Op, inputs: [Tensor?], output: Tensor)
}

/// The observer of the current task, if any.
enum OpObservation {
    @TaskLocal static var current: (any OpObserver)?
}

/// The recorded calls of one forward pass: each call's operation and the identities of the tensors
/// it read and produced. Keeps every tensor it saw alive until it is dropped, so that identities
/// stay unique.
final class OpTrace: OpObserver, @unchecked Sendable {
    struct Call {
        let op: Op
        let inputs: [ObjectIdentifier?]
        let output: ObjectIdentifier
    }

    private(set) var calls: [Call] = []
    private var seen: [ObjectIdentifier: Tensor] = [:]

    func observe(_ op: Op, inputs: [Tensor?], output: Tensor) {
        seen[ObjectIdentifier(output)] = output
        for case let input? in inputs { seen[ObjectIdentifier(input)] = input }
        calls.append(Call(op: op, inputs: inputs.map { $0.map(ObjectIdentifier.init) }, output: ObjectIdentifier(output)))
    }

    /// The tensor a call read or produced, by identity.
    func tensor(_ id: ObjectIdentifier) -> Tensor? { seen[id] }
}
