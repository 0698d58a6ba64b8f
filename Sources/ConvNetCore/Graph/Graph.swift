/// A forward pass as a value: typed operations in the order they run, each reading the graph's
/// input, a named parameter, a constant, or an earlier node's result. It is what a trace of a
/// model gives (``Graph/trace(parameters:input:_:)``; for a module, `Module.graph(inputShape:batch:)`),
/// what `convnet summary --graph` prints, and what planners and exporters read.
///
/// Parameters include buffers (batch norm's running statistics): everything a module's
/// `state_dict` holds that the pass read, under its `state_dict` name. A constant is any other
/// tensor the pass read that no recorded operation produced (a tensor the forward code made
/// itself, such as a block of zeros); it is kept by value.
public struct Graph {
    /// Where a node's input comes from.
    public enum Value: Hashable, Sendable {
        /// The graph's input.
        case input
        /// ``Graph/parameters``[i].
        case parameter(Int)
        /// ``Graph/constants``[i].
        case constant(Int)
        /// The result of ``Graph/nodes``[i].
        case node(Int)
    }

    /// One operation of the pass.
    public struct Node {
        /// What it computes, with its attributes.
        public var op: Op
        /// What it reads, in the order ``Op`` documents for it (`nil` where an optional input is absent).
        public var inputs: [Value?]
        /// The shape of its result.
        public var shape: [Int]
    }

    /// The shape of the input the pass was traced at.
    public var inputShape: [Int]
    /// The named tensors the pass read (weights, biases, running statistics), in first-read order.
    public var parameters: [(name: String, tensor: Tensor)]
    /// Other tensors the pass read that no recorded operation produced.
    public var constants: [Tensor]
    /// The operations, in the order they ran; only those the output depends on.
    public var nodes: [Node]
    /// The result of the pass.
    public var output: Value
}

extension Graph {
    /// The number of values held by parameters (each tensor counted once).
    public var parameterCount: Int { parameters.reduce(0) { $0 + $1.tensor.count } }

    /// The shape of `value`.
    public func shape(of value: Value) -> [Int] {
        switch value {
        case .input: inputShape
        case .parameter(let i): parameters[i].tensor.shape
        case .constant(let i): constants[i].shape
        case .node(let i): nodes[i].shape
        }
    }
}
