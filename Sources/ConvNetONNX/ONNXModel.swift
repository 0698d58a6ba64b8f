import ConvNet
import Foundation
import SwiftProtobuf

/// An ONNX model file, read and validated: the protobuf parsed, the opset, every node's operator
/// and attributes, the graph's order (no cycle, nothing undefined), every initializer's size and
/// the shapes along the whole graph checked before anything runs. Run it with ``module()``.
///
///     let model = try ONNXModel(contentsOf: "resnet18.onnx")
///     let net = try model.module()            // an ONNXGraphModule, a Module
///     let logits = try net.frozen()(images)   // batch norm folded and convolutions fused
///
/// Supported: the default ONNX domain at opsets 7…28 with the operators in
/// ``supportedOperators`` on float tensors (integer tensors for shape arithmetic), 2-D
/// convolution (any pads, groups and dilations) and pooling (any pads, no dilation).
public struct ONNXModel: @unchecked Sendable {
    /// Opsets of the default domain that are read (24…28 changed the supported operators only by
    /// adding element types, which are refused where they are met).
    public static let supportedOpsets = 7...28
    /// The ONNX op types that are supported.
    public static var supportedOperators: [String] { ONNXOperator.supported }

    let graph: ONNXGraph
    /// The default-domain opset the model imports.
    public var opset: Int { graph.opset }
    /// The producer named in the file (`pytorch 2.15`), if any.
    public let producer: String
    /// The graph inputs to feed (initializers excluded), with their dims as declared
    /// (`nil` where symbolic, like a dynamic batch).
    public var inputs: [(name: String, dims: [Int?])] { graph.inputs.map { ($0.name, $0.dims) } }
    /// The graph outputs' names.
    public var outputs: [String] { graph.outputs }
    /// The batch size the graph's first input declares, or nil where it is symbolic (any batch).
    public var fixedBatch: Int? { graph.inputs.first?.dims.first ?? nil }
    /// What the file's `metadata_props` say of the classifier (empty for a file from elsewhere).
    public let metadata: ONNXClassifierMetadata
    /// The real paths of the external-data files read (each once, however its name was spelled).
    package var externalDataFiles: [String] { graph.externalFiles }
    /// The op type of every node that runs, in order (nodes computing only from constants were folded).
    public var operations: [(name: String, opType: String)] {
        graph.nodes.map { (name: $0.name, opType: $0.opType) }
    }

    /// Reads and validates the model at `path`; external data is read from beside it.
    ///
    /// The file is mapped rather than read (its size checked against memory first, since parsing
    /// copies its tensors' bytes); external data is read tensor by tensor (``ONNXExternalData``).
    /// - Throws: ``ConvNetError`` naming the file and what is wrong (see ``init(serializedData:source:folder:)``).
    public init(contentsOf path: String) throws {
        let data = try RegularFile.mapped(path, op: "onnx")
        let folder = (path as NSString).deletingLastPathComponent
        try self.init(serializedData: data, source: path, folder: folder.isEmpty ? "." : folder)
    }

    /// Parses and validates a serialized `ModelProto`.
    /// - Parameters:
    ///   - source: names the model in errors.
    ///   - folder: where external-data files are; nil refuses external data.
    /// - Throws: ``ConvNetError`` for bytes that are not an ONNX model (or a truncated one), an
    ///   unsupported opset, operator or attribute value (naming the node), a cycle or an undefined
    ///   value, an initializer whose bytes disagree with its dims, a missing external-data file
    ///   or one outside the model's folder, metadata that is not what ``ONNXClassifierMetadata``
    ///   describes, or shapes that disagree along the graph (naming the node). Every message is one
    ///   line of bounded length, however long the names and lists in the file.
    public init(serializedData data: Data, source: String = "model", folder: String? = nil) throws {
        do {
            try self.init(parsing: data, source: source, folder: folder)
        } catch let error as ConvNetError {
            throw error.boundedForONNX
        }
    }

    private init(parsing data: Data, source: String, folder: String?) throws {
        let proto: Onnx_ModelProto
        do {
            var options = BinaryDecodingOptions()
            options.messageDepthLimit = 64
            proto = try Onnx_ModelProto(serializedBytes: data, options: options)
        } catch {
            throw ConvNetError(op: "onnx", "\(source): not an ONNX model, or a truncated one (protobuf: \(error))")
        }
        guard proto.irVersion > 0, proto.hasGraph else {
            throw ConvNetError(op: "onnx", "\(source): not an ONNX model (\(proto.irVersion <= 0 ? "no ir_version" : "no graph"))")
        }
        metadata = try ONNXClassifierMetadata(entries: proto.metadataProps.map { ($0.key, $0.value) }, source: source)
        graph = try ONNXGraph(proto, source: source, folder: folder)
        producer = [proto.producerName, proto.producerVersion].filter { !$0.isEmpty }.joined(separator: " ")
        // Shape inference at the declared shapes, a symbolic batch taken as 1; a model with
        // other symbolic dims is inferred on each new input shape instead, before it runs.
        // Integer inputs' contents are known only when they are fed: such a graph is inferred then.
        if !graph.inputs.contains(where: \.isInt), let shapes = declaredShapes(batch: 1) { _ = try graph.inferShapes(shapes) }
    }

