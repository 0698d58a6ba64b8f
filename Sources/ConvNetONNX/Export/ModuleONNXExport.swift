import ConvNet
import ConvNetCore
import Foundation
import SwiftProtobuf

/// The batch dimension of an exported model's input and output.
public enum ONNXBatchSize: Sendable, Equatable {
    /// A symbolic dimension named `batch`: the file runs on any batch size.
    case dynamic
    /// Exactly this many images a run.
    case fixed(Int)
}

/// What every exported file declares.
enum ONNXExportFormat {
    static let irVersion: Int64 = 8
    static let opset: Int64 = 17
    static let producer = "swift-convnet"
    static let inputName = "input"
    static let outputName = "logits"
    static let batchDimension = "batch"
}

extension Forwarding where Self: ModuleBase {
    /// Writes this module as an ONNX model (opset 17, IR version 8) to `path`, atomically.
    ///
    /// The module is traced in evaluation mode on one random input of `[batch] + inputShape` into
    /// a ``Graph`` (residual sums and concatenations of the forward code included), and each of
    /// its nodes written as ONNX nodes: Conv, MaxPool, AveragePool, GlobalAveragePool,
    /// Gemm, BatchNormalization, LRN, Concat, Pad, Flatten, Reshape, Add, Mul (also by a scalar), Relu and the other
    /// activations, Softmax, LogSoftmax; dropout, an identity in evaluation, is left out. Parameters and
    /// buffers become float32 initializers under their state_dict names; the graph's input is
    /// `input` and its output `logits`. The module's training/evaluation mode is restored afterwards.
    ///
    /// Like `torch.onnx.export`, the trace records the path the forward pass takes for that input:
    /// branches on input values are not exported.
    ///
    /// - Parameters:
    ///   - inputShape: one image's shape, `[C, H, W]`.
    ///   - batch: a symbolic batch dimension (default) or a fixed batch size.
    ///   - metadata: what is known of the classifier (a checkpoint's normalisation, class names),
    ///     written into the file's `metadata_props` (``ONNXClassifierMetadata``) with the input shape.
    /// - Throws: ``ConvNetError`` naming the operation that ONNX cannot express as traced (or that
    ///   would fix a dynamic batch), for a bad input shape, metadata that disagrees with the model
    ///   (channels, classes), or when `path` cannot be written; no file is left behind then.
    public func exportONNX(to path: String, inputShape: [Int], batch: ONNXBatchSize = .dynamic,
                           metadata: ONNXClassifierMetadata = ONNXClassifierMetadata()) throws {
        try AtomicFile.write(try onnxData(inputShape: inputShape, batch: batch, metadata: metadata), to: path)
    }

    /// The bytes of the ONNX file ``exportONNX(to:inputShape:batch:metadata:)`` writes, to write them
    /// together with other outputs (through an ``OutputPlan``).
    public func onnxData(inputShape: [Int], batch: ONNXBatchSize = .dynamic,
                         metadata: ONNXClassifierMetadata = ONNXClassifierMetadata()) throws -> Data {
        try onnxModel(inputShape: inputShape, batch: batch, metadata: metadata).serializedData()
    }

