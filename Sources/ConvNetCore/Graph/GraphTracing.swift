extension Graph {
    /// Runs `body` once on `input` (no gradients), and returns the pass as a graph together with
    /// its result.
    ///
    /// Every operation `body` records becomes a node, except those the result does not depend on
    /// (a statistic computed on the side). A tensor the pass reads is the input, a node's result,
    /// one of `parameters` (by identity: the module's `state_dict`), or else a constant.
    /// Operations that hand back their input unchanged (dropout in evaluation, an adaptive pooling
    /// to the input's own size) record nothing and do not appear.
    /// - Throws: what `body` throws; ``ConvNetError`` when the result is not computed from the
    ///   input at all (the pass returned a parameter or a constant).
    public static func trace(parameters: [(name: String, tensor: Tensor)], input: Tensor,
                             _ body: (Tensor) throws -> Tensor) throws -> (graph: Graph, output: Tensor) {
        let (graph, output) = try tracing(parameters: parameters, input: input, body)
        guard let graph else {
            throw ConvNetError(op: "graph", "the forward pass returns a tensor it did not compute from its input")
        }
        return (graph, output)
    }

    /// ``trace(parameters:input:_:)``, with a nil graph where the result is not computed from the
    /// input (a parameter or constant returned as it is).
    package static func tracing(parameters: [(name: String, tensor: Tensor)], input: Tensor,
                                _ body: (Tensor) throws -> Tensor) throws -> (graph: Graph?, output: Tensor) {
        let (output, operations) = try withNoGrad { try traceOperations { try body(input) } }
        let kept = contributing(operations, to: output)
        var named: [ObjectIdentifier: String] = [:]
        for (name, tensor) in parameters where named[ObjectIdentifier(tensor)] == nil { named[ObjectIdentifier(tensor)] = name }

        var graph = Graph(inputShape: input.shape, parameters: [], constants: [], nodes: [], output: .input)
        var values: [ObjectIdentifier: Value] = [ObjectIdentifier(input): .input]
        func value(of tensor: Tensor) -> Value {
            let id = ObjectIdentifier(tensor)
            if let known = values[id] { return known }
            let made: Value
            if let name = named[id] {
                made = .parameter(graph.parameters.count)
                graph.parameters.append((name, tensor))
            } else {
                made = .constant(graph.constants.count)
                graph.constants.append(tensor)
            }
            values[id] = made
            return made
        }
        for operation in kept {
            let inputs = operation.inputs.map { $0.map(value(of:)) }
            values[ObjectIdentifier(operation.output)] = .node(graph.nodes.count)
            graph.nodes.append(Node(op: operation.op, inputs: inputs, shape: operation.output.shape))
        }
        graph.output = value(of: output)
        guard case .node = graph.output else {
            return (output === input ? graph : nil, output)  // a pass that changes nothing has a graph
        }
        return (graph, output)
    }

    /// The operations whose results `output` depends on, in order.
    package static func contributing(_ operations: [TracedOperation], to output: Tensor) -> [TracedOperation] {
        var needed: Set<ObjectIdentifier> = [ObjectIdentifier(output)]
        var kept: [TracedOperation] = []
        for operation in operations.reversed() where needed.contains(ObjectIdentifier(operation.output)) {
            kept.append(operation)
            for case let t? in operation.inputs { needed.insert(ObjectIdentifier(t)) }
        }
        return kept.reversed()
    }
}
