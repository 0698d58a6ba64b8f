/// The module tree, its tensors under their PyTorch state_dict names, and training or evaluation
/// mode: what every ``Module`` offers on top of its ``Forwarding/forward(_:)``.
extension Forwarding where Self: ModuleBase {
    /// Runs ``forward(_:)`` (and reports the call to an active ``ModuleTracer``).
    public func callAsFunction(_ input: Tensor) throws -> Tensor {
        let output = try forward(input)
        ModuleTracer.current?.record(self, input: input, output: output)
        return output
    }

    /// Every module in the tree with its dotted path (`""` for this one), parents before children.
    public func namedModules(prefix: String = "") -> [(name: String, module: Module)] {
        var result: [(String, Module)] = [(prefix, self)]
        for (name, child) in children {
            result += child.namedModules(prefix: prefix.isEmpty ? name : prefix + "." + name)
        }
        return result
    }

    /// Every learnable tensor with its state_dict name (`features.0.weight`); only this module's
    /// own (`weight`) unless `recursive`.
    public func namedParameters(recursive: Bool = true) -> [(name: String, tensor: Tensor)] {
        guard recursive else { return contents.parameters }
        return namedModules().flatMap { path, module in Self.prefixed(path, module.contents.parameters) }
    }

    /// The learnable tensors, in state_dict order (what an optimizer is given).
    public var parameters: [Tensor] { namedParameters().map(\.tensor) }

    /// Every buffer with its state_dict name (`bn1.running_mean`); only this module's own
    /// (`running_mean`) unless `recursive`.
    public func namedBuffers(recursive: Bool = true) -> [(name: String, tensor: Tensor)] {
        guard recursive else { return contents.buffers }
        return namedModules().flatMap { path, module in Self.prefixed(path, module.contents.buffers) }
    }

    /// Parameters and buffers under their PyTorch state_dict names, in PyTorch's order
    /// (each module's parameters, then its buffers, then its children).
    public func stateDict() -> [(name: String, tensor: Tensor)] {
        namedModules().flatMap { path, module in
            let own = module.contents
            return Self.prefixed(path, own.parameters + own.buffers)
        }
    }

    /// `entries` named under the module path `path` (`features.0` + `weight`).
    private static func prefixed(_ path: String, _ entries: [(name: String, tensor: Tensor)]) -> [(name: String, tensor: Tensor)] {
        path.isEmpty ? entries : entries.map { (path + "." + $0.name, $0.tensor) }
    }

    /// Copies tensors into this module's parameters and buffers by name.
    /// - Parameters:
    ///   - strict: require exactly the same names (no missing and no unexpected ones).
    ///   - allowNonFinite: accept NaN and ±infinity (refused by default: such weights make every
    ///     output they reach NaN, which would otherwise surface only as a poor accuracy).
    /// - Throws: ``ConvNetError`` naming missing or unexpected keys, a tensor whose shape differs, or
    ///   tensors holding NaN or ±infinity (unless allowed).
    public func loadStateDict(_ state: [String: Tensor], strict: Bool = true, allowNonFinite: Bool = false) throws {
        if !allowNonFinite { try NonFiniteValues.refuse(state, what: "the weights") }
        let own = stateDict()
        let ownNames = Set(own.map(\.name))
        let missing = own.map(\.name).filter { state[$0] == nil }
        let unexpected = state.keys.filter { !ownNames.contains($0) }.sorted()
        if strict && (!missing.isEmpty || !unexpected.isEmpty) {
            throw ConvNetError(op: "load_state_dict",
                               "missing keys \(missing), unexpected keys \(unexpected) for \(type(of: self))")
        }
        for (name, tensor) in own {
            guard let source = state[name] else { continue }
            guard source.shape == tensor.shape else {
                throw ConvNetError(op: "load_state_dict", "\(name) has shape \(source.shape) in the state but \(tensor.shape) in the model")
            }
            try tensor.assign(source)
        }
    }

    /// Sets training (`true`) or evaluation mode on this module and every sub-module.
    public func train(_ on: Bool = true) {
        for (_, module) in namedModules() { module.isTraining = on }
    }

    /// Evaluation mode (`train(false)`).
    public func eval() { train(false) }

    /// Number of learnable scalars.
    public var parameterCount: Int { parameters.reduce(0) { $0 + $1.count } }

    /// Number of learnable scalars that currently require gradients.
    public var trainableParameterCount: Int { parameters.filter(\.requiresGrad).reduce(0) { $0 + $1.count } }
}

extension Array where Element == (name: String, tensor: Tensor) {
    /// Tensors by name (a `stateDict()`, a file's tensors), the first of each name kept.
    public var dictionary: [String: Tensor] { Dictionary(map { ($0.name, $0.tensor) }, uniquingKeysWith: { a, _ in a }) }
}
