import ArgumentParser
import ConvNet

/// The defaults of `convnet train`'s flags: the library's own.
private let defaults = TrainingOptions()

/// `convnet train`'s flags that define the experiment, one per ``TrainingOptions`` field (named
/// as the field, defaulting to its default); ``options(threads:)`` builds the value.
struct TrainingArguments: ParsableArguments {
    @Option(help: "Model: \(ModelZoo.names.joined(separator: ", ")).") var model = defaults.model
    @Option(help: "Dataset: \(DatasetCatalog.names.joined(separator: ", ")).") var dataset = defaults.dataset
    @Option(help: "Number of epochs.") var epochs = defaults.epochs
    @Option(help: "Mini-batch size.") var batchSize = defaults.batchSize
    @Option(help: "Optimizer.") var optimizer = defaults.optimizer
    @Option(name: .customLong("lr"), help: "Learning rate.") var learningRate = defaults.learningRate
    @Option(help: "SGD momentum.") var momentum = defaults.momentum
    @Flag(help: "Nesterov momentum (SGD).") var nesterov = defaults.nesterov
    @Option(help: "Weight decay (L2 for sgd/adam, decoupled for adamw).") var weightDecay = defaults.weightDecay
    @Option(help: "Learning-rate schedule (none: constant).") var schedule = defaults.schedule
    @Option(help: "Epochs at which --schedule multistep multiplies the rate by --gamma, e.g. 100,150 (PyTorch's MultiStepLR).") var milestones: String?
    @Option(help: "The factor of --schedule multistep.") var gamma = defaults.gamma
    @Option(help: "Linear warm-up over the first N steps (the rate rising to --lr), then --schedule.") var warmupSteps = defaults.warmupSteps
    @Option(help: "Random seed (weights, shuffling, dropout); the initial weights and the shuffled order are PyTorch's for torch.manual_seed(SEED).") var seed = defaults.seed
    @Option(help: "How each epoch's order is drawn: randperm (torch.randperm per epoch, as shared/reference's scripts) or dataloader (as iterating torch.utils.data.DataLoader with shuffle=True, and the test set's DataLoader after each epoch).") var shuffle = defaults.shuffle
    @Option(help: "Train on only the first N training images (in stored order: an image folder lists them class by class).") var trainLimit: Int?
    @Option(help: "Evaluate on only the first N test images.") var testLimit: Int?
    @Option(help: "Data augmentation: a preset (none, cifar = RandomCrop(size, padding=4) + RandomHorizontalFlip(), imagenet = RandomResizedCrop(size) + RandomHorizontalFlip()) or torchvision calls, e.g. \"RandomCrop(32, padding=4, padding_mode='reflect'), RandomHorizontalFlip(), ColorJitter(0.4, 0.4, 0.4, 0.1), Lighting(0.1)\"; drawn as torchvision draws.") var augment = defaults.augment
    @Option(help: "Hold out part of the training set for evaluation: a count (1000), fraction (0.25) or percentage; default: the test split, or 20% when the dataset has none.") var holdout: String?
    @Option(help: "Resize (shorter side) and center-crop every image to SIZE×SIZE when loading.") var imageSize: Int?
    @Option(help: "CIFAR-100 labels: fine (100 classes) or coarse (20).") var labelLevel = defaults.labelLevel
    @Flag(help: "Skip image files that cannot be decoded (and report how many) instead of stopping.") var skipBadImages = defaults.skipBadImages
    @Flag(name: .customLong("sync-bn"), help: "Under mpirun: batch norm statistics over the global batch (PyTorch's SyncBatchNorm) instead of each rank's share.") var syncBatchNorm = defaults.syncBatchNorm

    /// The validated options these flags give, with `threads` (what `--threads` set) and `ranks`
    /// (the processes mpirun started). The
    /// memberwise initializer takes every field, so a field added to ``TrainingOptions`` without
    /// a flag here does not compile. Momentum applies to SGD only.
    func options(threads: Int, ranks: Int = 1) throws -> TrainingOptions {
        var options = TrainingOptions(
            model: model, dataset: dataset, epochs: epochs, batchSize: batchSize, optimizer: optimizer,
            learningRate: learningRate, momentum: optimizer == .sgd ? momentum : 0, nesterov: nesterov,
            weightDecay: weightDecay, schedule: schedule, milestones: try milestones.map(Self.epochs) ?? [], gamma: gamma,
            warmupSteps: warmupSteps, seed: seed, shuffle: shuffle, threads: threads, trainLimit: trainLimit,
            testLimit: testLimit, augment: augment, holdout: holdout, imageSize: imageSize, labelLevel: labelLevel,
            skipBadImages: skipBadImages, syncBatchNorm: syncBatchNorm)
        options.ranks = ranks
        try options.validate()
        return options
    }

    /// `--milestones`: epochs separated by commas.
    static func epochs(_ milestones: String) throws -> [Int] {
        try milestones.split(separator: ",").map {
            guard let epoch = Int($0.trimmingCharacters(in: .whitespaces)) else {
                throw ConvNetError(op: "train", "--milestones \"\(milestones)\" must be epochs separated by commas, e.g. 100,150")
            }
            return epoch
        }
    }
}
