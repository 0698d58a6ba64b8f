/// A training checkpoint loaded into its model, with the images to judge it on: where `convnet eval`
/// and `convnet report` start.
///
/// The evaluation split is the one the checkpoint was evaluated on while training (its test set, or
/// the images it held out), or another dataset's test set when one is named; the test limit of the
/// training run is lifted, so every image counts.
public struct CheckpointEvaluation {
    /// The checkpoint as read.
    public let saved: Checkpoint
    /// Its training options, with the dataset replaced when another was asked for.
    public let options: TrainingOptions
    /// The prepared data (the evaluation split, its name and normalisation, notes for the user).
    public let prepared: PreparedData
    /// The checkpoint's class names, else the dataset's.
    public let classNames: [String]
    /// The model with the checkpoint's weights loaded.
    public let model: Module

    /// - Parameters:
    ///   - path: a checkpoint written by `convnet train`.
    ///   - dataset: evaluate on this dataset's test set instead of the checkpoint's own split.
    ///   - dataDirectory: where the dataset's files are (default: the dataset's usual place).
    ///   - allowNonFinite: load weights holding NaN or ±infinity (refused by default).
    ///   - op: the command, for error messages.
    /// - Throws: ``ConvNetError`` for an unreadable checkpoint or dataset, or weights that do not fit
    ///   the model or the dataset's classes.
    public init(path: String, dataset: String?, dataDirectory: String?, workers: Int, allowNonFinite: Bool = false,
                op: String) throws {
        saved = try Checkpoint.load(path: path)
        var options = saved.options
        if let dataset, dataset != options.dataset {
            options.dataset = dataset
            options.holdout = nil
        }
        options.testLimit = nil
        self.options = options
        let entry = try ModelZoo.entry(options.model)
        prepared = try DatasetCatalog.prepare(options.dataRequest(directory: dataDirectory, channels: entry.inputShape[0],
                                                                  workers: workers))
        let test = prepared.evaluation
        let images = "\(options.dataset)'s \(prepared.evaluationName) images"
        // The classes first, from the metadata or else the weights' classifier: a dataset of other
        // classes is named as such, not as the shapes of a linear layer.
        let trainedClasses = saved.classNames?.count
            ?? (try? Classifier.classCount(model: options.model, weights: saved.modelState.dictionary)) ?? test.classNames.count
        guard test.classNames.count == trainedClasses else {
            throw ConvNetError(op: op, "\(path) was trained on \(trainedClasses) classes but \(images) have \(test.classNames.count) (\(options.dataset) is not the dataset it was trained on)")
        }
        classNames = saved.classNames ?? test.classNames
        model = try ModelZoo.make(options.model, classes: classNames.count)
        do {
            try model.loadStateDict(saved.modelState.dictionary, allowNonFinite: allowNonFinite)
        } catch let error as ConvNetError {
            throw ConvNetError(op: op, "\(path) does not fit \(options.model) for \(options.dataset): \(error.message)")
        }
        // Then the images: another size is fine where the model takes it (global pooling), and
        // said in terms of image sizes where it does not.
        let shape = [test.channels, test.height, test.width], size = Checkpoint.size
        if saved.inputShape != shape, try Classifier.inputError(model, for: shape, op: op) != nil {
            let trained = saved.inputShape.map { "was trained on \(size($0)) images" } ?? "cannot take them"
            throw ConvNetError(op: op, "\(path) \(trained) but \(images) are \(size(shape)) (channels×height×width), which \(options.model) with these weights cannot take; evaluate it on images of the size it was trained on")
        }
    }

    /// The normalisation the model was trained with (the checkpoint's, else the dataset's).
    public var normalization: Normalization { saved.normalization ?? prepared.normalization }
}
