import ConvNet
import Foundation

/// What an ONNX file says of the image classifier it holds, in its `metadata_props`: the
/// normalisation its images need, its class names and its input shape. `convnet export` writes
/// them from a checkpoint, so that `predict --onnx` and `eval --onnx` prepare images as training did
/// and name the classes as it did.
///
/// Each value is a JSON array:
///
///     convnet.mean         [0.4914, 0.4822, 0.4465]    one per channel
///     convnet.std          [0.247, 0.2435, 0.2616]     one per channel, each > 0
///     convnet.class_names  ["airplane", "automobile", …]
///     convnet.input_shape  [3, 32, 32]                 [C, H, W]
///
/// Read from a file, they are hostile input like the rest of it: each is checked (its length,
/// JSON, counts, finite numbers, a positive std, names on one line) when the model loads, and
/// against the graph (channels, classes, input size) where a command uses it as a classifier.
public struct ONNXClassifierMetadata: Sendable, Equatable {
    /// The keys of the normalisation, in `metadata_props`.
    public static let meanKey = "convnet.mean", stdKey = "convnet.std"
    /// The keys of the class names and the input shape, in `metadata_props`.
    public static let classNamesKey = "convnet.class_names", inputShapeKey = "convnet.input_shape"
    /// The longest value read (class names included: 1 MiB is ~50,000 long names).
    static let valueLimit = 1 << 20
    /// The most class names read.
    static let classLimit = 1 << 16
    /// The longest class name, in characters.
    static let nameLimit = 256

    /// Per-channel mean and std of pixels scaled to [0, 1].
    public var normalization: Normalization?
    /// Class names, in output order.
    public var classNames: [String]?
    /// `[C, H, W]`.
    public var inputShape: [Int]?

    /// What is known of a classifier; nil where nothing is (that key is not written).
    public init(normalization: Normalization? = nil, classNames: [String]? = nil, inputShape: [Int]? = nil) {
        self.normalization = normalization
        self.classNames = classNames
        self.inputShape = inputShape
    }

    /// Whether nothing is known.
    public var isEmpty: Bool { normalization == nil && classNames == nil && inputShape == nil }

    /// The `metadata_props` entries, in key order.
    var entries: [(key: String, value: String)] {
        func numbers(_ values: [Float]) -> String { "[" + values.map { "\($0)" }.joined(separator: ", ") + "]" }
        var out: [(String, String)] = []
        if let names = classNames, let data = try? JSONSerialization.data(withJSONObject: names) {
            out.append((Self.classNamesKey, String(decoding: data, as: UTF8.self)))
        }
        if let shape = inputShape { out.append((Self.inputShapeKey, "[" + shape.map(String.init).joined(separator: ", ") + "]")) }
        if let n = normalization { out += [(Self.meanKey, numbers(n.mean)), (Self.stdKey, numbers(n.std))] }
        return out.sorted { $0.0 < $1.0 }
    }

    /// Reads the `convnet.*` entries among `entries` (others are left alone).
    /// - Throws: ``ConvNetError`` naming `source`, the key and what is wrong with its value.
    init(entries: [(key: String, value: String)], source: String) throws {
        var values: [String: String] = [:]
        for (key, value) in entries where key.hasPrefix("convnet.") {
            guard values[key] == nil else { throw Self.fail(source, key, "is given twice") }
            guard value.utf8.count <= Self.valueLimit else {
                throw Self.fail(source, key, "is \(value.utf8.count) bytes long, more than the \(Self.valueLimit) read")
            }
            values[key] = value
        }
        func decode<T: Decodable>(_ key: String, as type: T.Type, _ expected: String) throws -> T? {
            guard let value = values[key] else { return nil }
            guard let decoded = try? JSONDecoder().decode(T.self, from: Data(value.utf8)) else {
                throw Self.fail(source, key, "is \(quoted: value), not \(expected)")
            }
            return decoded
        }
        let mean = try decode(Self.meanKey, as: [Double].self, "a JSON array of numbers")
        let std = try decode(Self.stdKey, as: [Double].self, "a JSON array of numbers")
        switch (mean, std) {
        case (nil, nil): break
        case let (mean?, std?):
            normalization = try Normalization.validated(mean: mean, std: std, what: "\(source): metadata \"\(Self.meanKey)\" and \"\(Self.stdKey)\"", op: "onnx")
        default:
            throw Self.fail(source, mean == nil ? Self.stdKey : Self.meanKey, "is given without \(quoted: mean == nil ? Self.meanKey : Self.stdKey)")
        }
        if let names = try decode(Self.classNamesKey, as: [String].self, "a JSON array of strings") {
            guard names.count >= 2 && names.count <= Self.classLimit else {
                throw Self.fail(source, Self.classNamesKey, "holds \(names.count) names, expected 2 to \(Self.classLimit)")
            }
            for (i, name) in names.enumerated() {
                guard !name.isEmpty, name.count <= Self.nameLimit, !name.contains(where: { $0.isNewline || $0.unicodeScalars.contains { $0.properties.generalCategory == .control } }) else {
                    throw Self.fail(source, Self.classNamesKey, "name \(i) \(quoted: name) is empty, longer than \(Self.nameLimit) characters or holds a control character")
                }
            }
            classNames = names
        }
        if let shape = try decode(Self.inputShapeKey, as: [Int].self, "a JSON array of whole numbers") {
            guard shape.count == 3, shape[0] == 1 || shape[0] == 3, shape.dropFirst().allSatisfy({ $0 >= 1 && $0 <= ONNXShapeRules.maxDimension }) else {
                throw Self.fail(source, Self.inputShapeKey, "is \(list: shape), expected [C, H, W] with 1 or 3 channels and positive sizes")
            }
            inputShape = shape
        }
    }

    private static func fail(_ source: String, _ key: String, _ message: String) -> ConvNetError {
        ConvNetError(op: "onnx", "\(source): metadata \(quoted: key) \(message)")
    }

    /// Throws unless what is known agrees with a classifier of input `[C, H, W]` and `classes` outputs.
    func requireAgrees(inputShape shape: [Int], classes: Int, source: String) throws {
        if let normalization, normalization.mean.count != shape[0] {
            throw Self.fail(source, Self.meanKey, "has \(normalization.mean.count) values but the input has \(shape[0]) channels")
        }
        if let classNames, classNames.count != classes {
            throw Self.fail(source, Self.classNamesKey, "names \(classNames.count) classes but the output has \(classes)")
        }
        if let inputShape, inputShape != shape {
            throw Self.fail(source, Self.inputShapeKey, "is \(list: inputShape) but the graph's input is \(list: shape)")
        }
    }
}
