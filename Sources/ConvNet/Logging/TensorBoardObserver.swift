import Foundation

/// Logs a training run to TensorBoard through a ``TensorBoardWriter``: every batch the batch's
/// loss and learning rate, every epoch the train and test loss and accuracy and a tile grid of the
/// first convolution's filters, then a flush. Every tag's step is the number of batches trained
/// since the run's start (so per-batch and per-epoch charts share their x axis and a resumed run
/// continues them); the filters are also drawn as the run starts or resumes.
///
/// Tags: `train/batch_loss`, `train/learning_rate`, `epoch/train_loss`, `epoch/train_accuracy`,
/// `epoch/test_loss`, `epoch/test_accuracy` (accuracies in percent, as `metrics.csv`), and
/// `filters/<parameter name>` (e.g. `filters/conv1.weight`).
///
/// A write that fails (a full disk) is kept in ``failure`` and ends the logging, not the training.
public final class TensorBoardObserver: TrainingObserver {
    public let writer: TensorBoardWriter
    public let model: Module
    /// The first error a write met; nothing is logged after it.
    public private(set) var failure: Error?
    private let batchesPerEpoch: Int

    /// Starts logging the run of `trainer` (call after ``Trainer/resume(allowNonFinite:)`` when
    /// resuming): writes a session start at the first step still to train (TensorBoard then drops
    /// what an earlier attempt logged from that step on, after its last checkpoint) and the
    /// filters as they are now, then flushes.
    public init(writer: TensorBoardWriter, trainer: Trainer) {
        self.writer = writer
        model = trainer.model
        batchesPerEpoch = trainer.trainLoader.count
        let step = trainer.completedSteps
        record {
            try writer.addSessionStart(step: step + 1)
            try logFilters(step: step)
            try writer.flush()
        }
    }

    public func batchFinished(_ p: BatchProgress) {
        let step = (p.epoch - 1) * batchesPerEpoch + p.batch
        record {
            try writer.addScalar("train/batch_loss", p.batchLoss, step: step)
            try writer.addScalar("train/learning_rate", Double(p.learningRate), step: step)
        }
    }

    public func epochFinished(_ m: EpochMetrics) {
        let step = m.epoch * batchesPerEpoch
        record {
            try writer.addScalar("epoch/train_loss", m.trainLoss, step: step)
            try writer.addScalar("epoch/train_accuracy", m.trainAccuracy, step: step)
            try writer.addScalar("epoch/test_loss", m.testLoss, step: step)
            try writer.addScalar("epoch/test_accuracy", m.testAccuracy, step: step)
            try logFilters(step: step)
            try writer.flush()
        }
    }

    /// Writes what is still buffered (the batches of an interrupted epoch).
    public func flush() { record { try writer.flush() } }

    private func logFilters(step: Int) throws {
        guard let (name, weight) = FilterGrid.firstConvolution(of: model) else { return }
        try writer.addImage("filters/\(name)", FilterGrid.image(of: weight), step: step)
    }

    private func record(_ body: () throws -> Void) {
        guard failure == nil else { return }
        do { try body() } catch { failure = error }
    }
}
