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

/// Runs `model` in evaluation mode without recording gradients over every batch of `loader`.
/// The model's previous mode is restored afterwards.
/// - Parameters:
///   - keepProbabilities: also return every sample's softmax probabilities (for ``ClassificationMetrics``).
///   - focalGamma: also compute the mean focal loss with this γ (``focalLoss(_:labels:gamma:reduction:)``).
///   - frozen: run the model frozen (``FrozenModel``: folded batch norm, fused convolutions), for
///     a trained model judged once (`convnet eval`); training's per-epoch evaluation stays eager.
///   - precision: what a frozen model's convolutions multiply in (``InferencePrecision``).
public func evaluate(_ model: Module, on loader: DataLoader, keepProbabilities: Bool = false,
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
            if keepProbabilities { probabilities += try logits.softmax(dim: 1).scalars }
            predictions += try logits.argmax(dim: 1)
            labels += batch.labels
        }
    }
    let correct = zip(predictions, labels).filter { $0 == $1 }.count
    let n = Double(max(labels.count, 1))
    return EvaluationResult(loss: lossSum / n, accuracy: 100 * Double(correct) / n, predictions: predictions, labels: labels,
                            nonFiniteOutputs: nonFinite, probabilities: probabilities,
                            focalLoss: focalGamma.map { _ in focalSum / n }, frozenNotes: frozenModel?.notes ?? [])
}
