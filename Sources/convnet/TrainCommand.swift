import ArgumentParser
import ConvNet
import Dispatch
import Foundation

/// `convnet train`: trains a model, writing metrics.csv and a checkpoint after every epoch.
struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train a model; writes OUT/metrics.csv and OUT/checkpoint.safetensors after every epoch.",
        discussion: "Ctrl-C or SIGTERM finishes the current batch, writes a checkpoint and exits with status 130; --resume continues it.")

    @Option(help: "Model: \(ModelZoo.names.joined(separator: ", ")).") var model = "lenet5"
    @Option(help: "Dataset: \(DatasetCatalog.names.joined(separator: ", ")).") var dataset = "mnist"
    @Option(help: "Folder with the dataset's files (MNIST defaults to the copy in Datasets/mnist).") var data: String?
    @Option(help: "Number of epochs.") var epochs = 5
    @Option(help: "Mini-batch size.") var batchSize = 64
    @Option(help: "Optimizer: sgd, adam or adamw.") var optimizer = "sgd"
    @Option(help: "Learning rate.") var lr: Float = 0.01
    @Option(help: "SGD momentum.") var momentum: Float = 0.9
    @Flag(help: "Nesterov momentum (SGD).") var nesterov = false
    @Option(help: "Weight decay (L2 for sgd/adam, decoupled for adamw).") var weightDecay: Float = 0
    @Option(help: "Learning-rate schedule: none, step, multistep, cosine or onecycle.") var schedule = "none"
    @Option(help: "Epochs at which --schedule multistep multiplies the rate by --gamma, e.g. 100,150 (PyTorch's MultiStepLR).") var milestones: String?
    @Option(help: "The factor of --schedule multistep.") var gamma: Float = 0.1
    @Option(help: "Linear warm-up over the first N steps (the rate rising to --lr), then --schedule.") var warmupSteps = 0
    @Option(help: "Random seed (weights, shuffling, dropout); the initial weights and the shuffled order are PyTorch's for torch.manual_seed(SEED).") var seed: UInt64 = 0
    @Option(help: "How each epoch's order is drawn: randperm (torch.randperm per epoch, as shared/reference's scripts) or dataloader (as iterating torch.utils.data.DataLoader with shuffle=True, and the test set's DataLoader after each epoch).") var shuffle: ShuffleConvention = .randperm
    @Option(help: "Threads for BLAS and oneDNN (default: all cores).") var threads: Int?
    @Option(help: "Train on only the first N training images (in stored order: an image folder lists them class by class).") var trainLimit: Int?
    @Option(help: "Evaluate on only the first N test images.") var testLimit: Int?
    @Option(help: "Data augmentation: a preset (none, cifar = RandomCrop(size, padding=4) + RandomHorizontalFlip(), imagenet = RandomResizedCrop(size) + RandomHorizontalFlip()) or torchvision calls, e.g. \"RandomCrop(32, padding=4, padding_mode='reflect'), RandomHorizontalFlip(), ColorJitter(0.4, 0.4, 0.4, 0.1), Lighting(0.1)\"; drawn as torchvision draws.") var augment = "none"
    @Option(help: "Hold out part of the training set for evaluation: a count (1000), fraction (0.25) or percentage; default: the test split, or 20% when the dataset has none.") var holdout: String?
    @Option(help: "Resize (shorter side) and center-crop every image to SIZE×SIZE when loading.") var imageSize: Int?
    @Option(help: "CIFAR-100 labels: fine (100 classes) or coarse (20).") var labelLevel: CIFAR.LabelLevel = .fine
    @Option(help: "Threads that decode and augment images (default: all cores); batches do not depend on it.") var workers: Int?
    @Flag(help: "Skip image files that cannot be decoded (and report how many) instead of stopping.") var skipBadImages = false
    @Option(help: "Output folder.") var out: String
    @Option(help: "Also log to TensorBoard: an event file in this folder (created if missing) with each batch's loss and learning rate, each epoch's losses, accuracies and first-layer filters; view it live with `tensorboard --logdir DIR`.") var tensorboard: String?
    @Flag(help: "Continue from OUT/checkpoint.safetensors.") var resume = false
    @Flag(help: "With --resume: accept weights and optimizer state holding NaN or infinity (refused by default).") var allowNonfinite = false

    func run() throws {
        // First, before this run starts any thread (they inherit the blocked signals).
        let interrupt = InterruptFlag()
        var options = TrainingOptions()
        options.model = model
        options.dataset = dataset
        options.epochs = epochs
        options.batchSize = batchSize
        options.optimizer = optimizer
        options.learningRate = lr
        options.momentum = optimizer == "sgd" ? momentum : 0
        options.nesterov = nesterov
        options.weightDecay = weightDecay
        options.schedule = schedule
        options.warmupSteps = warmupSteps
        options.seed = seed
        options.shuffle = shuffle
        options.threads = threads ?? Backend.threads
        options.trainLimit = trainLimit
        options.testLimit = testLimit
        options.augment = augment
        options.holdout = holdout
        options.imageSize = imageSize
        options.labelLevel = labelLevel
        options.skipBadImages = skipBadImages
        options.gamma = gamma
        if let milestones {
            options.milestones = try milestones.split(separator: ",").map {
                guard let epoch = Int($0.trimmingCharacters(in: .whitespaces)) else {
                    throw ConvNetError(op: "train", "--milestones \"\(milestones)\" must be epochs separated by commas, e.g. 100,150")
                }
                return epoch
            }
        }
        try options.validate()
        try Backend.setThreads(options.threads)
        let workers = workers ?? ProcessInfo.processInfo.activeProcessorCount
        guard workers >= 1 else { throw ConvNetError(op: "train", "--workers \(workers) must be at least 1") }

        // A bad --tensorboard folder fails here, before the data is loaded.
        if let tensorboard { try TensorBoardWriter.prepare(directory: tensorboard) }

        let trainer = try Trainer(options: options, dataDirectory: data, outputDirectory: out, workers: workers)
        if resume { try trainer.resume(allowNonFinite: allowNonfinite) }
        let progress = ProgressPrinter(epochs: options.epochs)
        let board = try tensorboard.map { TensorBoardObserver(writer: try TensorBoardWriter(directory: $0), trainer: trainer) }
        let observers = ObserverGroup([progress] + (board.map { [$0] } ?? []))
        var warned = false
        observers.afterEpoch = {
            guard let failure = board?.failure, !warned else { return }
            warned = true
            FileHandle.standardError.write(Data("warning: \(failure); TensorBoard logging stopped, training goes on\n".utf8))
        }
        trainer.observer = observers
        defer { board?.flush() }
        trainer.stopRequested = { interrupt.isSet }
        let train = trainer.trainLoader
        print("training \(model) on \(dataset): \(train.dataset.count) images of \(train.dataset.channels)×\(train.outputHeight)×\(train.outputWidth) in \(train.dataset.classNames.count) classes, evaluated on \(trainer.testLoader.dataset.count) \(trainer.data.evaluationName) images; batch \(batchSize), \(optimizer) lr \(lr), seed \(seed) (\(shuffle.rawValue) order), \(options.threads) threads, \(workers) workers, \(model) has \(trainer.model.parameterCount) parameters")
        for note in trainer.data.notes { print(note) }
        if let board { print("TensorBoard: \(board.writer.path) (view with tensorboard --logdir \(tensorboard!))") }
        if !train.augmentation.transforms.isEmpty { print("augmentation: \(train.augmentation)") }
        if DatasetCatalog.normalization(dataset) == nil {
            print("normalisation (the training images' statistics): mean \(trainer.data.normalization.mean), std \(trainer.data.normalization.std)")
        }
        fflush(nil)
        if interrupt.isSet {
            print("stopped before training began; nothing was written")
            throw ExitCode(130)
        }
        switch try trainer.run() {
        case .completed:
            if let last = trainer.history.last {
                print(String(format: "\(trainer.data.evaluationName) accuracy: %.2f%%", last.testAccuracy))
            }
        case let .interrupted(epoch, batch):
            progress.finishLine()
            print("interrupted at epoch \(epoch), batch \(batch); checkpoint written to \(trainer.checkpointPath) (continue with --resume)")
            throw ExitCode(130)
        }
    }
}

