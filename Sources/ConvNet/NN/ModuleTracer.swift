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

    /// The modules whose outputs are kept (see ``output(of:)``).
    private let targets: Set<ObjectIdentifier>
    private var outputs: [ObjectIdentifier: Tensor] = [:]

    /// A tracer with no calls recorded yet, keeping the outputs of `targets`.
    public init(capturing targets: [Module] = []) { self.targets = Set(targets.map(ObjectIdentifier.init)) }

    /// The output of the last call of `module`, one of the targets (a tensor of the traced graph:
    /// gradients can be taken with respect to it).
    public func output(of module: Module) -> Tensor? { outputs[ObjectIdentifier(module)] }

    func record(_ module: Module, input: Tensor, output: Tensor) {
        calls.append(Call(module: module, inputShape: input.shape, outputShape: output.shape))
        if targets.contains(ObjectIdentifier(module)) { outputs[ObjectIdentifier(module)] = output }
    }

    /// Runs `body` with this tracer recording the module calls it makes.
    public func tracing<R>(_ body: () throws -> R) rethrows -> R {
        try Self.$current.withValue(self, operation: body)
    }
}
