import ConvNet
import Foundation

/// A validated ONNX graph ready to run: its nodes in dependency order with their operators
/// parsed, the values known before running (initializers, Constant nodes and everything computed
/// from them only, folded once), and the shapes of every value inferred.
final class ONNXGraph {
    struct Node {
        let index: Int
        let name: String
        let opType: String
        let label: String
        let op: ONNXOperator
        let inputs: [String]
        let output: String
        /// Constant's value, or ConstantOfShape's.
        let fill: ONNXValue?
    }

    /// A graph input: its name, declared dims (nil where symbolic or not given), and whether it
    /// holds integers (shapes, axes, pads fed at run time) rather than floats.
    struct Input {
        let name: String
        let dims: [Int?]
        let symbols: [String]
        var isInt = false

        /// The declared dims for errors, `[batch, 3, 224, 224]` (bounded however many and long).
        var declared: String { ONNXErrorText.list(symbols.map { ONNXErrorText.quoted($0, marks: false) }) }
    }

    let source: String
    let opset: Int
    let inputs: [Input]
    let outputs: [String]
    /// The nodes that run, in order (those computing only from constants are folded away).
    let nodes: [Node]
    /// Values known before running, by name.
    let constants: [String: ONNXValue]
    /// Per node, the names whose last reader it is (freed after it runs).
    private let lastUses: [[String]]
    /// The real paths of the external-data files read, each once.
    let externalFiles: [String]

