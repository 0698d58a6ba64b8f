import ConvNet
import Foundation

/// An imported ONNX graph as a ``Module``: ``forward(_:)`` interprets its nodes in order on the
/// project's operators. The graph's float initializers (and constants folded from them) are this
/// module's tensors, under their ONNX names (BatchNormalization statistics as buffers, the rest as
/// parameters), so `stateDict()`, `parameterCount` and ``Forwarding/frozen(layout:)`` see them:
/// a frozen graph folds batch norm and fuses convolutions exactly as a zoo model does.
///
/// It is made in evaluation mode (ONNX graphs here are inference graphs).
public final class ONNXGraphModule: Module {
    /// The validated model it runs.
    public let model: ONNXModel
    private let slots: [(name: String, module: Module)]
    private let lock = NSLock()
    /// Guarded by `lock`: input shapes whose shapes along the graph were inferred and agree.
    private var checked: Set<[Int]> = []
    /// Guarded by `lock`: per input shape of ``forward(_:)``, the ``Graph`` traced from one
    /// interpretation of the ONNX nodes, or nil where the nodes must be interpreted every time.
    private var graphs: [[Int]: Graph?] = [:]
    /// What tracing found per input shape (``notes``).
    private var messages: [String] = []

    init(_ model: ONNXModel) throws {
        self.model = model
        let graph = model.graph
        let statistics = Set(graph.nodes.flatMap { node -> [String] in
            if case .batchNormalization = node.op { return Array(node.inputs.dropFirst(3)) } else { return [] }
        })
        var slots: [(String, Module)] = []
        for name in graph.constants.keys.sorted() {
            guard case .float(let tensor)? = graph.constants[name] else { continue }
            let dot = name.lastIndex(of: ".")
            let (path, leaf) = dot.map { (String(name[..<$0]), String(name[name.index(after: $0)...])) } ?? ("", name)
            slots.append((path, ONNXTensorSlot(tensor, name: leaf, isParameter: !statistics.contains(name))))
        }
        self.slots = slots
        super.init()
        eval()
    }

    public override var children: [(name: String, module: Module)] { slots }

    /// The output of a graph with one float input and one output, for `input`.
    ///
    /// The ONNX nodes are interpreted once per input shape, traced into a ``Graph`` (the
    /// initializers are its parameters, under their ONNX names; values computed from constants
    /// alone are its constants), and every pass of that shape runs the graph: its nodes through
    /// the dispatcher, no interpretation. (A graph whose operations turned out to depend on its
    /// input's values is interpreted every time, and ``notes`` says why.)
    ///
    /// A graph whose input declares a fixed batch `B` (as `convnet export --batch B` writes) takes
    /// any batch: it runs on pieces of `B` images, the last one padded with zeros and its extra
    /// rows dropped from the output (whose first dimension must then be the batch).
    /// - Throws: ``ConvNetError`` if the graph has several inputs or outputs (use ``run(_:)``),
    ///   if `input`'s shape disagrees with the declared one, or if shapes disagree along the graph.
    public func forward(_ input: Tensor) throws -> Tensor {
        let graph = model.graph
        guard graph.inputs.count == 1, graph.outputs.count == 1 else {
            throw ConvNetError(op: "onnx", "\(graph.source): the graph has \(graph.inputs.count) inputs and \(graph.outputs.count) outputs; call run(_:) with named values")
        }
        let declared = graph.inputs[0]
        if let batch = model.fixedBatch, !declared.isInt, input.rank == declared.dims.count, input.rank >= 1,
           input.shape[0] > 0, input.shape[0] != batch {
            return try forward(input, inPiecesOf: batch)
        }
        return try traced(input)
    }

    /// What was traced per input shape: the graph's size, or why a shape is interpreted every time.
    public var notes: [String] { lock.withLock { messages } }

    /// `input` through the graph traced for its shape (traced now on a shape's first pass).
    private func traced(_ input: Tensor) throws -> Tensor {
        let graph = model.graph
        let (name, output) = (graph.inputs[0].name, graph.outputs[0])
        let interpret = { (x: Tensor) throws -> Tensor in try self.run([name: x])[output]! }
        switch lock.withLock({ graphs[input.shape] }) {
        case .some(.some(let compiled)): return try compiled(input)
        case .some(.none): return try interpret(input)
        case .none: break
        }
        var (compiled, note) = (try Graph.tracing(parameters: stateDict(), input: input, interpret).graph, "")
        if let traced = compiled {
            if let dependence = try traced.dependence(of: interpret, at: input) {
                (compiled, note) = (nil, "interpreted every pass: its operations depend on the input's values (\(dependence))")
            } else {
                note = "traced into a graph of \(traced.nodes.count) operations, \(traced.parameters.count) parameters and \(traced.constants.count) constants"
            }
        } else {
            note = "interpreted every pass: the output is not computed from the input"
        }
        lock.withLock {
            if graphs.count >= 64 { graphs.removeAll() }  // bounded: each batch size is a shape
            graphs[input.shape] = .some(compiled)
            if messages.count < 64 { messages.append("input \(list: input.shape): \(note)") }
        }
        return try compiled.map { try $0(input) } ?? interpret(input)
    }