    /// The declared input shapes with symbolic batch dims set to `batch`; nil if another dim is unknown.
    func declaredShapes(batch: Int) -> [String: [Int]]? {
        var shapes: [String: [Int]] = [:]
        for input in graph.inputs {
            var dims: [Int] = []
            for (i, d) in input.dims.enumerated() {
                guard let d = d ?? (i == 0 ? batch : nil) else { return nil }
                dims.append(d)
            }
            shapes[input.name] = dims
        }
        return shapes
    }

    /// The shape of every value, per node in order, for inputs of the declared shapes with the
    /// batch `batch` (`convnet summary --onnx`).
    /// - Throws: ``ConvNetError`` if a non-batch input dim is symbolic or shapes disagree.
    public func shapes(batch: Int = 1) throws -> [(node: String, opType: String, output: String, shape: [Int])] {
        guard let inputShapes = declaredShapes(batch: batch) else {
            throw ConvNetError(op: "onnx", "\(graph.source): an input has symbolic dims other than the batch; shapes are known once it runs")
        }
        do {
            let values = try graph.inferShapes(inputShapes)
            return graph.nodes.map { ($0.name, $0.opType, $0.output, values[$0.output]?.shape ?? []) }
        } catch let error as ConvNetError {
            throw error.boundedForONNX
        }
    }

    /// The module that runs this graph on the project's operators.
    public func module() throws -> ONNXGraphModule { try ONNXGraphModule(self) }
}

extension ONNXModel {
    /// `[C, H, W]` of a graph that classifies images (what `convnet predict --onnx` prepares
    /// images for); see ``imageClassifier()`` for what is checked.
    public func imageInputShape() throws -> [Int] { try imageClassifier().inputShape }

    /// The input shape `[C, H, W]` and class count of a graph that classifies images: one float
    /// input `[batch, C, H, W]` with 1 or 3 channels and a fixed size, and one float output
    /// `[batch, classes]` (at least 2 classes) computed from the input and from weights — not the
    /// input itself, a constant, or the input only reshaped. The file's metadata must agree.
    /// - Throws: ``ConvNetError`` naming the file and what is not a classifier's.
    public func imageClassifier() throws -> (inputShape: [Int], classes: Int) {
        do {
            return try checkedClassifier()
        } catch let error as ConvNetError {
            throw error.boundedForONNX
        }
    }

    private func checkedClassifier() throws -> (inputShape: [Int], classes: Int) {
        let source = graph.source
        func fail(_ message: String) -> ConvNetError { ConvNetError(op: "onnx", "\(source): \(message)") }
        guard graph.inputs.count == 1, graph.outputs.count == 1 else {
            throw fail("has \(graph.inputs.count) inputs and \(graph.outputs.count) outputs; an image classifier has one of each")
        }
        let input = graph.inputs[0], output = graph.outputs[0]
        let dims = input.dims.dropFirst().compactMap { $0 }
        guard input.dims.count == 4, dims.count == 3, dims[0] == 1 || dims[0] == 3, !input.isInt else {
            throw fail("input \(quoted: input.name) is \(input.declared)\(input.isInt ? " of integers" : ""); images need [N, 1 or 3, H, W] of floats with a fixed size")
        }
        guard output != input.name else { throw fail("passes its input \(quoted: input.name) through as its output; a classifier's output is [N, classes]") }
        guard graph.constants[output] == nil else {
            throw fail("output \(quoted: output) is a constant, the same for every image; a classifier's depends on its input")
        }
        guard graph.dependsOnWeights(output) else {
            throw fail("output \(quoted: output) is computed from the input without any weights (the input passed through); not a classifier")
        }
        let batch = input.dims[0] ?? 1
        let inferred = try graph.inferShapes(declaredShapes(batch: batch)!)[output]!
        let shape = inferred.shape
        guard shape.count == 2, shape[0] == batch, !inferred.isInt else {
            throw fail("output \(quoted: output) is \(list: shape)\(inferred.isInt ? " of integers" : "") for a batch of \(batch); a classifier's is [\(batch), classes] of floats")
        }
        guard shape[1] >= 2 else {
            throw fail("output \(quoted: output) is \(list: shape): \(shape[1]) class\(shape[1] == 1 ? "" : "es"); a classifier has at least 2 (a single logit is not read as probabilities)")
        }
        try metadata.requireAgrees(inputShape: dims, classes: shape[1], source: source)
        return (dims, shape[1])
    }
}
