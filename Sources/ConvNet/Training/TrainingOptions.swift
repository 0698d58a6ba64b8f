import Foundation

/// Everything that defines a training run; saved in checkpoints so a resumed run can check it
/// continues the same experiment.
public struct TrainingOptions: Codable, Sendable, Equatable {
    /// A ``ModelZoo`` name.
    public var model = "lenet5"
    /// A ``DatasetCatalog`` name.
    public var dataset = "mnist"
    /// Epochs to train (a resumed run may raise it).
    public var epochs = 5
    /// Images per training batch.
    public var batchSize = 64
    /// The optimizer: SGD, Adam or AdamW.
    public var optimizer = OptimizerName.sgd
    /// The base learning rate.
    public var learningRate: Float = 0.01
    /// SGD momentum.
    public var momentum: Float = 0.9
    /// Nesterov momentum (SGD).
    public var nesterov = false
    /// L2 (sgd, adam) or decoupled (adamw) weight decay.
    public var weightDecay: Float = 0
    /// The learning-rate schedule after any warm-up.
    public var schedule = ScheduleName.constant
    /// Epochs at which `multistep` multiplies the rate by ``gamma``.
    public var milestones: [Int] = []
    /// The factor of `multistep`.
    public var gamma: Float = 0.1
    /// Steps of linear warm-up (the rate rising from base/steps to the base) before `schedule`
    /// takes over for the rest of the run; 0 = none.
    public var warmupSteps = 0
    /// Seeds the weights, the shuffling and dropout.
    public var seed: UInt64 = 0
    /// How each epoch's order is drawn, as the PyTorch script to compare with draws it.
    public var shuffle = ShuffleConvention.randperm
    /// BLAS and oneDNN threads (part of the experiment: results depend on it).
    public var threads = 0
    /// Train on only the first `limit` training images (quick runs, tests); `nil` = all.
    public var trainLimit: Int?
    /// Evaluate on only the first `limit` test images; `nil` = all.
    public var testLimit: Int?
    /// Data augmentation, in ``TransformSpec``'s syntax (torchvision calls or a preset).
    public var augment = "none"
    /// Training images held out for evaluation (`1000`, `0.25`, `25%`); nil: the test split, or
    /// 20 % of the training set when the dataset has none.
    public var holdout: String?
    /// Images resized and center-cropped to `imageSize × imageSize` when loaded; nil: as stored.
    public var imageSize: Int?
    /// CIFAR-100's labels: fine (100 classes) or coarse (20).
    public var labelLevel = CIFAR.LabelLevel.fine
    /// Skip image files that cannot be decoded instead of stopping.
    public var skipBadImages = false
    /// Processes training together (data-parallel over MPI); ``batchSize`` is the global batch,
    /// split evenly between them. Part of the experiment: a run resumes only on as many ranks
    /// (per-rank batch norm statistics and the order of sums depend on it).
    public var ranks = 1
    /// With several ranks, batch norm statistics computed over the global batch (PyTorch's
    /// `SyncBatchNorm`) rather than over each rank's share.
    public var syncBatchNorm = false

    /// The defaults: LeNet-5 on MNIST, 5 epochs, batch 64, SGD lr 0.01 momentum 0.9, seed 0.
    public init() {}

    /// The optimizers `--optimizer` names; the raw value is the name (as saved in checkpoints).
    public enum OptimizerName: String, Codable, Sendable, CaseIterable {
        /// ``SGD``, with ``TrainingOptions/momentum`` and ``TrainingOptions/nesterov``.
        case sgd
        /// ``Adam`` (L2 weight decay).
        case adam
        /// ``AdamW`` (decoupled weight decay).
        case adamW = "adamw"
    }

    /// The learning-rate schedules `--schedule` names; the raw value is the name (as saved in
    /// checkpoints). ``TrainingOptions/learningRateSchedule`` turns one into a ``LearningRateSchedule``.
    public enum ScheduleName: String, Codable, Sendable, CaseIterable {
        /// The base rate throughout (`none`).
        case constant = "none"
        /// ×0.1 every third of the run, at least every epoch.
        case step
        /// ×``TrainingOptions/gamma`` at each of ``TrainingOptions/milestones``.
        case multiStep = "multistep"
        /// Cosine annealing to 0 over the run.
        case cosine
        /// PyTorch's OneCycleLR with its defaults.
        case oneCycle = "onecycle"
    }

