/// Builds models by name (`--model`).
public enum ModelZoo {
    /// The names ``make(_:classes:)`` knows.
    public static let names = ["lenet5"]

    /// A freshly initialised model (weights drawn from the global generator; seed it first).
    /// - Throws: ``ConvNetError`` for an unknown name, listing the known ones.
    public static func make(_ name: String, classes: Int = 10) throws -> Module {
        switch name {
        case "lenet5": return LeNet5(classes: classes)
        default:
            throw ConvNetError(op: "model", "unknown model \"\(name)\" (known: \(names.joined(separator: ", ")))")
        }
    }
}
