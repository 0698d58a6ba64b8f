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
}

/// Runs `model` in evaluation mode without recording gradients over every batch of `loader`.
/// The model's previous mode is restored afterwards.
public func evaluate(_ model: Module, on loader: DataLoader) throws -> EvaluationResult {
    let wasTraining = model.isTraining
    model.eval()
    defer { model.train(wasTraining) }
    var lossSum = 0.0
    var predictions: [Int] = [], labels: [Int] = []
    try withNoGrad {
        for batch in loader.batches(epoch: 0) {
            let logits = try model(batch.images)
            lossSum += Double(try crossEntropy(logits, labels: batch.labels).item()) * Double(batch.labels.count)
            predictions += try logits.argmax(dim: 1)
            labels += batch.labels
        }
    }
    let correct = zip(predictions, labels).filter { $0 == $1 }.count
    let n = Double(max(labels.count, 1))
    return EvaluationResult(loss: lossSum / n, accuracy: 100 * Double(correct) / n, predictions: predictions, labels: labels)
}
