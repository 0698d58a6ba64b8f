/// The error every ConvNet function throws for bad input.
///
/// It names the operation, and says what was wrong and which rule was broken,
/// e.g. `conv2d: input has 3 channels but weight [8, 4, 3, 3] expects 4 (C_in of x must equal weight.shape[1])`.
public struct ConvNetError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The operation or component that rejected its input (`conv2d`, `reshape`, `idx reader`).
    public var op: String
    /// What was wrong, with the shapes or values involved and the rule broken.
    public var message: String

    /// An error from `op` saying `message`.
    public init(op: String, _ message: String) {
        self.op = op
        self.message = message
    }

    public var description: String { "\(op): \(message)" }
}

/// Throws a ``ConvNetError`` for `op` unless `condition` holds.
@inline(__always)
func require(_ condition: Bool, _ op: @autoclosure () -> String, _ message: @autoclosure () -> String) throws {
    if !condition { throw ConvNetError(op: op(), message()) }
}

/// Formats a shape the way PyTorch prints it: `[2, 3, 4]`.
func describe(_ shape: [Int]) -> String { "[" + shape.map(String.init).joined(separator: ", ") + "]" }
