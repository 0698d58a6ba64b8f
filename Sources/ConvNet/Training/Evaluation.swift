/// Test-set figures of a classifier.
public struct EvaluationResult: Sendable {
    /// Mean cross-entropy.
    public var loss: Double
    /// Percent of correct top-1 predictions.
    public var accuracy: Double
    /// Predicted class of every sample, in loader order.
    public var predictions: [Int]
    /// True class of every sample, in loader order.
    public var labels: [Int]
    /// Samples whose outputs held NaN or ±infinity (then ``loss`` is not finite either, and
    /// ``accuracy`` means nothing).
    public var nonFiniteOutputs = 0
    /// Softmax probabilities `[samples, classes]`, row-major, when asked for (`keepProbabilities`);
    /// otherwise empty.
    public var probabilities: [Float] = []
    /// Every figure of ``ClassificationMetrics``, gathered batch by batch, when asked for
    /// (`collectMetrics`) and every output was finite.
    public var metrics: ClassificationMetrics?
    /// Each sample's highest softmax probability (its prediction's), when metrics were collected.
    public var confidences: [Float] = []
    /// Mean focal loss, when a focal γ was given.
    public var focalLoss: Double?
    /// What freezing planned per input shape, when evaluated frozen (``FrozenModel/notes``).
    public var frozenNotes: [String] = []

    /// A line saying how many outputs were not finite, or `nil` when all were.
    public var nonFiniteReport: String? {
        nonFiniteOutputs == 0 ? nil
            : "\(nonFiniteOutputs) of \(labels.count) images gave NaN or infinite outputs (loss \(NonFiniteValues.text(loss))): the model's weights or inputs are not finite, or it diverged"
    }
}

/// A batch size for evaluating a classifier of `classes` classes: `preferred`, or fewer images
/// when their logits would pass 2²² values (16 MB; a batch's logits, probabilities and loss terms
/// are held a few times over), so that memory does not grow with batch × classes.
public func evaluationBatchSize(classes: Int, preferred: Int) -> Int {
    max(1, min(preferred, (1 << 22) / max(classes, 1)))
}

/// ``evaluationBatchSize(classes:preferred:)``, also small enough that a batch's activations
/// through `model` (``ModelSummary``'s forward estimate for `[C, H, W]` images of `inputShape`)
/// take at most half of what this process may still allocate (``MemoryBudget``).
/// A model that cannot be traced on one image of zeros (a graph with a fixed batch) is sized by its
/// classes alone.
/// - Throws: ``ConvNetError`` for `op` when not even one image fits.
public func evaluationBatchSize(_ model: Module, name: String, inputShape: [Int], classes: Int, preferred: Int,
                                op: String) throws -> Int {
    let inputBytes = try MemoryBudget.floatBytes([inputShape], op: op, what: "one input image")
    try MemoryBudget.require(product: [inputBytes, ModelSummary.traceMemoryFactor], op: op,
                             what: "one \(inputShape.map(String.init).joined(separator: "×")) image through \(name)")
    guard let perImage = try? ModelSummary.of(model, name: name, inputShape: inputShape).forwardActivationBytes else {
        return evaluationBatchSize(classes: classes, preferred: preferred)
    }
    let bytes = (MemoryBudget.sum([perImage, MemoryBudget.product([classes, 16]) ?? .max]) ?? .max)
    let room = MemoryBudget.availableBytes / 2
    guard bytes <= room else {
        try MemoryBudget.require(MemoryBudget.product([bytes, 2]) ?? .max, op: op,
                                 what: "one \(inputShape.map(String.init).joined(separator: "×")) image through \(name) (activations and outputs, with room to spare)")
        return 1
    }
    return max(1, min(evaluationBatchSize(classes: classes, preferred: preferred), room / max(bytes, 1)))
}

/// Runs `model` in evaluation mode without recording gradients over every batch of `loader`.
/// The model's previous mode is restored afterwards.
/// - Parameters:
///   - keepProbabilities: also return every sample's softmax probabilities (samples × classes floats).
///   - collectMetrics: also compute ``ClassificationMetrics`` as the batches go, without keeping
///     every probability (``MetricsAccumulator``: memory linear in samples + classes, beyond its
///     limit on the scores kept for ROC AUC and average precision).
///   - focalGamma: also compute the mean focal loss with this γ (``focalLoss(_:labels:gamma:reduction:)``).
///   - frozen: run the model frozen (``FrozenModel``: folded batch norm, fused convolutions), for
///     a trained model judged once (`convnet eval`); training's per-epoch evaluation stays eager.
///   - precision: what a frozen model's convolutions multiply in (``InferencePrecision``).
public func evaluate(_ model: Module, on loader: DataLoader, keepProbabilities: Bool = false, collectMetrics: Bool = false,
                     focalGamma: Float? = nil, frozen: Bool = false,
                     precision: InferencePrecision = .float32) throws -> EvaluationResult {
    let wasTraining = model.isTraining
    model.eval()
    defer { model.train(wasTraining) }
    let frozenModel = frozen ? try model.frozen(precision: precision) : nil
    var lossSum = 0.0
    var predictions: [Int] = [], labels: [Int] = []
    var nonFinite = 0
    var probabilities: [Float] = [], focalSum = 0.0
    var accumulator: MetricsAccumulator?, confidences: [Float] = []
    try withNoGrad {
        for batch in loader.batches(epoch: 0) {
            let logits = try frozenModel?(batch.images) ?? model(batch.images)
            if !logits.allFinite {
                let c = logits.shape[1]
                nonFinite += logits.withUnsafeBufferPointer { p in
                    (0..<logits.shape[0]).filter { row in p[(row * c)..<((row + 1) * c)].contains { !$0.isFinite } }.count
                }
            }
            lossSum += Double(try crossEntropy(logits, labels: batch.labels).item()) * Double(batch.labels.count)
            if let focalGamma {
                focalSum += Double(try focalLoss(logits, labels: batch.labels, gamma: focalGamma).item()) * Double(batch.labels.count)
            }
            if keepProbabilities || collectMetrics {
                let p = try logits.softmax(dim: 1).scalars, c = logits.shape[1]
                if keepProbabilities { probabilities += p }
                if collectMetrics && nonFinite == 0 {
                    if accumulator == nil {
                        accumulator = try MetricsAccumulator(classes: c, expectedSamples: loader.shard?.length(of: loader.dataset.count) ?? loader.dataset.count)
                    }
                    try accumulator!.add(probabilities: p, labels: batch.labels)
                    confidences += (0..<batch.labels.count).map { row in p[(row * c)..<((row + 1) * c)].max()! }
                }
            }
            predictions += try logits.argmax(dim: 1)
            labels += batch.labels
        }
    }
    let correct = zip(predictions, labels).filter { $0 == $1 }.count
    let n = Double(max(labels.count, 1))
    return EvaluationResult(loss: lossSum / n, accuracy: 100 * Double(correct) / n, predictions: predictions, labels: labels,
                            nonFiniteOutputs: nonFinite, probabilities: probabilities,
                            metrics: nonFinite == 0 ? accumulator?.metrics() : nil, confidences: confidences,
                            focalLoss: focalGamma.map { _ in focalSum / n }, frozenNotes: frozenModel?.notes ?? [])
}
