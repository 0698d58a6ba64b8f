import Foundation

/// Where an epoch stands after a batch.
public struct BatchProgress: Sendable {
    /// 1-based epoch and batch numbers, and the batches per epoch.
    public var epoch: Int, batch: Int, batches: Int
    /// Running mean loss and accuracy (percent) of the epoch so far.
    public var loss: Double, accuracy: Double
    /// Training time of the epoch so far, and the throughput.
    public var seconds: Double, samplesPerSecond: Double
    /// The learning rate of the batch just trained (the schedule's value).
    public var learningRate: Float
    /// The mean loss of the batch just trained alone.
    public var batchLoss: Double = 0

    /// Estimated seconds until the epoch's training pass ends.
    public var secondsRemaining: Double { seconds / Double(max(batch, 1)) * Double(batches - batch) }
}

/// What a trainer reports while it runs (the CLI draws a progress bar from it).
public protocol TrainingObserver: AnyObject {
    /// After every batch.
    func batchFinished(_ progress: BatchProgress)
    /// After each epoch's evaluation.
    func epochFinished(_ metrics: EpochMetrics)
}

/// How a call to ``Trainer/run()`` ended.
public enum TrainingOutcome: Sendable, Equatable {
    /// All epochs done.
    case completed
    /// Stopped on request after `batch` batches of epoch `epoch` (1-based); a checkpoint was written.
    case interrupted(epoch: Int, batch: Int)
}

/// Trains a classifier with cross-entropy: shuffled mini-batches, the chosen optimizer and
/// learning-rate schedule, evaluation after every epoch, `metrics.csv` and an atomic checkpoint
/// after every epoch, exact resume, a clean stop on request, and a halt on a non-finite loss.
public final class Trainer {
    public let options: TrainingOptions
    public let model: Module
    public let optimizer: any Optimizer
    public let trainLoader: DataLoader
    public let testLoader: DataLoader
    /// Where `metrics.csv` and `checkpoint.safetensors` go.
    public let outputDirectory: String
    public weak var observer: TrainingObserver?
    /// Polled after every batch; return true to checkpoint and stop (Ctrl-C). With several
    /// ranks, all stop after the batch in which any of them asked.
    public var stopRequested: () -> Bool = { false }
    /// The processes training this model together; rank 0 alone writes files.
    public let communicator: any Communicator
    /// Averages the gradients over the ranks after every backward pass.
    public let dataParallel: DataParallel
    /// Whether ``run()`` replaces a run found in the output folder (see ``init(options:dataDirectory:outputDirectory:workers:communicator:program:overwrite:)``).
    public let overwrite: Bool
    /// The lock on the output folder, held by rank 0 from setup to the end of ``run()``.
    var outputLock: FolderLock?
    /// The file of a run found in the output folder when it was locked (nil once resumed or replaced).
    var earlierRun: String?

    public internal(set) var history: [EpochMetrics] = []
    /// This run's random numbers, independent of anything else running. As in a PyTorch script
    /// after `torch.manual_seed(seed)`, one generator serves everything in turn: the initial
    /// weights, then at the start of every epoch the shuffled order (`torch.randperm`), then
    /// dropout; so a model starts from PyTorch's weights for the same seed, sees the batches in
    /// PyTorch's order (``TrainingOptions/shuffle`` says which script's) and drops what it drops.
    public let generator: SharedGenerator
    /// The generator as the current epoch began, before its order was drawn (kept so a run
    /// resumed in the middle of an epoch draws the same order again).
    var epochGenerator: RandomGenerator
    var completedEpochs = 0
    var batchesIntoEpoch = 0
    var partial = Checkpoint.PartialEpoch()

    public var checkpointPath: String { Self.checkpointPath(in: outputDirectory) }
    static func checkpointPath(in folder: String) -> String { folder + "/checkpoint.safetensors" }
    public var metricsPath: String { outputDirectory + "/metrics.csv" }
    /// Batches trained since the run's start (across resumes).
    public var completedSteps: Int { completedEpochs * trainLoader.count + batchesIntoEpoch }