/// Set by the first Ctrl-C (SIGINT) or SIGTERM (what `timeout`, schedulers and `kill` send):
/// the run finishes its batch and writes a checkpoint. A second signal exits at once.
///
/// The two signals are blocked in the thread that creates the flag, and so in every thread it
/// starts later (the data loader's, OpenMP's, which run the compute kernels): libdispatch reads
/// them from a signalfd, and its handler can only run on the threads OpenBLAS started when it was
/// loaded, which wait idle or run OpenBLAS's kernels. A handler must never run on a thread inside
/// oneDNN's JIT GEMM kernels: they point the stack pointer into the heap while they run (oneDNN
/// issue 4845, fixed in 3.11), and the handler's frame written there corrupted the heap. 5 of 111
/// SIGTERMs in a loop ended in "corrupted size vs. prev_size" (found by Tools/crash_drills.sh;
/// AddressSanitizer showed libdispatch's signal handler writing into a oneDNN buffer).
final class InterruptFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var set = false
    private var sources: [DispatchSourceSignal] = []

    init() {
        var blocked = sigset_t()
        sigemptyset(&blocked)
        for (number, name) in [(SIGINT, "Ctrl-C"), (SIGTERM, "SIGTERM")] {
            sigaddset(&blocked, number)
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { [unowned self] in
                lock.lock()
                let again = set
                set = true
                lock.unlock()
                if again { exit(130) }
                FileHandle.standardError.write(Data("\n\(name): stopping after this batch (again to quit now)\n".utf8))
            }
            source.resume()
            sources.append(source)
        }
        pthread_sigmask(SIG_BLOCK, &blocked, nil)
    }

    var isSet: Bool {
        lock.lock()
        defer { lock.unlock() }
        return set
    }
}
