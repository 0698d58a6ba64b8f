import ConvNet
/// Reads one node's attributes and inputs for ``ONNXOperator``, with errors that name the
/// node (its index, name and op type) and the attribute.
struct ONNXNodeReader {
    let node: Onnx_NodeProto
    let index: Int
    let source: String
    let opset: Int
    private let attributes: [String: Onnx_AttributeProto]

    init(_ node: Onnx_NodeProto, index: Int, source: String, opset: Int) {
        self.node = node
        self.index = index
        self.source = source
        self.opset = opset
        attributes = Dictionary(node.attribute.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
    }

    /// `node 3 "/conv1/Conv" (Conv)`.
    var label: String { Self.label(node, index: index) }

    static func label(_ node: Onnx_NodeProto, index: Int) -> String {
        "node \(index) \(node.name.isEmpty ? "(unnamed)" : ONNXErrorText.quoted(node.name)) (\(bare: node.opType))"
    }

    /// An error about this node.
    func error(_ message: String, kind: ConvNetError.Kind = .format) -> ConvNetError {
        ConvNetError(kind, op: "onnx", "\(source): \(label) \(message)")
    }

    /// An error about an unsupported value of attribute `name`.
    func unsupported(_ name: String, _ value: String, _ supported: String) -> ConvNetError {
        error("has \(name) = \(value), which is not supported (\(supported))", kind: .unsupported)
    }

    /// Throws unless every attribute is one of `known` (an attribute we would ignore could change the result).
    func requireOnly(_ known: Set<String>) throws {
        for name in node.attribute.map(\.name) where !known.contains(name) {
            throw error("has attribute \(bare: name), which is not supported for \(bare: node.opType)")
        }
    }

    /// Throws unless the node has between `min` and `max` inputs (empty names count as absent
    /// at the end) and at most `outputs` outputs.
    func requireArity(inputs min: Int, _ max: Int, outputs: Int = 1) throws {
        let given = node.input.count
        guard given >= min && given <= max else {
            throw error("has \(given) inputs, expects \(min == max ? "\(min)" : "\(min) to \(max)")")
        }
        guard node.output.count >= 1 && node.output.count <= outputs else {
            throw error("has \(node.output.count) outputs, which is not supported (supports \(outputs == 1 ? "1" : "1 to \(outputs)"))")
        }
        guard node.input.prefix(min).allSatisfy({ !$0.isEmpty }) else { throw error("lacks a required input") }
        // Optional outputs (Dropout's mask, MaxPool's indices) are only allowed unnamed.
        if node.output.dropFirst().contains(where: { !$0.isEmpty }) && outputs == 1 {
            throw error("asks for optional outputs, which are not supported")
        }
    }

    func has(_ name: String) -> Bool { attributes[name] != nil }

    func int(_ name: String, default value: Int) throws -> Int {
        guard let a = attributes[name] else { return value }
        guard a.type == .int || (a.type == .undefined && a.hasI) else { throw error("has attribute \(name) of type \(a.type), expects an int") }
        guard a.i > -(1 << 40) && a.i < 1 << 40 else { throw unsupported(name, "\(a.i)", "out of range") }
        return Int(a.i)
    }

    func float(_ name: String, default value: Float) throws -> Float {
        guard let a = attributes[name] else { return value }
        guard a.type == .float || (a.type == .undefined && a.hasF) else { throw error("has attribute \(name) of type \(a.type), expects a float") }
        return a.f
    }

    func ints(_ name: String) throws -> [Int]? {
        guard let a = attributes[name] else { return nil }
        guard a.type == .ints || (a.type == .undefined && !a.ints.isEmpty) else { throw error("has attribute \(name) of type \(a.type), expects ints") }
        guard a.ints.allSatisfy({ $0 > -(1 << 40) && $0 < 1 << 40 }) else { throw unsupported(name, "\(list: a.ints)", "values out of range") }
        return a.ints.map { Int($0) }
    }

    func string(_ name: String, default value: String) throws -> String {
        guard let a = attributes[name] else { return value }
        guard a.type == .string || (a.type == .undefined && a.hasS) else { throw error("has attribute \(name) of type \(a.type), expects a string") }
        return String(decoding: a.s, as: UTF8.self)
    }

    func tensor(_ name: String) -> Onnx_TensorProto? {
        guard let a = attributes[name], a.type == .tensor || a.hasT else { return nil }
        return a.t
    }

    func floats(_ name: String) -> [Float]? { attributes[name].map(\.floats) }
}
