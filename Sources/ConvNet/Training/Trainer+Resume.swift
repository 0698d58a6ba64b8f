import Foundation

/// Continuing a run from its checkpoint, exactly where it stopped.
extension Trainer {
    /// Continues from `checkpointPath`: restores weights, buffers, optimizer state, progress and
    /// the global generator. The checkpoint must come from the same experiment (only the number
    /// of epochs may differ).
    /// Weights or optimizer state holding NaN or ±infinity are refused unless `allowNonFinite`.
    public func resume(allowNonFinite: Bool = false) throws {
        guard !overwrite else {
            throw ConvNetError(op: "train", "`resume` continues the run in \(outputDirectory) and `overwrite` replaces it: give one of them")
        }
        let checkpoint: Checkpoint
        if communicator.size > 1 {
            // Only rank 0 is sure to see the output folder: it reads the file and sends its bytes.
            var bytes = Data()
            if communicator.rank == 0 {
                bytes = try RegularFile.data(checkpointPath, op: "resume")
            }
            bytes = try communicator.broadcast(bytes, from: 0)
            checkpoint = try Checkpoint.decode(SafeTensors.decode(bytes, source: checkpointPath), source: checkpointPath)
        } else {
            checkpoint = try Checkpoint.load(path: checkpointPath)
        }
        guard checkpoint.options.sameExperiment(as: options) else {
            let changed = checkpoint.options.differences(from: options).joined(separator: "; ")
            throw ConvNetError(op: "resume", "\(checkpointPath) was written by a different run (checkpoint vs this run: \(changed))")
        }
        try checkpoint.requireSameData(imageShape: [trainLoader.dataset.channels, trainLoader.outputHeight, trainLoader.outputWidth],
                                       classNames: trainLoader.dataset.classNames, source: checkpointPath, op: "resume")
        try checkConsistency(checkpoint)
        if !allowNonFinite {
            let found = NonFiniteValues.find(checkpoint.modelState.dictionary)
                + checkpoint.optimizerSlots.flatMap { slot, values in
                    values.compactMap { name, v in
                        let c = v.withUnsafeBufferPointer { NonFiniteValues.count($0) }
                        return c.isEmpty ? nil : ("optimizer.\(slot).\(name)", c)
                    }
                }.sorted { $0.0 < $1.0 }
            if !found.isEmpty {
                throw ConvNetError(op: "resume", "\(checkpointPath) holds values that are not finite: \(NonFiniteValues.describe(found)); "
                                   + "refusing to train on them (`allowNonFinite` resumes anyway)")
            }
        }
        do {
            try model.loadStateDict(checkpoint.modelState.dictionary, allowNonFinite: true)
        } catch let error as ConvNetError {
            throw ConvNetError(op: "resume", "\(checkpointPath): its weights do not fit \(options.model) for this run's \(trainLoader.dataset.classNames.count) classes (another dataset?): \(error.message)")
        }
        let names = model.namedParameters().map(\.name)
        var slots: [String: [[Float]?]] = [:]
        for (slot, values) in checkpoint.optimizerSlots { slots[slot] = names.map { values[$0] } }
        try optimizer.load(state: OptimizerState(slots: slots, stepCount: checkpoint.optimizerStepCount))
        generator.state = checkpoint.generator
        epochGenerator = checkpoint.epochGenerator
        history = checkpoint.history
        completedEpochs = checkpoint.completedEpochs
        batchesIntoEpoch = checkpoint.batchesIntoEpoch
        partial = checkpoint.partialEpoch
        earlierRun = nil  // continued, not replaced
    }

    /// Refuses a checkpoint whose progress does not add up or whose optimizer state is incomplete
    /// (a damaged or edited file), instead of resuming from it with silently different numbers.
    private func checkConsistency(_ checkpoint: Checkpoint) throws {
        func fail(_ what: String) -> ConvNetError { ConvNetError(op: "resume", "\(checkpointPath): \(what); the checkpoint is damaged or was edited") }
        let batches = trainLoader.count
        let begun = checkpoint.completedEpochs + (checkpoint.batchesIntoEpoch > 0 ? 1 : 0)
        guard begun <= options.epochs else {
            throw ConvNetError(op: "resume", "\(checkpointPath) has begun epoch \(begun); `epochs` \(options.epochs) asks for fewer")
        }
        guard checkpoint.history.count == checkpoint.completedEpochs else {
            throw fail("it records \(checkpoint.history.count) epochs of metrics for \(checkpoint.completedEpochs) epochs done")
        }
        guard checkpoint.batchesIntoEpoch < batches else {
            throw fail("\(checkpoint.batchesIntoEpoch) batches into an epoch of \(batches)")
        }
        let (steps, overflow) = checkpoint.completedEpochs.multipliedReportingOverflow(by: batches)
        guard !overflow, checkpoint.optimizerStepCount == steps + checkpoint.batchesIntoEpoch else {
            throw fail("the optimizer took \(checkpoint.optimizerStepCount) steps, but \(checkpoint.completedEpochs) epochs of \(batches) batches and \(checkpoint.batchesIntoEpoch) more make \(overflow ? "more than Int.max" : String(steps + checkpoint.batchesIntoEpoch))")
        }
        let partial = checkpoint.partialEpoch
        guard partial.seen >= 0, partial.correct >= 0, partial.correct <= partial.seen,
              partial.seen <= checkpoint.batchesIntoEpoch * options.batchSize, partial.lossSum.isFinite, partial.seconds >= 0 else {
            throw fail("the running totals of the interrupted epoch (\(partial.seen) images, \(partial.correct) correct) do not fit \(checkpoint.batchesIntoEpoch) batches of \(options.batchSize)")
        }
        // Every slot this optimizer keeps must be there for every parameter once it has stepped.
        if checkpoint.optimizerStepCount > 0 {
            for slot in optimizer.state.slots.keys.sorted() {
                for name in model.namedParameters().map(\.name) where checkpoint.optimizerSlots[slot]?[name] == nil {
                    throw fail("optimizer slot \(slot) of \(name) is missing")
                }
            }
        }
    }
}