    init(_ model: Onnx_ModelProto, source: String, folder: String?) throws {
        self.source = source
        let graph = model.graph
        func fail(_ message: String) -> ConvNetError { ConvNetError(.format, op: "onnx", "\(source): \(message)") }
        let opsets = model.opsetImport.filter { $0.domain.isEmpty || $0.domain == "ai.onnx" }
        guard let opset = opsets.first.map({ Int($0.version) }) else {
            throw fail("imports no opset of the default ONNX domain; other domains (\(list: model.opsetImport.map { ONNXErrorText.quoted($0.domain) })) are not supported")
        }
        guard ONNXModel.supportedOpsets.contains(opset) else {
            throw ConvNetError(.unsupported, op: "onnx", "\(source): uses opset \(opset) of the default domain, which is not supported (supported: \(ONNXModel.supportedOpsets.lowerBound)…\(ONNXModel.supportedOpsets.upperBound))")
        }
        self.opset = opset
        guard graph.sparseInitializer.isEmpty else { throw fail("has sparse initializers, which are not supported") }

        // Initializers.
        let decoder = ONNXTensorDecoder(folder: folder, source: source)
        var constants: [String: ONNXValue] = [:]
        for tensor in graph.initializer {
            guard !tensor.name.isEmpty else { throw fail("has an initializer without a name") }
            guard constants[tensor.name] == nil else { throw fail("has two initializers named \(quoted: tensor.name)") }
            constants[tensor.name] = try decoder.decode(tensor, what: "initializer \(quoted: tensor.name)")
        }
        externalFiles = decoder.external?.files ?? []

        // Graph inputs (older models also list their initializers as inputs).
        var inputs: [Input] = []
        var inputNames = Set<String>()
        for info in graph.input where constants[info.name] == nil {
            guard inputNames.insert(info.name).inserted else { throw fail("lists graph input \(quoted: info.name) twice") }
            guard case .tensorType(let type)? = info.type.value else {
                throw fail("graph input \(quoted: info.name) is not a tensor (a sequence, map or optional), which is not supported")
            }
            let elementType = Onnx_TensorProto.DataType(rawValue: Int(type.elemType))
            let isInt = elementType.map(ONNXTensorDecoder.isInteger) ?? false
            guard elementType == .float || isInt else {
                throw fail("graph input \(quoted: info.name) has type \(ONNXTensorDecoder.name(type.elemType)), which is not supported (only FLOAT, and integer or BOOL inputs)")
            }
            let dims = type.shape.dim.map { d -> Int? in
                if case .dimValue(let v)? = d.value, v > 0, v < Int64(Int32.max) { return Int(v) } else { return nil }
            }
            let symbols = type.shape.dim.map { d -> String in
                if case .dimParam(let p)? = d.value { return p } else if case .dimValue(let v)? = d.value { return "\(v)" } else { return "?" }
            }
            inputs.append(Input(name: info.name, dims: dims, symbols: symbols, isInt: isInt))
        }
        self.inputs = inputs
        outputs = graph.output.map(\.name)
        guard !outputs.isEmpty else { throw fail("has no graph output") }
        var outputNames = Set<String>()
        for name in outputs where !outputNames.insert(name).inserted { throw fail("lists graph output \(quoted: name) twice") }
        // Results are float32 or integers: an output declared as another type would come back approximate.
        for info in graph.output {
            guard case .tensorType(let type)? = info.type.value else {
                if info.type.value == nil { continue }
                throw fail("graph output \(quoted: info.name) is not a tensor (a sequence, map or optional), which is not supported")
            }
            let elementType = Onnx_TensorProto.DataType(rawValue: Int(type.elemType))
            guard type.elemType == 0 || elementType == .float || elementType.map(ONNXTensorDecoder.isInteger) == true else {
                throw fail("graph output \(quoted: info.name) has type \(ONNXTensorDecoder.name(type.elemType)), which is not supported (only FLOAT, and integer or BOOL outputs)")
            }
        }

        // Nodes: parsed (unsupported ops and attributes refused), ordered, constants folded. Folding
        // is bounded by what the file holds: 2²⁴ elements of work beyond twice its tensors' elements
        // (a chain of nodes each growing a constant would make loading quadratic in the file, and
        // hold every step); past that, nodes are computed when the graph runs.
        var foldBudget = constants.values.reduce(1 << 24) { $0 + 2 * (MemoryBudget.product($1.shape) ?? 0) }
        var defined = Set(constants.keys).union(inputs.map(\.name))
        defined.insert("")
        let order = try ONNXGraphOrder.sort(graph.node, defined: defined, source: source)
        var nodes: [Node] = []
        for i in order {
            let proto = graph.node[i]
            let reader = ONNXNodeReader(proto, index: i, source: source, opset: opset)
            let op = try ONNXOperator.parse(reader)
            var fill: ONNXValue?
            if case .constant = op { fill = try Self.constantValue(reader, decoder) }
            if case .constantOfShape = op, let t = reader.tensor("value") {
                fill = try decoder.decode(t, what: "\(reader.label) value")
                guard MemoryBudget.product(fill!.shape) == 1 else { throw reader.error("has a value of shape \(list: fill!.shape), expects one element") }
            }
            if case .constant = op, let fill { foldBudget += 2 * (MemoryBudget.product(fill.shape) ?? 0) }
            let node = Node(index: i, name: proto.name, opType: proto.opType, label: reader.label, op: op, inputs: proto.input, output: proto.output[0], fill: fill)
            let present = proto.input.filter { !$0.isEmpty }
            let known = proto.input.map { $0.isEmpty ? nil : constants[$0] }
            if present.allSatisfy({ constants[$0] != nil }), let cost = try Self.foldingCost(node, known, source), cost <= foldBudget {
                // Computed from constants only: once, now.
                foldBudget -= cost
                constants[node.output] = try Self.run(node, known, source: source)
            } else {
                nodes.append(node)
            }
        }
        let computed = Set(nodes.map(\.output))
        for name in outputs where !defined.contains(name) && !computed.contains(name) && constants[name] == nil {
            throw fail("graph output \(quoted: name) is not computed by any node")
        }
        // Keep only the constants a running node or an output reads.
        let read = Set(nodes.flatMap(\.inputs) + outputs)
        self.constants = constants.filter { read.contains($0.key) }
        self.nodes = nodes
        var seen = Set(outputs)
        var lastUses = [[String]](repeating: [], count: nodes.count)
        for (i, node) in nodes.enumerated().reversed() {
            for name in node.inputs where !name.isEmpty && constants[name] == nil && !seen.contains(name) {
                seen.insert(name)
                lastUses[i].append(name)
            }
        }
        self.lastUses = lastUses
    }