    /// How the evaluation images were chosen, the data's normalisation and other notes for the user.
    public let data: (evaluationName: String, normalization: Normalization, notes: [String])

    /// Sets up a run: seeds the global generator, builds the model and optimizer, loads the data.
    /// - Parameters:
    ///   - architecture: the network to train; `nil` means the zoo's ``TrainingOptions/model``.
    ///     Any ``Module`` trains with the same loop, checkpoints and resume: describe it as a
    ///     ``ModelArchitecture`` (its name replaces ``TrainingOptions/model`` in ``options``).
    ///   - dataDirectory: where the dataset's files are (`--data`); MNIST defaults to the bundled copy.
    ///   - workers: threads that decode and augment images (results do not depend on it).
    ///   - communicator: the ranks training together (``TrainingOptions/ranks`` of them). Each
    ///     takes its ``DataShard`` of every global batch; rank 0's initial weights go to all; only
    ///     rank 0 writes the output folder (it alone needs it).
    ///   - program: names the program a rank runs, compared across ranks with the options and the
    ///     data (a mismatch is refused).
    ///   - overwrite: replace a run already in the output folder (its files are replaced as this
    ///     run writes its own; its metrics.csv is removed before this run's first checkpoint);
    ///     without it, ``run()`` refuses such a folder unless ``resume(allowNonFinite:)`` continued the run.
    /// - Throws: ``ConvNetError`` for bad options or data, or an output folder that cannot take
    ///   the run: not a real folder, not writable, inside `dataDirectory`, or in use by another
    ///   trainer (rank 0 locks it until ``run()`` ends; see ``FolderLock``).
    public init(options: TrainingOptions, architecture: ModelArchitecture? = nil, dataDirectory: String?, outputDirectory: String,
                workers: Int = 1, communicator: any Communicator = SingleProcessCommunicator(), program: String = "",
                overwrite: Bool = false) throws {
        var options = options
        let entry = try architecture ?? ModelZoo.entry(options.model)
        try entry.validate()
        options.model = entry.name
        try options.validate()
        guard options.ranks == communicator.size else {
            throw ConvNetError(op: "train", "the options are for \(options.ranks) ranks, but \(communicator.size) processes run")
        }
        self.communicator = communicator
        let ranks = communicator.size
        self.overwrite = overwrite
        if communicator.rank == 0 {
            (outputLock, earlierRun) = try Self.prepareOutput(outputDirectory, dataDirectory: dataDirectory)
        } else {
            (outputLock, earlierRun) = (nil, nil)
        }
        self.options = options
        self.outputDirectory = outputDirectory
        let generator = SharedGenerator(seed: options.seed)
        self.generator = generator
        epochGenerator = generator.state
        let prepared = try DatasetCatalog.prepare(options.dataRequest(directory: dataDirectory, channels: entry.inputShape[0], workers: workers))
        data = (prepared.evaluationName, prepared.normalization, prepared.notes)
        let train = prepared.train
        let augmentation = try TransformSpec.parse(options.augment, imageSize: ImageSize(height: train.height, width: train.width),
                                                   principalComponents: { try Lighting.principalComponents(of: train) })
        // Each epoch's order comes from `generator` (see `trainRemainingEpochs`), not from a seed of the loader's.
        // With several ranks each takes its share of every global batch (the same order on all).
        trainLoader = try DataLoader(train, batchSize: options.batchSize / ranks, shuffle: true, normalization: prepared.normalization,
                                     convention: options.shuffle, augmentation: augmentation, augmentationSeed: options.seed,
                                     workers: workers, shard: ranks > 1 ? DataShard(rank: communicator.rank, ranks: ranks, padded: true) : nil)
        // Evaluated in training-sized batches: the step's cached oneDNN buffers serve (batches of 1000 ResNet-20
        // images took peak memory from 0.48 to 1.33 GB).
        testLoader = try DataLoader(prepared.evaluation, batchSize: options.batchSize / ranks, shuffle: false,
                                    normalization: prepared.normalization, convention: options.shuffle,
                                    shard: ranks > 1 ? DataShard(rank: communicator.rank, ranks: ranks, padded: false) : nil)
        model = try GlobalGenerator.using(generator) { try entry.make(classes: train.classNames.count) }
        let shape = [train.channels, trainLoader.outputHeight, trainLoader.outputWidth]
        try Self.checkInput(model, entry: entry, shape: shape, classes: train.classNames.count)
        // A batch that cannot fit in memory is refused now, not by a failed allocation mid-step.
        let batch = min(options.batchSize / ranks, train.count)
        let needed = try ModelSummary.of(model, name: options.model, inputShape: shape, batch: batch).trainingMemoryBytes
        try MemoryBudget.require(needed, op: "train", what: "`batchSize` \(batch) (\(options.model) on \(shape.map(String.init).joined(separator: "×")) images; an estimate of weights, gradients, momentum and activations)")
        optimizer = try options.makeOptimizer(model.parameters)
        if ranks > 1 {
            if options.syncBatchNorm { try SynchronizedStatistics.install(in: model, communicator: communicator) }
            let dataset = { (d: ImageDataset) in
                "\(d.count) images of \(d.channels)×\(d.height)×\(d.width), classes \(d.classNames.joined(separator: ",")), "
                    + "labels \(d.labels.withUnsafeBytes { ReplicaConsistency.fingerprint(of: $0) }), "
                    + "pixels \(d.pixels.withUnsafeBytes { ReplicaConsistency.fingerprint(of: $0) })"
            }
            let json = JSONEncoder()
            json.outputFormatting = .sortedKeys
            let optionsText = String(decoding: try json.encode(options), as: UTF8.self)
            try ReplicaConsistency.verify([("program", program), ("options", optionsText), ("training data", dataset(train)),
                                           ("evaluation data", dataset(prepared.evaluation))], over: communicator)
        }
        dataParallel = DataParallel(parameters: model.parameters, communicator: communicator)
        // Every rank starts from rank 0's weights and buffers.
        if ranks > 1 { try communicator.broadcast(replicaState, from: 0) }
    }

