/// Records every module call of a forward pass (for `convnet summary`): the module, and its
/// input and output shapes, in the order the calls finish (sub-modules before their parent).
public final class ModuleTracer: @unchecked Sendable {
    @TaskLocal static var current: ModuleTracer?

    /// One finished call.
    public struct Call {
        public let module: Module
        public let inputShape: [Int]
        public let outputShape: [Int]
    }

    public private(set) var calls: [Call] = []

    /// The module whose output is kept (see ``captured``), if any.
    public let target: Module?

    /// The output of the last call of ``target`` (a tensor of the traced graph: gradients can be
    /// taken with respect to it).
    public private(set) var captured: Tensor?

    /// A tracer with no calls recorded yet, keeping the output of `target` when given.
    public init(capturing target: Module? = nil) { self.target = target }

    func record(_ module: Module, input: Tensor, output: Tensor) {
        calls.append(Call(module: module, inputShape: input.shape, outputShape: output.shape))
        if module === target { captured = output }
    }

    /// Runs `body` with this tracer recording the module calls it makes.
    public func tracing<R>(_ body: () throws -> R) rethrows -> R {
        try Self.$current.withValue(self, operation: body)
    }
}