    /// The elements a node reading only constants reads and writes, when it is computed once at
    /// load; nil when it is left to run: an operator whose work is not linear in its tensors
    /// (convolution, matrix products, pooling windows, LRN), or an output larger than 2²⁴
    /// elements and than its largest input (a ConstantOfShape or Pad that expands a few bytes of
    /// the file into gigabytes is computed when, and only if, it runs).
    private static func foldingCost(_ node: Node, _ inputs: [ONNXValue?], _ source: String) throws -> Int? {
        let known = inputs.map { $0.map(ONNXStaticValue.init(constant:)) }
        let out = try checked(node, source) { try ONNXShapeInference.infer(node.op, known, fill: node.fill) }
        switch node.op {
        case .conv, .gemm, .matMul, .maxPool, .averagePool, .lrn: return nil
        default: break
        }
        // Every shape here was checked countable (``ONNXShapeRules/requireCountable(_:)``).
        let sizes = inputs.compactMap { $0.map { MemoryBudget.product($0.shape) ?? .max } }
        let size = MemoryBudget.product(out.shape) ?? .max
        guard size <= max(1 << 24, sizes.max() ?? 0) else { return nil }
        return MemoryBudget.sum(sizes + [size])
    }

    /// `body`'s result, its mismatches and operator errors made errors naming `node`; the value's
    /// size checked against this machine's memory.
    static func checked(_ node: Node, _ source: String, _ body: () throws -> ONNXStaticValue) throws -> ONNXStaticValue {
        do {
            let out = try body()
            try requireFits(out, node, source)
            return out
        } catch let e as ONNXShapeRules.Mismatch {
            throw ConvNetError(op: "onnx", "\(source): \(node.label) \(e.message)")
        } catch let e as ConvNetError where e.op != "onnx" {
            throw ConvNetError(op: "onnx", "\(source): \(node.label): \(e)")
        }
    }

    /// Throws unless a value of `out`'s shape is countable (``ONNXShapeRules/requireCountable(_:)``:
    /// every later product over its dimensions is then safe) and fits in this machine's memory.
    static func requireFits(_ out: ONNXStaticValue, _ node: Node, _ source: String) throws {
        try ONNXShapeRules.requireCountable(out.shape)
        guard let count = MemoryBudget.product(out.shape), let bytes = MemoryBudget.product([count, out.isInt ? 8 : 4]) else {
            throw ONNXShapeRules.fail("has an output of shape \(list: out.shape), more elements than can be counted")
        }
        // A few kilobytes always fit: their message is not built (a graph may have 100,000 such values).
        guard bytes > 1 << 16 else { return }
        try MemoryBudget.require(bytes, op: "onnx", what: "\(source): \(node.label)'s output \(ONNXErrorText.list(out.shape))")
    }

    /// A Constant node's value, from whichever value attribute it has.
    private static func constantValue(_ r: ONNXNodeReader, _ decoder: ONNXTensorDecoder) throws -> ONNXValue {
        if let t = r.tensor("value") { return try decoder.decode(t, what: "\(r.label) value") }
        if r.has("value_float") { return .float(Tensor(try r.float("value_float", default: 0))) }
        if let floats = r.floats("value_floats") { return .float(try Tensor(shape: [floats.count], scalars: floats)) }
        if r.has("value_int") { return .int(ONNXIntTensor(shape: [], values: [try r.int("value_int", default: 0)])) }
        if let ints = try r.ints("value_ints") { return .int(ONNXIntTensor(ints)) }
        throw r.error("has no value attribute that is supported")
    }

    /// `node` on `inputs`, its errors naming the node.
    static func run(_ node: Node, _ inputs: [ONNXValue?], source: String) throws -> ONNXValue {
        do {
            return try ONNXKernels.run(node.op, inputs, fill: node.fill)
        } catch let e as ONNXShapeRules.Mismatch {
            throw ConvNetError(op: "onnx", "\(source): \(node.label) \(e.message)")
        } catch let e as ConvNetError {
            throw ConvNetError(op: "onnx", "\(source): \(node.label): \(e)")
        }
    }