    /// Runs one blank image through `model` (evaluation mode, no gradients, no random draws) so
    /// that images it cannot take fail now, with the sizes named, rather than in the first batch;
    /// its output must be one logit per class, `[1, classes]`.
    static func checkInput(_ model: Module, entry: ModelArchitecture, shape: [Int], classes: Int) throws {
        let wasTraining = model.isTraining
        model.eval()
        defer { model.train(wasTraining) }
        let size = { (s: [Int]) in s.map(String.init).joined(separator: "×") }
        let output: Tensor
        do {
            output = try withNoGrad { try model(Tensor.zeros([1] + shape)) }
        } catch let error as ConvNetError {
            throw ConvNetError(op: "train", "\(entry.name) (designed for \(size(entry.inputShape)) images) cannot take \(size(shape)) images: \(error.description); choose `imageSize` or another model")
        }
        guard output.shape == [1, classes] else {
            throw ConvNetError(op: "train", "\(entry.name) gives \(output.shape) for one image, but training needs one logit per class of the data: [1, \(classes)]")
        }
    }

    /// Trains the remaining epochs.
    /// - Throws: ``ConvNetError`` when the loss becomes NaN or infinite (naming epoch and batch;
    ///   the last checkpoint is left as it was), or on I/O failure.
    ///
    /// The output folder is locked from setup to the end of the run (so that no other trainer,
    /// in this process or another, writes it meanwhile), then released; a later call locks it again.
    public func run() throws -> TrainingOutcome {
        if writesFiles && outputLock == nil { outputLock = try Self.lock(outputDirectory) }
        defer { outputLock = nil }
        return try GlobalGenerator.using(generator) { try trainRemainingEpochs() }
    }

    /// Whether this process writes the output folder: rank 0.
    public var writesFiles: Bool { communicator.rank == 0 }