    /// Rejects nonsensical settings with a message naming the option.
    public func validate() throws {
        func check(_ ok: Bool, _ message: String) throws {
            if !ok { throw ConvNetError(op: "train", message) }
        }
        // Upper bounds keep every count the trainer multiplies (epochs × batches, steps) far from overflow.
        try check(epochs >= 1 && epochs <= 1_000_000, "`epochs` \(epochs) must lie in 1…1,000,000")
        try check(batchSize >= 1 && batchSize <= 1 << 20, "`batchSize` \(batchSize) must lie in 1…1,048,576")
        try check(learningRate.isFinite && learningRate > 0, "`learningRate` \(learningRate) must be a positive number")
        try check(momentum >= 0 && momentum < 1, "`momentum` \(momentum) must lie in [0, 1)")
        try check(weightDecay.isFinite && weightDecay >= 0, "`weightDecay` \(weightDecay) must be a number ≥ 0")
        try check(warmupSteps <= 1 << 40, "`warmupSteps` \(warmupSteps) is beyond any run")
        try check(milestones.allSatisfy { $0 <= 1_000_000 }, "`milestones` must be epochs ≤ 1,000,000")
        try check(!nesterov || (optimizer == .sgd && momentum > 0), "`nesterov` needs `optimizer` sgd with `momentum` > 0")
        try check(threads >= 0, "`threads` \(threads) must be ≥ 1")
        try check(ranks >= 1 && ranks <= 1 << 20, "\(ranks) ranks must lie in 1…1,048,576")
        try check(batchSize >= ranks, "`batchSize` \(batchSize) (the global batch) is smaller than the \(ranks) ranks: every rank needs at least one image per step")
        try check(batchSize % ranks == 0, "`batchSize` \(batchSize) (the global batch) must be a multiple of the \(ranks) ranks, so that every rank gets an equal share (e.g. \(batchSize / ranks * ranks) or \((batchSize / ranks + 1) * ranks))")
        try check(warmupSteps >= 0, "`warmupSteps` \(warmupSteps) must be ≥ 0")
        try check((trainLimit ?? 1) >= 1 && (testLimit ?? 1) >= 1, "sample limits must be at least 1")
        try check(schedule != .multiStep || !milestones.isEmpty, "`schedule` multistep needs `milestones` (epochs, e.g. 100,150)")
        try check(milestones.allSatisfy { $0 >= 1 } && milestones == milestones.sorted() && Set(milestones).count == milestones.count,
                  "`milestones` \(milestones.map(String.init).joined(separator: ",")) must be increasing epochs ≥ 1")
        try check(gamma.isFinite && gamma > 0, "`gamma` \(gamma) must be a positive number")
        try check((imageSize ?? 1) >= 1 && (imageSize ?? 1) <= 4096, "`imageSize` \(imageSize ?? 0) must lie in 1…4096")
        if let holdout { _ = try Holdout(parsing: holdout) }
    }

    /// What the data loader needs from these options, for a model taking `channels` channels.
    public func dataRequest(directory: String?, channels: Int, workers: Int) throws -> DataRequest {
        var request = DataRequest(dataset: dataset, directory: directory, channels: channels)
        request.imageSize = imageSize
        request.holdout = try holdout.map { try Holdout(parsing: $0) }
        request.seed = seed
        request.labelLevel = labelLevel
        request.trainLimit = trainLimit
        request.evaluationLimit = testLimit
        request.workers = workers
        request.skipBadImages = skipBadImages
        return request
    }

    /// The options that must match for `--resume` to continue the same run (everything but the
    /// number of epochs, which may be raised).
    func sameExperiment(as other: TrainingOptions) -> Bool {
        differences(from: other).isEmpty
    }

    /// The options (by their coded names) other than `epochs` whose values differ, each as
    /// `name: this value vs other value`, in name order.
    func differences(from other: TrainingOptions) -> [String] {
        func fields(_ options: TrainingOptions) -> [String: String] {
            let json = (try? JSONEncoder().encode(options)).flatMap { try? JSONSerialization.jsonObject(with: $0) } as? [String: Any]
            return (json ?? [:]).mapValues { "\($0)" }
        }
        let (mine, theirs) = (fields(self), fields(other))
        return Set(mine.keys).union(theirs.keys).subtracting(["epochs"]).sorted().compactMap { key in
            mine[key] == theirs[key] ? nil : "\(key): \(mine[key] ?? "unset") vs \(theirs[key] ?? "unset")"
        }
    }

