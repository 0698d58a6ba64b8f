import ConvNet
import ConvNetCore
import Foundation

/// A value of the graph being exported, with its shape: what the operator mappings read.
struct ExportOperand {
    let value: Graph.Value
    let shape: [Int]
    var rank: Int { shape.count }
    var count: Int { shape.reduce(1, *) }
}

/// One node of the graph being exported, its inputs and result as ``ExportOperand``s.
struct ExportCall {
    let op: Op
    let inputs: [ExportOperand?]
    let output: ExportOperand
}

/// Collects the nodes and initializers of an ONNX graph being written from a ``Graph``, and the
/// name of every value of the graph once it has one (the graph input, parameters and buffers
/// under their state_dict names, node outputs, constants).
struct ONNXGraphBuilder {
    private(set) var nodes: [Onnx_NodeProto] = []
    private(set) var initializers: [Onnx_TensorProto] = []
    /// The graph written.
    let graph: Graph
    private var names: [Graph.Value: String] = [:]
    private var taken: Set<String> = []
    private var constants = 0

    init(_ graph: Graph) {
        self.graph = graph
        taken = Set(graph.parameters.map(\.name))
    }

    /// `value` with its shape.
    func operand(_ value: Graph.Value) -> ExportOperand { ExportOperand(value: value, shape: graph.shape(of: value)) }

    /// Node `index` of the graph with its operands.
    func call(_ index: Int) -> ExportCall {
        let node = graph.nodes[index]
        return ExportCall(op: node.op, inputs: node.inputs.map { $0.map(operand) }, output: operand(.node(index)))
    }

    /// Names `value`, the graph input or a node output, `name`.
    mutating func name(_ value: ExportOperand, _ name: String) {
        names[value.value] = name
        taken.insert(name)
    }

    /// Whether `operand` is the graph input or a node output (else a parameter, buffer or constant).
    func isComputed(_ operand: ExportOperand) -> Bool {
        switch operand.value {
        case .input, .node: true
        case .parameter, .constant: false
        }
    }

    /// Whether `operand` is one of the module's parameters or buffers.
    func isState(_ operand: ExportOperand) -> Bool {
        if case .parameter = operand.value { true } else { false }
    }

    /// The values of a parameter or constant (nil for the input or a node's result).
    func storedValues(_ operand: ExportOperand) -> [Float]? {
        switch operand.value {
        case .parameter(let i): graph.parameters[i].tensor.scalars
        case .constant(let i): graph.constants[i].scalars
        case .input, .node: nil
        }
    }

    /// The name of `operand` as a node input: its own name, or a new float32 initializer holding
    /// its values (named after the state_dict entry, or `const_<n>` for a constant of the forward code).
    mutating func input(_ operand: ExportOperand) -> String {
        if let name = names[operand.value] { return name }
        let name: String
        switch operand.value {
        case .parameter(let i):
            name = graph.parameters[i].name
        default:
            name = unique("const_\(constants)")
            constants += 1
        }
        names[operand.value] = name
        taken.insert(name)
        initializers.append(Self.floatTensor(name, shape: operand.shape, storedValues(operand) ?? []))
        return name
    }

    /// A new int64 initializer (shapes and pads), named after `base`.
    mutating func int64Initializer(_ base: String, _ values: [Int]) -> String {
        let name = unique(base)
        taken.insert(name)
        var t = Onnx_TensorProto()
        t.name = name
        t.dims = [Int64(values.count)]
        t.dataType = Int32(Onnx_TensorProto.DataType.int64.rawValue)
        t.rawData = Self.littleEndianBytes(values.map { Int64($0) })
        initializers.append(t)
        return name
    }

    /// A float32 initializer of `values` (constants the exporter itself adds, such as a missing
    /// batch-norm scale), named after `base`.
    mutating func floatInitializer(_ base: String, shape: [Int], _ values: [Float]) -> String {
        let name = unique(base)
        taken.insert(name)
        initializers.append(Self.floatTensor(name, shape: shape, values))
        return name
    }

    /// Appends a node; returns the name of its (single) output, `output` when given, else a new one
    /// made from the op type.
    @discardableResult
    mutating func node(_ opType: String, _ inputs: [String], output: String? = nil,
                       _ attributes: [Onnx_AttributeProto] = []) -> String {
        let index = nodes.count
        let out = output ?? unique("/\(opType)_\(index)_output")
        taken.insert(out)
        var node = Onnx_NodeProto()
        node.name = "/\(opType)_\(index)"
        node.opType = opType
        node.input = inputs
        node.output = [out]
        node.attribute = attributes
        nodes.append(node)
        return out
    }

    private func unique(_ base: String) -> String {
        var name = base, n = 1
        while taken.contains(name) { name = "\(base)_\(n)"; n += 1 }
        return name
    }

    private static func floatTensor(_ name: String, shape: [Int], _ values: [Float]) -> Onnx_TensorProto {
        var t = Onnx_TensorProto()
        t.name = name
        t.dims = shape.map { Int64($0) }
        t.dataType = Int32(Onnx_TensorProto.DataType.float.rawValue)
        t.rawData = littleEndianBytes(values.map(\.bitPattern))
        return t
    }

    /// ONNX's raw_data is little-endian whatever the host.
    private static func littleEndianBytes<T: FixedWidthInteger>(_ values: [T]) -> Data {
        values.map(\.littleEndian).withUnsafeBytes { Data($0) }
    }
}

/// Attribute constructors, in ONNX's names.
enum ONNXAttribute {
    static func int(_ name: String, _ value: Int) -> Onnx_AttributeProto {
        var a = Onnx_AttributeProto()
        a.name = name; a.type = .int; a.i = Int64(value)
        return a
    }

    static func ints(_ name: String, _ values: [Int]) -> Onnx_AttributeProto {
        var a = Onnx_AttributeProto()
        a.name = name; a.type = .ints; a.ints = values.map { Int64($0) }
        return a
    }

    static func float(_ name: String, _ value: Float) -> Onnx_AttributeProto {
        var a = Onnx_AttributeProto()
        a.name = name; a.type = .float; a.f = value
        return a
    }
}
