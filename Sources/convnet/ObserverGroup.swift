import ConvNet

/// Passes a trainer's reports to several observers in turn (the progress printer, the TensorBoard
/// log), keeping them alive while the trainer runs (its `observer` is weak), then runs `afterEpoch`.
final class ObserverGroup: TrainingObserver {
    let observers: [TrainingObserver]
    var afterEpoch: () -> Void = {}

    init(_ observers: [TrainingObserver]) { self.observers = observers }

    func batchFinished(_ progress: BatchProgress) {
        for observer in observers { observer.batchFinished(progress) }
    }

    func epochFinished(_ metrics: EpochMetrics) {
        for observer in observers { observer.epochFinished(metrics) }
        afterEpoch()
    }
}