    private func trainRemainingEpochs() throws -> TrainingOutcome {
        if writesFiles {
            try claimOutputFolder()
            // Temporary files of a run killed while writing (kill -9) are removed.
            AtomicFile.removeDebris(of: checkpointPath)
            AtomicFile.removeDebris(of: metricsPath)
            // A run killed between the two writes of an epoch left metrics.csv an epoch short; after the
            // last epoch no later epoch would rewrite it.
            if !history.isEmpty { try AtomicFile.write(Data(EpochMetrics.csv(history).utf8), to: metricsPath) }
        }
        let batches = trainLoader.count
        let totalSteps = options.epochs * batches
        let schedule = options.learningRateSchedule
        model.train()
        while completedEpochs < options.epochs {
            let epoch = completedEpochs
            var start = Stopwatch.now()
            let order: [Int]
            if batchesIntoEpoch == 0 {
                epochGenerator = generator.state
                order = generator.withGenerator { trainLoader.order(using: &$0) }
            } else {
                var replay = epochGenerator
                order = trainLoader.order(using: &replay)
            }
            for batch in trainLoader.batches(order: order, epoch: epoch, from: batchesIntoEpoch) {
                try trainLoader.checkFailure()
                let step = epoch * batches + batchesIntoEpoch
                optimizer.learningRate = schedule.rate(base: options.learningRate, step: step, totalSteps: totalSteps,
                                                       stepsPerEpoch: batches)
                optimizer.zeroGrad()
                try shareRankZeroStatistics()
                let logits = try model(batch.images)
                let loss = try crossEntropy(logits, labels: batch.labels)
                let lossValue = try loss.item()
                guard lossValue.isFinite else {
                    let rank = communicator.size > 1 ? " on rank \(communicator.rank)" : ""
                    throw ConvNetError(op: "train", "loss became \(NonFiniteValues.text(Double(lossValue)))\(rank) at epoch \(epoch + 1), batch \(batchesIntoEpoch + 1); stopped (the last checkpoint is unchanged; try a lower `learningRate`)")
                }
                try dataParallel.backward(loss)
                try optimizer.step()
                let predicted = try logits.argmax(dim: 1)
                // This rank's share, summed over the ranks (with whether any of them was asked to stop).
                let totals = try communicator.allReduceSum([
                    Double(zip(predicted, batch.labels).filter { $0 == $1 }.count), Double(lossValue) * Double(batch.labels.count),
                    Double(batch.labels.count), stopRequested() ? 1 : 0,
                ])
                partial.correct += Int(totals[0])
                partial.lossSum += totals[1]
                partial.seen += Int(totals[2])
                let batchLoss = totals[1] / max(totals[2], 1)
                let stop = totals[3] > 0
                batchesIntoEpoch += 1
                let now = Stopwatch.now()
                partial.seconds += now - start
                start = now
                observer?.batchFinished(BatchProgress(
                    epoch: epoch + 1, batch: batchesIntoEpoch, batches: batches,
                    loss: partial.lossSum / Double(partial.seen), accuracy: 100 * Double(partial.correct) / Double(partial.seen),
                    seconds: partial.seconds, samplesPerSecond: Double(partial.seen) / max(partial.seconds, 1e-9),
                    learningRate: optimizer.learningRate, batchLoss: batchLoss))
                if stop && batchesIntoEpoch < batches {
                    try saveCheckpoint()
                    return .interrupted(epoch: epoch + 1, batch: batchesIntoEpoch)
                }
            }
            // A PyTorch script evaluating through a DataLoader draws its iterator's base seed here.
            _ = generator.withGenerator { testLoader.order(using: &$0) }
            // Each rank's last forward updated its statistics with its own share: rank 0's hold for all.
            try shareRankZeroStatistics()
            let test = try evaluateOnEveryRank()
            if let report = test.nonFiniteReport {
                throw ConvNetError(op: "train", "evaluation after epoch \(epoch + 1): \(report); stopped (the last checkpoint is unchanged; try a lower `learningRate`)")
            }
            let metrics = EpochMetrics(epoch: epoch + 1, trainLoss: partial.lossSum / Double(max(partial.seen, 1)),
                                       trainAccuracy: 100 * Double(partial.correct) / Double(max(partial.seen, 1)),
                                       testLoss: test.loss, testAccuracy: test.accuracy, seconds: partial.seconds)
            history.append(metrics)
            completedEpochs += 1
            batchesIntoEpoch = 0
            partial = Checkpoint.PartialEpoch()
            try ReplicaConsistency.verifyIdentical(replicaState, over: communicator, when: "after epoch \(epoch + 1)")
            // The checkpoint first: after a crash between the two writes, metrics.csv never lists
            // an epoch the checkpoint lacks (the next epoch rewrites it from the checkpoint's history).
            try saveCheckpoint()
            if writesFiles { try AtomicFile.write(Data(EpochMetrics.csv(history).utf8), to: metricsPath) }
            observer?.epochFinished(metrics)
            let stop = try communicator.allReduceSum([stopRequested() ? 1 : 0])[0] > 0
            if stop && completedEpochs < options.epochs {
                return .interrupted(epoch: completedEpochs, batch: 0)
            }
        }
        return .completed
    }

