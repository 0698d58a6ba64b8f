/// The error every ConvNet function throws for bad input.
///
/// It names the operation, says what was wrong and which rule was broken,
/// e.g. `conv2d: input has 3 channels but weight [8, 4, 3, 3] expects 4 (C_in of x must equal weight.shape[1])`,
/// and carries a ``Kind`` for code that reacts to failures (retry on I/O, report a corrupt file,
/// fall back where something is unsupported) without reading the message.
public struct ConvNetError: Error, CustomStringConvertible, Equatable, Sendable {
    /// What sort of failure an error is.
    public enum Kind: String, Sendable, CaseIterable {
        /// An operator's tensors or arguments that break its rules: shapes that do not fit, a
        /// stride of 0, a probability above 1 (every check of the core's operators).
        case shape
        /// An option or setting outside what it may be (a negative learning rate, an unknown
        /// model name, a run folder in the way).
        case argument
        /// A file or folder that cannot be read, written, created or locked.
        case io
        /// Bytes that do not follow their format: a corrupt or truncated file, a header that lies.
        case format
        /// Valid input this library does not implement (an ONNX operator, an instruction set, MPI).
        case unsupported
        /// More memory, disk or elements than allowed or available.
        case resource
        /// NaN or infinity where finite values are needed.
        case numerics
    }

    /// The operation or component that rejected its input (`conv2d`, `reshape`, `idx reader`).
    public var op: String
    /// What was wrong, with the shapes or values involved and the rule broken.
    public var message: String
    /// What sort of failure this is.
    public var kind: Kind

    /// An error from `op` saying `message`, of `kind` (``Kind/argument`` unless said).
    public init(_ kind: Kind = .argument, op: String, _ message: String) {
        self.kind = kind
        self.op = op
        self.message = message
    }

    public var description: String { "\(op): \(message)" }
}

extension ConvNetError {
    /// This error with every setting its text names in backticks renamed by `names`.
    ///
    /// Library messages name a setting by its Swift name in backticks (`` `batchSize` ``,
    /// `` `outputDirectory` ``), never by a command-line flag; a front end renames them to what its
    /// users type (the `convnet` tool: `--batch-size`, `--out`).
    public func renamingSettings(_ names: [String: String]) -> ConvNetError {
        var renamed = self
        renamed.op = Self.renamingSettings(in: op, names)
        renamed.message = Self.renamingSettings(in: message, names)
        return renamed
    }

    /// `text` with each `` `name` `` whose name is a key of `names` replaced by its value; other
    /// backticked words are left as they are.
    public static func renamingSettings(in text: String, _ names: [String: String]) -> String {
        guard text.contains("`") else { return text }
        var result = ""
        var rest = text[...]
        while let open = rest.firstIndex(of: "`") {
            result += rest[..<open]
            let afterOpen = rest.index(after: open)
            guard let close = rest[afterOpen...].firstIndex(of: "`") else { return result + rest[open...] }
            let word = String(rest[afterOpen..<close])
            if let name = names[word] {
                result += name
            } else {
                result += rest[open...close]
            }
            rest = rest[rest.index(after: close)...]
        }
        return result + rest
    }
}

/// Throws a ``ConvNetError`` for `op` unless `condition` holds.
@inline(__always)
func require(_ condition: Bool, _ op: @autoclosure () -> String, _ message: @autoclosure () -> String) throws {
    if !condition { throw ConvNetError(.shape, op: op(), message()) }
}

/// Formats a shape the way PyTorch prints it: `[2, 3, 4]`.
func describe(_ shape: [Int]) -> String { "[" + shape.map(String.init).joined(separator: ", ") + "]" }
