/// Runs its modules in order under names of its own: PyTorch's `nn.Sequential(OrderedDict(…))`,
/// whose state_dict names its children by those names (`features.conv0.weight`,
/// `features.denseblock1.denselayer1.norm1.weight`) rather than by index.
public final class NamedSequential: Module {
    /// The modules with their names, in the order they run.
    public let layers: [(name: String, module: Module)]

    /// - Throws: ``ConvNetError`` for an empty or repeated name.
    public init(_ layers: [(name: String, module: Module)]) throws {
        var seen: Set<String> = []
        for (name, _) in layers {
            guard !name.isEmpty, !name.contains("."), seen.insert(name).inserted else {
                throw ConvNetError(op: "NamedSequential", "module name \"\(name)\" is empty, holds a dot, or is repeated")
            }
        }
        self.layers = layers
    }

    public override var children: [(name: String, module: Module)] { layers }

    public func forward(_ input: Tensor) throws -> Tensor {
        try layers.reduce(input) { try $1.module($0) }
    }
}
