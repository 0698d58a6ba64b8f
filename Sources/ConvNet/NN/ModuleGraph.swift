import ConvNetCore

extension Forwarding where Self: ModuleBase {
    /// This module's forward pass as a ``Graph``: traced once in evaluation mode, without
    /// gradients, on a batch of `batch` zero inputs of `inputShape`; parameters and buffers named
    /// as in ``stateDict()``. Every sub-module's mode is restored afterwards.
    ///
    /// Works for any module built from this library's operations: the zoo's, one you write, or an
    /// imported ONNX model. `convnet summary MODEL --graph` prints it.
    /// - Throws: what the forward pass throws on that input (a shape it cannot take), or
    ///   ``ConvNetError`` when the traced input would not fit in memory.
    public func graph(inputShape: [Int], batch: Int = 1) throws -> Graph {
        let shape = [batch] + inputShape
        guard batch >= 1, !inputShape.isEmpty, inputShape.allSatisfy({ $0 >= 1 }) else {
            throw ConvNetError(op: "graph", "the input \(shape) must have a positive batch and positive sizes")
        }
        let inputBytes = try MemoryBudget.floatBytes([shape], op: "graph", what: "batch × input")
        try MemoryBudget.require(product: [inputBytes, ModelSummary.traceMemoryFactor], op: "graph",
                                 what: "tracing a batch of \(batch) \(inputShape.map(String.init).joined(separator: "×")) inputs")
        return try graph(tracing: Tensor.zeros(shape))
    }

    /// This module's forward pass on `input` as a ``Graph``, traced in evaluation mode without
    /// gradients (every sub-module's mode restored afterwards); the caller has checked the input's size.
    package func graph(tracing input: Tensor) throws -> Graph {
        let modes = namedModules().map { ($0.module, $0.module.isTraining) }
        defer { for (module, training) in modes { module.isTraining = training } }
        eval()
        return try Graph.trace(parameters: stateDict(), input: input) { try self($0) }.graph
    }
}