    /// Builds the optimizer these options name over `parameters`.
    public func makeOptimizer(_ parameters: [Tensor]) throws -> any Optimizer {
        switch optimizer {
        case .sgd:
            return try SGD(parameters: parameters, learningRate: learningRate, momentum: momentum, nesterov: nesterov,
                           weightDecay: weightDecay)
        case .adam:
            return try Adam(parameters: parameters, learningRate: learningRate, weightDecay: weightDecay)
        case .adamW:
            return try AdamW(parameters: parameters, learningRate: learningRate, weightDecay: weightDecay)
        }
    }

    /// The learning-rate schedule these options name (step: ×0.1 every third of the run, at
    /// least every epoch; cosine: to 0 over the run; one-cycle: PyTorch's defaults).
    public var learningRateSchedule: LearningRateSchedule {
        let main: LearningRateSchedule = switch schedule {
        case .constant: .constant
        case .step: .step(epochs: max(1, epochs / 3), gamma: 0.1)
        case .multiStep: .multiStep(milestones: milestones, gamma: gamma)
        case .cosine: .cosine(minimum: 0)
        case .oneCycle: .oneCycleDefault
        }
        return warmupSteps > 0 ? .warmup(steps: warmupSteps, then: main) : main
    }
}

extension TrainingOptions {
    /// Every field given: for a caller that sets them all (as `convnet train` does from its
    /// flags), so the compiler reports a field it forgot.
    public init(model: String, dataset: String, epochs: Int, batchSize: Int, optimizer: OptimizerName, learningRate: Float,
                momentum: Float, nesterov: Bool, weightDecay: Float, schedule: ScheduleName, milestones: [Int], gamma: Float,
                warmupSteps: Int, seed: UInt64, shuffle: ShuffleConvention, threads: Int, trainLimit: Int?, testLimit: Int?,
                augment: String, holdout: String?, imageSize: Int?, labelLevel: CIFAR.LabelLevel, skipBadImages: Bool,
                syncBatchNorm: Bool) {
        (self.model, self.dataset, self.epochs, self.batchSize) = (model, dataset, epochs, batchSize)
        (self.optimizer, self.learningRate, self.momentum, self.nesterov, self.weightDecay) =
            (optimizer, learningRate, momentum, nesterov, weightDecay)
        (self.schedule, self.milestones, self.gamma, self.warmupSteps) = (schedule, milestones, gamma, warmupSteps)
        (self.seed, self.shuffle, self.threads, self.trainLimit, self.testLimit) = (seed, shuffle, threads, trainLimit, testLimit)
        (self.augment, self.holdout, self.imageSize, self.labelLevel, self.skipBadImages) =
            (augment, holdout, imageSize, labelLevel, skipBadImages)
        self.syncBatchNorm = syncBatchNorm
    }

    enum CodingKeys: String, CodingKey {
        case model, dataset, epochs, batchSize, optimizer, learningRate, momentum, nesterov, weightDecay, schedule,
             milestones, gamma, warmupSteps, seed, shuffle, threads, trainLimit, testLimit, augment, holdout, imageSize,
             labelLevel, skipBadImages, ranks, syncBatchNorm
    }

    /// Reads options as saved in a checkpoint; a key missing there (an option added after the
    /// checkpoint was written) takes its default, which is what that run used.
    public init(from decoder: Decoder) throws {
        self.init()
        let c = try decoder.container(keyedBy: CodingKeys.self)
        func read<T: Decodable>(_ key: CodingKeys, _ value: inout T) throws {
            if let saved = try c.decodeIfPresent(T.self, forKey: key) { value = saved }
        }
        try read(.model, &model)
        try read(.dataset, &dataset)
        try read(.epochs, &epochs)
        try read(.batchSize, &batchSize)
        try read(.optimizer, &optimizer)
        try read(.learningRate, &learningRate)
        try read(.momentum, &momentum)
        try read(.nesterov, &nesterov)
        try read(.weightDecay, &weightDecay)
        try read(.schedule, &schedule)
        try read(.milestones, &milestones)
        try read(.gamma, &gamma)
        try read(.augment, &augment)
        try read(.labelLevel, &labelLevel)
        try read(.skipBadImages, &skipBadImages)
        holdout = try c.decodeIfPresent(String.self, forKey: .holdout)
        imageSize = try c.decodeIfPresent(Int.self, forKey: .imageSize)
        try read(.warmupSteps, &warmupSteps)
        try read(.seed, &seed)
        try read(.shuffle, &shuffle)
        try read(.threads, &threads)
        trainLimit = try c.decodeIfPresent(Int.self, forKey: .trainLimit)
        testLimit = try c.decodeIfPresent(Int.self, forKey: .testLimit)
        try read(.ranks, &ranks)
        try read(.syncBatchNorm, &syncBatchNorm)
    }
}