    /// What must be equal on every rank: the parameters and the buffers.
    private var replicaState: [Tensor] { model.parameters + model.namedBuffers().map(\.tensor) }

    /// DDP's `broadcast_buffers`: with several ranks and per-rank batch norm, rank 0's buffers
    /// (running statistics) go to every rank, before each step and each evaluation.
    private func shareRankZeroStatistics() throws {
        guard communicator.size > 1, !options.syncBatchNorm else { return }
        try communicator.broadcast(model.namedBuffers().map(\.tensor), from: 0)
    }

    /// The evaluation set's figures: with several ranks, each evaluates its share and the sums
    /// are combined (every image counted once).
    private func evaluateOnEveryRank() throws -> EvaluationResult {
        var result = try evaluate(model, on: testLoader)
        guard communicator.size > 1 else { return result }
        let count = Double(result.labels.count)
        let correct = Double(zip(result.predictions, result.labels).filter { $0 == $1 }.count)
        let sums = try communicator.allReduceSum([result.loss * count, correct, count, Double(result.nonFiniteOutputs)])
        let total = max(sums[2], 1)
        result.loss = sums[0] / total
        result.accuracy = 100 * sums[1] / total
        result.nonFiniteOutputs = Int(sums[3])
        return result
    }

    /// Writes this rank's weights and buffers (a safetensors state dict) to `path`, on every rank:
    /// to compare the replicas of a data-parallel run.
    public func saveReplica(to path: String) throws {
        AtomicFile.removeDebris(of: path)
        try SafeTensors.write(SafeTensors.Contents(tensors: model.stateDict(), metadata: ["rank": String(communicator.rank)]), to: path)
    }

    /// Writes `checkpoint.safetensors` atomically (on rank 0; other ranks write nothing).
    public func saveCheckpoint() throws {
        guard writesFiles else { return }
        try dropEarlierMetrics()
        var slots: [String: [String: [Float]]] = [:]
        let state = optimizer.state
        let names = model.namedParameters().map(\.name)
        for (slot, values) in state.slots {
            for (name, value) in zip(names, values) { if let value { slots[slot, default: [:]][name] = value } }
        }
        try Checkpoint(options: options, modelState: model.stateDict(), optimizerSlots: slots,
                       optimizerStepCount: state.stepCount, completedEpochs: completedEpochs,
                       batchesIntoEpoch: batchesIntoEpoch, partialEpoch: partial, history: history,
                       generator: generator.state, epochGenerator: epochGenerator,
                       classNames: trainLoader.dataset.classNames, normalization: data.normalization,
                       inputShape: [trainLoader.dataset.channels, trainLoader.outputHeight, trainLoader.outputWidth]).save(to: checkpointPath)
    }
}