    /// The ONNX model ``exportONNX(to:inputShape:batch:metadata:)`` writes.
    func onnxModel(inputShape: [Int], batch: ONNXBatchSize, metadata: ONNXClassifierMetadata = ONNXClassifierMetadata()) throws -> Onnx_ModelProto {
        guard inputShape.count == 3 && inputShape.allSatisfy({ $0 > 0 }) else {
            throw ConvNetError(op: "onnx export", "input shape must be [C, H, W] with positive sizes, got \(inputShape)")
        }
        let tracedBatch: Int
        switch batch {
        case .dynamic: tracedBatch = 2  // not 1, so that a constant of the batch's size shows (see checkConstants)
        case .fixed(let n):
            guard n > 0 else { throw ConvNetError(op: "onnx export", "batch size \(n) must be positive") }
            tracedBatch = n
        }
        // The trace keeps every intermediate tensor: refused before tracing when it cannot fit.
        let shape = [tracedBatch] + inputShape
        let inputBytes = try MemoryBudget.floatBytes([shape], op: "onnx export", what: "batch × input")
        try MemoryBudget.require(product: [inputBytes, ModelSummary.traceMemoryFactor], op: "onnx export",
                                 what: "tracing a batch of \(tracedBatch) \(inputShape.map(String.init).joined(separator: "×")) inputs (`batch`, `inputShape`; up to \(ModelSummary.traceMemoryFactor)× the batch's \(MemoryBudget.format(inputBytes)))")
        var generator = RandomGenerator(seed: 0)
        let x = Tensor.randn([tracedBatch] + inputShape, generator: &generator)
        let traced: Graph
        do {
            traced = try graph(tracing: x)
        } catch let error as ConvNetError where error.op == "graph" {
            throw ConvNetError(op: "onnx export", "the module computes nothing from its input")
        }
        guard case .node = traced.output else {
            throw ConvNetError(op: "onnx export", "the module computes nothing from its input")
        }
        let outputShape = traced.shape(of: traced.output)
        guard outputShape.count >= 1 && outputShape[0] == tracedBatch else {
            throw ConvNetError(op: "onnx export", "the output \(outputShape) does not keep the batch dimension of the input \(x.shape)")
        }
        var builder = ONNXGraphBuilder(traced)
        builder.name(builder.operand(.input), ONNXExportFormat.inputName)
        for index in traced.nodes.indices {
            try builder.add(builder.call(index), output: traced.output == .node(index) ? ONNXExportFormat.outputName : nil,
                            tracedBatch: tracedBatch, dynamicBatch: batch == .dynamic)
        }

        var graph = Onnx_GraphProto()
        graph.name = String(describing: type(of: self))
        graph.node = builder.nodes
        graph.initializer = builder.initializers
        let batchDim: Int? = batch == .dynamic ? nil : tracedBatch
        graph.input = [Self.valueInfo(ONNXExportFormat.inputName, batch: batchDim, inputShape)]
        graph.output = [Self.valueInfo(ONNXExportFormat.outputName, batch: batchDim, Array(outputShape.dropFirst()))]

        var model = Onnx_ModelProto()
        model.irVersion = ONNXExportFormat.irVersion
        var opset = Onnx_OperatorSetIdProto()
        opset.domain = ""
        opset.version = ONNXExportFormat.opset
        model.opsetImport = [opset]
        model.producerName = ONNXExportFormat.producer
        model.graph = graph
        model.metadataProps = try Self.metadataEntries(metadata, inputShape: inputShape, output: outputShape)
        return model
    }

    /// `metadata` with the input shape, as `metadata_props`, checked against the traced model:
    /// a file whose metadata contradicted its graph would be refused when imported.
    private static func metadataEntries(_ metadata: ONNXClassifierMetadata, inputShape: [Int], output: [Int]) throws -> [Onnx_StringStringEntryProto] {
        var known = metadata
        known.inputShape = inputShape
        if output.count == 2 {
            do {
                try known.requireAgrees(inputShape: inputShape, classes: output[1], source: "export")
            } catch let error as ConvNetError {
                throw ConvNetError(op: "onnx export", error.message)
            }
        } else if known.classNames != nil {
            throw ConvNetError(op: "onnx export", "class names are given but the output \(output) is not [batch, classes]")
        }
        return known.entries.map { key, value in
            var entry = Onnx_StringStringEntryProto()
            (entry.key, entry.value) = (key, value)
            return entry
        }
    }

    /// A float32 tensor value `[batch] + shape`, the batch symbolic when `batch` is nil.
    private static func valueInfo(_ name: String, batch: Int?, _ shape: [Int]) -> Onnx_ValueInfoProto {
        var tensorShape = Onnx_TensorShapeProto()
        var first = Onnx_TensorShapeProto.Dimension()
        if let batch { first.dimValue = Int64(batch) } else { first.dimParam = ONNXExportFormat.batchDimension }
        tensorShape.dim = [first] + shape.map { size in
            var d = Onnx_TensorShapeProto.Dimension()
            d.dimValue = Int64(size)
            return d
        }
        var tensorType = Onnx_TypeProto.Tensor()
        tensorType.elemType = Int32(Onnx_TensorProto.DataType.float.rawValue)
        tensorType.shape = tensorShape
        var type = Onnx_TypeProto()
        type.tensorType = tensorType
        var info = Onnx_ValueInfoProto()
        info.name = name
        info.type = type
        return info
    }
}
