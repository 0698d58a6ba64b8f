/// A building block of a network, like `torch.nn.Module`: a ``ModuleBase`` subclass that has a
/// ``Forwarding/forward(_:)`` method (the compiler requires one).
///
/// Sub-modules, ``Parameter``s and ``Buffer``s are stored properties, found by reflection in
/// declaration order and named after the property, so
///
///     final class Net: Module {
///         let conv1 = Conv2d(1, 6, kernelSize: 5)
///         let fc1 = Linear(864, 10)
///         @Parameter var scale = Tensor.ones([10])
///         func forward(_ x: Tensor) throws -> Tensor { try fc1(flatten(conv1(x).relu())) * scale }
///     }
///
/// has the parameters `scale`, `conv1.weight`, `conv1.bias`, `fc1.weight`, `fc1.bias`, exactly the
/// names (and order) PyTorch's `state_dict()` gives the same model, so weights move between the two.
public typealias Module = ModuleBase & Forwarding

/// The computation of a ``Module``. Call the module itself instead: `module(x)`.
public protocol Forwarding {
    /// Maps the module's input to its output.
    func forward(_ input: Tensor) throws -> Tensor
}

/// What every ``Module`` is: a class whose stored properties hold its sub-modules, ``Parameter``s
/// and ``Buffer``s, and whose mode (training or evaluation) they all follow. Subclass it as
/// `Module`, which adds `forward`; the module tree, state_dict and modes are in `ModuleStateDict.swift`.
open class ModuleBase {
    /// Training mode (batch norm uses batch statistics, dropout drops) or evaluation mode.
    public package(set) var isTraining = true

    /// A module with nothing of its own; subclasses add stored properties.
    public init() {}

    /// A module's own tensors and sub-modules, each list in declaration order.
    struct Contents {
        var parameters: [(name: String, tensor: Tensor)] = []
        var buffers: [(name: String, tensor: Tensor)] = []
        var children: [(name: String, module: Module)] = []
    }

    /// This module's own ``Parameter``s, ``Buffer``s (absent optional ones left out) and
    /// sub-modules, found by reflection; a superclass's properties come first, declared first.
    var contents: Contents {
        var levels: [Mirror] = []
        var mirror: Mirror? = Mirror(reflecting: self)
        while let m = mirror, m.subjectType != ModuleBase.self {
            levels.append(m)
            mirror = m.superclassMirror
        }
        var found = Contents()
        for level in levels.reversed() {
            for child in level.children {
                guard let label = child.label.map(Self.propertyName) else { continue }
                if let slot = child.value as? ReflectedModuleTensor {
                    guard let tensor = slot.tensor else { continue }
                    if slot.isParameter {
                        found.parameters.append((slot.name ?? label, tensor))
                    } else {
                        found.buffers.append((slot.name ?? label, tensor))
                    }
                } else if let module = child.value as? Module {
                    found.children.append((label, module))
                } else if let modules = child.value as? [Module] {
                    for (i, module) in modules.enumerated() { found.children.append(("\(label).\(i)", module)) }
                }
            }
        }
        return found
    }

    /// Direct sub-modules with their names: by default every stored property holding a `Module`
    /// (or an array of them, named `property.index`), in declaration order.
    open var children: [(name: String, module: Module)] { contents.children }

    /// `_conv1` (a lazy or wrapped property's storage) → `conv1`.
    private static func propertyName(_ label: String) -> String {
        var name = label
        if name.hasPrefix("$__lazy_storage_$_") { name.removeFirst("$__lazy_storage_$_".count) }
        if name.hasPrefix("_") { name.removeFirst() }
        return name
    }
}
