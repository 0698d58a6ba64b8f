/// A learnable tensor of a module, found by ``ModuleBase`` the way sub-modules are: by reflection,
/// in declaration order, named after the property (`nn.Parameter` assigned to an attribute).
///
///     @Parameter var weight: Tensor
///     @Parameter var bias: Tensor?          // nil: no bias, and no `bias` entry in the state_dict
///
/// The tensor is made to require gradients, so an optimizer given ``ModuleBase/parameters`` trains it
/// and ``ModuleBase/stateDict()`` saves it. Where PyTorch's name is not the Swift name, give it:
/// `_weightHH = Parameter(wrappedValue: …, name: "weight_hh")` in the initialiser, or
/// `@Parameter(name: "weight_hh") var weightHH = …` with a value at the declaration.
@propertyWrapper
public struct Parameter<Value: ModuleTensorValue> {
    /// The tensor (or `nil` for an absent optional one); set tensors require gradients.
    public var wrappedValue: Value { didSet { wrappedValue.moduleTensor?.requiresGrad = true } }
    /// The state_dict name when it differs from the property's name.
    public let name: String?

    /// Holds `wrappedValue` as a learnable tensor, named `name` (the property's name when `nil`).
    public init(wrappedValue: Value, name: String? = nil) {
        self.wrappedValue = wrappedValue
        self.name = name
        wrappedValue.moduleTensor?.requiresGrad = true
    }
}

/// Non-learnable state of a module that checkpoints keep (`register_buffer`): batch norm's running
/// statistics. Found, named and ordered as ``Parameter`` is; its tensor is left as it is given.
///
///     @Buffer var runningMean: Tensor       // saved as `runningMean`; see ``init(wrappedValue:name:)``
@propertyWrapper
public struct Buffer<Value: ModuleTensorValue> {
    /// The tensor (or `nil` for an absent optional one).
    public var wrappedValue: Value
    /// The state_dict name when it differs from the property's name.
    public let name: String?

    /// Holds `wrappedValue` as a buffer, named `name` (the property's name when `nil`):
    /// `_runningMean = Buffer(wrappedValue: .zeros([c]), name: "running_mean")`.
    public init(wrappedValue: Value, name: String? = nil) {
        self.wrappedValue = wrappedValue
        self.name = name
    }
}

/// What ``Parameter`` and ``Buffer`` can hold: a `Tensor`, or an optional one.
public protocol ModuleTensorValue {
    /// The tensor held, if any.
    var moduleTensor: Tensor? { get }
}

extension Tensor: ModuleTensorValue {
    public var moduleTensor: Tensor? { self }
}

extension Optional: ModuleTensorValue where Wrapped == Tensor {
    public var moduleTensor: Tensor? { self }
}

/// How ``ModuleBase`` recognises a ``Parameter`` or ``Buffer`` among a module's stored properties.
protocol ReflectedModuleTensor {
    var isParameter: Bool { get }
    var tensor: Tensor? { get }
    var name: String? { get }
}

extension Parameter: ReflectedModuleTensor {
    var isParameter: Bool { true }
    var tensor: Tensor? { wrappedValue.moduleTensor }
}

extension Buffer: ReflectedModuleTensor {
    var isParameter: Bool { false }
    var tensor: Tensor? { wrappedValue.moduleTensor }
}
