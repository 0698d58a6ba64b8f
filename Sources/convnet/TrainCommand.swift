import ArgumentParser
import ConvNet
import Dispatch
import Foundation

/// `convnet train`: trains a model, writing metrics.csv and a checkpoint after every epoch.
struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train a model; writes OUT/metrics.csv and OUT/checkpoint.safetensors after every epoch.",
        discussion: "Ctrl-C finishes the current batch, writes a checkpoint and exits with status 130; --resume continues it.")

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
    @Option(help: "Learning-rate schedule: none, step, cosine or onecycle.") var schedule = "none"
    @Option(help: "Linear warm-up over the first N steps (the rate rising to --lr), then --schedule.") var warmupSteps = 0
    @Option(help: "Random seed (weights, shuffling, dropout); the initial weights and the shuffled order are PyTorch's for torch.manual_seed(SEED).") var seed: UInt64 = 0
    @Option(help: "How each epoch's order is drawn: randperm (torch.randperm per epoch, as shared/reference's scripts) or dataloader (as iterating torch.utils.data.DataLoader with shuffle=True, and the test set's DataLoader after each epoch).") var shuffle: ShuffleConvention = .randperm
    @Option(help: "Threads for BLAS and oneDNN (default: all cores).") var threads: Int?
    @Option(help: "Train on only the first N training images.") var trainLimit: Int?
    @Option(help: "Evaluate on only the first N test images.") var testLimit: Int?
    @Option(help: "Output folder.") var out: String
    @Flag(help: "Continue from OUT/checkpoint.safetensors.") var resume = false

    func run() throws {
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
        try options.validate()
        try Backend.setThreads(options.threads)

        let trainer = try Trainer(options: options, dataDirectory: data, outputDirectory: out)
        if resume { try trainer.resume() }
        let progress = ProgressPrinter(epochs: options.epochs)
        trainer.observer = progress
        let interrupt = InterruptFlag()
        trainer.stopRequested = { interrupt.isSet }
        print("training \(model) on \(dataset): \(trainer.trainLoader.dataset.count) images, batch \(batchSize), \(optimizer) lr \(lr), seed \(seed) (\(shuffle.rawValue) order), \(options.threads) threads, \(model) has \(trainer.model.parameterCount) parameters")
        switch try trainer.run() {
        case .completed:
            if let last = trainer.history.last {
                print(String(format: "test accuracy: %.2f%%", last.testAccuracy))
            }
        case let .interrupted(epoch, batch):
            progress.finishLine()
            print("interrupted at epoch \(epoch), batch \(batch); checkpoint written to \(trainer.checkpointPath) (continue with --resume)")
            throw ExitCode(130)
        }
    }
}

/// Set by the first Ctrl-C (SIGINT); a second one exits at once.
final class InterruptFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var set = false
    private let source: DispatchSourceSignal

    init() {
        signal(SIGINT, SIG_IGN)
        source = DispatchSource.makeSignalSource(signal: SIGINT, queue: .global())
        source.setEventHandler { [unowned self] in
            lock.lock()
            let again = set
            set = true
            lock.unlock()
            if again { exit(130) }
            FileHandle.standardError.write(Data("\nstopping after this batch (Ctrl-C again to quit now)\n".utf8))
        }
        source.resume()
    }

    var isSet: Bool {
        lock.lock()
        defer { lock.unlock() }
        return set
    }
}