    /// `input` through a graph of fixed batch `batch`, in pieces of that many images.
    private func forward(_ input: Tensor, inPiecesOf batch: Int) throws -> Tensor {
        let graph = model.graph
        let rest = Array(input.shape.dropFirst()), zeros = [Int](repeating: 0, count: input.rank - 1)
        var outputs: [Tensor] = []
        var start = 0
        while start < input.shape[0] {
            let take = min(batch, input.shape[0] - start)
            var piece = try input.strided(start: [start] + zeros, step: [1] + zeros.map { _ in 1 }, count: [take] + rest)
            if take < batch { piece = try piece.padded(before: [0] + zeros, after: [batch - take] + zeros) }
            let y = try traced(piece)
            guard y.rank >= 1, y.shape[0] == batch else {
                throw ConvNetError(op: "onnx", "\(graph.source): output \(quoted: graph.outputs[0]) is \(list: y.shape) for a batch of \(batch); its first dimension is not the batch, so the \(input.shape[0]) images given cannot be run in pieces of \(batch)")
            }
            let yRest = Array(y.shape.dropFirst()), yZeros = [Int](repeating: 0, count: y.rank - 1)
            outputs.append(take == batch ? y : try y.strided(start: [0] + yZeros, step: [1] + yZeros.map { _ in 1 }, count: [take] + yRest))
            start += take
        }
        return outputs.count == 1 ? outputs[0] : try ConvNetCore.concat(outputs, dim: 0)
    }

    /// Runs the graph on named inputs and returns every graph output by name. An integer graph
    /// input (a shape, axes) is given as a tensor of whole numbers.
    /// - Throws: ``ConvNetError`` for a missing or misshapen input, shapes that disagree along
    ///   the graph (checked before running, once per input shape), or an integer output.
    public func run(_ feeds: [String: Tensor]) throws -> [String: Tensor] {
        var values: [String: ONNXValue] = [:]
        for input in model.graph.inputs {
            guard let x = feeds[input.name] else { continue }
            values[input.name] = input.isInt ? .int(try x.asONNXInts(op: "onnx", exact: true)) : .float(x)
        }
        return try run(values: values).mapValues { v in
            guard case .float(let t) = v else { throw ConvNetError(op: "onnx", "\(model.graph.source): an output holds integers") }
            return t
        }
    }

    /// Runs the graph on named values (floats, or integers for integer inputs) and returns every
    /// graph output, integer outputs included when `integerOutputs`.
    package func run(values feeds: [String: ONNXValue], integerOutputs: Bool = false) throws -> [String: ONNXValue] {
        do {
            return try checkedRun(values: feeds, integerOutputs: integerOutputs)
        } catch let error as ConvNetError {
            throw error.boundedForONNX
        }
    }

    private func checkedRun(values feeds: [String: ONNXValue], integerOutputs: Bool) throws -> [String: ONNXValue] {
        let graph = model.graph
        var shapes: [String: [Int]] = [:]
        var integers: [String: ONNXIntTensor] = [:]
        for input in graph.inputs {
            guard let x = feeds[input.name] else {
                throw ConvNetError(op: "onnx", "\(graph.source): no value given for graph input \(quoted: input.name)")
            }
            let fits = x.shape.count == input.dims.count && zip(x.shape, input.dims).allSatisfy { $1 == nil || $0 == $1 }
            guard fits else {
                throw ConvNetError(op: "onnx", "\(graph.source): graph input \(quoted: input.name) is declared \(input.declared), given \(list: x.shape)")
            }
            guard x.isInt == input.isInt else {
                throw ConvNetError(op: "onnx", "\(graph.source): graph input \(quoted: input.name) holds \(input.isInt ? "integers" : "floats"), given \(x.isInt ? "integers" : "floats")")
            }
            shapes[input.name] = x.shape
            if case .int(let t) = x { integers[input.name] = t }
        }
        // Integer inputs can fix shapes (a Reshape's target): their contents are part of the key.
        let key = graph.inputs.flatMap { shapes[$0.name]! + [-1] + (integers[$0.name]?.values ?? []) + [-2] }
        if !lock.withLock({ checked.contains(key) }) {
            let inferred = try graph.inferShapes(shapes, integers: integers)
            for name in graph.outputs where inferred[name]?.isInt == true && !integerOutputs {
                throw ConvNetError(op: "onnx", "\(graph.source): graph output \(quoted: name) holds integers; only float outputs are returned")
            }
            lock.withLock {
                if checked.count >= 256 { checked.removeAll() }  // bounded: integer inputs can make many keys
                checked.insert(key)
            }
        }
        return try graph.run(feeds.filter { shapes[$0.key] != nil })
    }
}

/// Holds one initializer of an ``ONNXGraphModule`` so that the module tree finds it by name.
final class ONNXTensorSlot: Module {
    @Parameter var parameter: Tensor?
    @Buffer var buffer: Tensor?

    init(_ tensor: Tensor, name: String, isParameter: Bool) {
        _parameter = Parameter(wrappedValue: isParameter ? tensor : nil, name: name)
        _buffer = Buffer(wrappedValue: isParameter ? nil : tensor, name: name)
    }

    func forward(_ input: Tensor) throws -> Tensor { input }
}
