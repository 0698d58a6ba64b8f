/// An ONNX image classifier with a dataset's evaluation images prepared for it: where
/// `convnet eval --onnx` starts.
///
/// The images are converted to the graph input's channels and, when their size differs from the
/// input's, resized (shorter side) and center-cropped to it. They are normalised with the
/// dataset's usual statistics (MNIST's, CIFAR's), or the training images' for a folder.
public struct ONNXEvaluation {
    /// The graph as read and checked.
    public let graph: ONNXModel
    /// The graph as a module.
    public let model: Module
    /// The graph input's [C, H, W].
    public let inputShape: [Int]
    /// The prepared data (the evaluation split, its name and normalisation, notes for the user).
    public let prepared: PreparedData

    /// - Parameters:
    ///   - path: an ONNX model with one image input `[N, C, H, W]` and one output `[N, classes]`.
    ///   - dataset: a ``DatasetCatalog`` name; its test split is used (20 % held out when it has none).
    /// - Throws: ``ConvNetError`` for an unreadable model or dataset, or class counts that disagree.
    public init(path: String, dataset: String, dataDirectory: String?, workers: Int) throws {
        graph = try ONNXModel(contentsOf: path)
        inputShape = try graph.imageInputShape()
        model = try graph.module()
        var request = DataRequest(dataset: dataset, directory: dataDirectory, channels: inputShape[0])
        request.workers = workers
        var data = try DatasetCatalog.prepare(request)
        let test = data.evaluation
        if (test.height, test.width) != (inputShape[1], inputShape[2]) {
            guard inputShape[1] == inputShape[2] else {
                throw ConvNetError(op: "eval", "\(path) takes \(inputShape[1])×\(inputShape[2]) images and \(dataset)'s are \(test.height)×\(test.width): only a square input can be resized to (shorter side, then a center crop)")
            }
            request.imageSize = inputShape[1]
            data = try DatasetCatalog.prepare(request)
            data.notes.append("images resized and center-cropped from \(test.height)×\(test.width) to \(inputShape[1])×\(inputShape[2]) (the model's input)")
        }
        prepared = data
        let output = graph.outputs[0]
        let classes = try graph.shapes(batch: 1).last { $0.output == output }?.shape.last
        if let classes, classes != prepared.evaluation.classNames.count {
            throw ConvNetError(op: "eval", "\(path) gives \(classes) classes but \(dataset) has \(prepared.evaluation.classNames.count)")
        }
    }
}
