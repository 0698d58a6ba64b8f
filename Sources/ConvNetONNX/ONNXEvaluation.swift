import ConvNet
/// An ONNX image classifier with a dataset's evaluation images prepared for it: where
/// `convnet eval --onnx` starts.
///
/// The images are converted to the graph input's channels and, when their size differs from the
/// input's, resized (shorter side) and center-cropped to it. They are normalised as the model
/// was trained: with statistics given explicitly, else those the file's metadata records
/// (``ONNXClassifierMetadata``, written by `convnet export`), else the dataset's usual ones
/// (MNIST's, CIFAR's, or the training images' for a folder).
public struct ONNXEvaluation {
    /// The graph as read and checked.
    public let graph: ONNXModel
    /// The graph as a module.
    public let model: Module
    /// The graph input's [C, H, W].
    public let inputShape: [Int]
    /// The prepared data (the evaluation split, its name and normalisation, notes for the user).
    public let prepared: PreparedData
    /// The normalisation the images are given to the model with.
    public let normalization: Normalization
    /// Images per batch: the graph's fixed batch when it declares one (the last batch is padded),
    /// else `defaultBatchSize`.
    public let batchSize: Int

    /// - Parameters:
    ///   - path: an ONNX model with one image input `[N, C, H, W]` and one output `[N, classes]`.
    ///   - dataset: a ``DatasetCatalog`` name; its test split is used (20 % held out when it has none).
    ///   - normalization: statistics to normalise with, overriding the file's and the dataset's.
    ///   - defaultBatchSize: images per batch for a graph of any batch size.
    /// - Throws: ``ConvNetError`` for an unreadable model or dataset, a graph that is not an image
    ///   classifier, class counts that disagree, or a normalisation for another number of channels.
    public init(path: String, dataset: String, dataDirectory: String?, workers: Int, normalization explicit: Normalization? = nil,
                defaultBatchSize: Int = 1000) throws {
        graph = try ONNXModel(contentsOf: path)
        let classifier = try graph.imageClassifier()
        inputShape = classifier.inputShape
        if let explicit, explicit.mean.count != inputShape[0] {
            throw ConvNetError(op: "eval", "the normalisation given has \(explicit.mean.count) channels but \(path) takes \(inputShape[0])")
        }
        model = try graph.module()
        batchSize = graph.fixedBatch ?? defaultBatchSize
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
        let datasetClasses = data.evaluation.classNames
        if classifier.classes != datasetClasses.count {
            throw ConvNetError(op: "eval", "\(path) gives \(classifier.classes) classes but \(dataset) has \(datasetClasses.count)")
        }
        if let names = graph.metadata.classNames, names != datasetClasses {
            data.notes.append("the model's class names (its metadata) differ from \(dataset)'s; classes are matched by index")
        }
        normalization = explicit ?? graph.metadata.normalization ?? data.normalization
        if explicit == nil, graph.metadata.normalization != nil {
            data.notes.append("normalised with the model's own statistics (its metadata)")
        }
        prepared = data
    }
}