    /// Whether the value `name` is computed, through the nodes, from at least one float constant
    /// (a weight) — a classifier's output is; an input only reshaped is not.
    func dependsOnWeights(_ name: String) -> Bool {
        var producers: [String: Node] = [:]
        for node in nodes { producers[node.output] = node }
        var stack = [name], seen: Set<String> = [name]
        while let value = stack.popLast() {
            if case .float? = constants[value] { return true }
            for input in producers[value]?.inputs ?? [] where !input.isEmpty && seen.insert(input).inserted { stack.append(input) }
        }
        return false
    }

    // MARK: - Shape inference

    /// The shape of every value for inputs of the given shapes, found without running anything.
    /// - Throws: ``ConvNetError`` naming the first node whose inputs disagree.
    /// - Parameter integers: the contents of integer graph inputs, when known (a Reshape's target
    ///   fed as an input); shape inference needs them wherever they fix a shape.
    func inferShapes(_ inputShapes: [String: [Int]], integers: [String: ONNXIntTensor] = [:]) throws -> [String: ONNXStaticValue] {
        var values = constants.mapValues { ONNXStaticValue(constant: $0) }
        // Integer values computed ahead are shape arithmetic, a few elements each: at most 2²⁴
        // elements are read and written in all (beyond, a value's contents are known when it runs).
        var aheadBudget = 1 << 24
        for input in inputs {
            guard let shape = inputShapes[input.name] else { throw ConvNetError(op: "onnx", "\(source): no value for graph input \(quoted: input.name)") }
            do {
                try ONNXShapeRules.requireCountable(shape)
            } catch let e as ONNXShapeRules.Mismatch {
                throw ConvNetError(op: "onnx", "\(source): graph input \(quoted: input.name) \(e.message)")
            }
            values[input.name] = ONNXStaticValue(shape: shape, isInt: input.isInt, known: integers[input.name].map(ONNXValue.int))
        }
        for node in nodes {
            let x = node.inputs.map { $0.isEmpty ? nil : values[$0] }
            values[node.output] = try Self.checked(node, source) {
                var out = try ONNXShapeInference.infer(node.op, x, fill: node.fill)
                // Shape arithmetic is carried out for the shape being inferred (Reshape's target
                // computed from Shape, Gather, Concat …), never folded: the batch may change.
                let shapeOnly: Bool = if case .shape = node.op { true } else { false }
                let cost = MemoryBudget.sum(x.map { v in v?.known.map { MemoryBudget.product($0.shape) ?? .max } ?? 0 }
                                            + [MemoryBudget.product(out.shape) ?? .max]) ?? .max
                if out.isInt, shapeOnly || x.allSatisfy({ $0 == nil || $0!.known != nil }), cost <= aheadBudget {
                    aheadBudget -= cost
                    try Self.requireFits(out, node, source)
                    let feed: [ONNXValue?] = x.map { v in
                        guard let v else { return nil }
                        return v.known ?? .int(ONNXIntTensor(shape: v.shape, values: []))  // for Shape, which reads only the shape
                    }
                    out.known = try ONNXKernels.run(node.op, feed, fill: node.fill)
                }
                return out
            }
        }
        return values
    }

    // MARK: - Running

    /// Runs the graph on `feeds` (by graph input name) and returns every graph output.
    func run(_ feeds: [String: ONNXValue]) throws -> [String: ONNXValue] {
        var values = constants
        for input in inputs {
            guard let v = feeds[input.name] else { throw ConvNetError(op: "onnx", "\(source): no value given for graph input \(quoted: input.name)") }
            values[input.name] = v
        }
        for (i, node) in nodes.enumerated() {
            values[node.output] = try Self.run(node, node.inputs.map { $0.isEmpty ? nil : values[$0] }, source: source)
            for name in lastUses[i] { values[name] = nil }
        }
        var results: [String: ONNXValue] = [:]
        for name in outputs {
            guard let v = values[name] else { throw ConvNetError(op: "onnx", "\(source): graph output \(quoted: name) was not computed") }
            results[name] = v
        }
        return results
    }
}
