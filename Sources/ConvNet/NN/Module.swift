/// A building block of a network, like `torch.nn.Module`.
///
/// Subclasses implement ``forward(_:)`` and declare their sub-modules as stored properties;
/// those are found by reflection, in declaration order, and named after the property, so
///
///     final class Net: Module {
///         let conv1 = Conv2d(1, 6, kernelSize: 5)
///         let fc1 = Linear(864, 10)
///         override func forward(_ x: Tensor) throws -> Tensor { try fc1(flatten(conv1(x).relu())) }
///     }
///
/// has the parameters `conv1.weight`, `conv1.bias`, `fc1.weight`, `fc1.bias`, exactly the names
/// PyTorch's `state_dict()` gives the same model, so weights move between the two.
open class Module {
    /// Training mode (batch norm uses batch statistics, dropout drops) or evaluation mode.
    public private(set) var isTraining = true

    /// A module with no parameters of its own; subclasses add theirs.
    public init() {}

    /// The computation of this module. Call the module itself instead: `module(x)`.
    open func forward(_ input: Tensor) throws -> Tensor {
        throw ConvNetError(op: String(describing: type(of: self)), "forward(_:) is not implemented")
    }

    /// Runs ``forward(_:)`` (and reports the call to an active ``ModuleTracer``).
    public final func callAsFunction(_ input: Tensor) throws -> Tensor {
        let output = try forward(input)
        ModuleTracer.current?.record(self, input: input, output: output)
        return output
    }

    /// This module's own learnable tensors (not its children's), named as in PyTorch (`weight`, `bias`).
    open var localParameters: [(name: String, tensor: Tensor)] { [] }

    /// This module's own non-learnable state (`running_mean`, …), saved in checkpoints.
    open var localBuffers: [(name: String, tensor: Tensor)] { [] }

    /// Direct sub-modules with their names: by default every stored property holding a `Module`
    /// (or an array of them, named `property.index`), in declaration order.
    open var children: [(name: String, module: Module)] {
        var found: [(String, Module)] = []
        var mirror: Mirror? = Mirror(reflecting: self)
        var levels: [[(String, Module)]] = []
        while let m = mirror, m.subjectType != Module.self {
            var level: [(String, Module)] = []
            for child in m.children {
                guard let label = child.label.map(Self.propertyName) else { continue }
                if let module = child.value as? Module {
                    level.append((label, module))
                } else if let modules = child.value as? [Module] {
                    for (i, module) in modules.enumerated() { level.append(("\(label).\(i)", module)) }
                }
            }
            levels.append(level)
            mirror = m.superclassMirror
        }
        // Superclass properties first, as they were declared first.
        for level in levels.reversed() { found += level }
        return found
    }

    /// `_conv1` (a lazy or wrapped property's storage) → `conv1`.
    private static func propertyName(_ label: String) -> String {
        var name = label
        if name.hasPrefix("$__lazy_storage_$_") { name.removeFirst("$__lazy_storage_$_".count) }
        if name.hasPrefix("_") { name.removeFirst() }
        return name
    }

    /// Every module in the tree with its dotted path (`""` for this one), parents before children.
    public func namedModules(prefix: String = "") -> [(name: String, module: Module)] {
        var result: [(String, Module)] = [(prefix, self)]
        for (name, child) in children {
            result += child.namedModules(prefix: prefix.isEmpty ? name : prefix + "." + name)
        }
        return result
    }

    /// Every learnable tensor with its state_dict name (`features.0.weight`).
    public func namedParameters() -> [(name: String, tensor: Tensor)] {
        namedModules().flatMap { path, module in
            module.localParameters.map { (path.isEmpty ? $0.name : path + "." + $0.name, $0.tensor) }
        }
    }

    /// The learnable tensors, in state_dict order (what an optimizer is given).
    public var parameters: [Tensor] { namedParameters().map(\.tensor) }

    /// Every buffer with its state_dict name (`bn1.running_mean`).
    public func namedBuffers() -> [(name: String, tensor: Tensor)] {
        namedModules().flatMap { path, module in
            module.localBuffers.map { (path.isEmpty ? $0.name : path + "." + $0.name, $0.tensor) }
        }
    }

    /// Parameters and buffers under their PyTorch state_dict names, in PyTorch's order
    /// (each module's parameters, then its buffers, then its children).
    public func stateDict() -> [(name: String, tensor: Tensor)] {
        namedModules().flatMap { path, module in
            (module.localParameters + module.localBuffers).map { (path.isEmpty ? $0.name : path + "." + $0.name, $0.tensor) }
        }
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
