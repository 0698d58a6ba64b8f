/// One operation of a traced forward pass, as ``traceOperations(_:)`` reports it.
package struct TracedOperation {
    /// The operation, with its attributes (geometry, axis, slope, …).
    package let op: Op
    /// The tensors it read, in the operator's order (`nil` where an optional input, such as a
    /// missing bias, was not given).
    package let inputs: [Tensor?]
    /// The tensor it produced.
    package let output: Tensor
}

/// Runs `body` (one forward pass, usually a module in evaluation mode under `withNoGrad`) and
/// returns its result with every operation it recorded, in order: the operations of the forward
/// code itself too (a residual `+`, a `concat`), not only those of modules. Operators that return
/// their input unchanged (dropout in evaluation, an adaptive pooling to the input's own size)
/// record nothing, so their output is their input.
package func traceOperations(_ body: () throws -> Tensor) throws -> (output: Tensor, operations: [TracedOperation]) {
    let trace = OpTrace()
    let output = try OpObservation.$current.withValue(trace) { try body() }
    let operations = trace.calls.map { call in
        TracedOperation(op: call.op, inputs: call.inputs.map { $0.flatMap(trace.tensor) },
                        output: trace.tensor(call.output)!)
    }
    return (output, operations)
}
