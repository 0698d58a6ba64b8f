import ArgumentParser
import ConvNet
import Foundation

/// `convnet train`: trains a model, writing metrics.csv and a checkpoint after every epoch.
struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train a model; writes OUT/metrics.csv and OUT/checkpoint.safetensors after every epoch.",
        discussion: """
            Ctrl-C, SIGTERM or SIGHUP finishes the current batch, writes a checkpoint and exits with status 130; --resume continues it. \
            OUT is locked while the run lasts (a second run into it is refused), and a run already in OUT is only continued \
            (--resume) or replaced (--overwrite), never silently trained over.
            Under `mpirun -np N` the N processes train one model data-parallel over MPI: --batch-size is the global batch, \
            each rank takes an equal share of it, gradients are averaged before every step, and rank 0 alone prints and writes OUT.
            """)

    @OptionGroup var experiment: TrainingArguments
    @Option(help: "Folder with the dataset's files (MNIST defaults to the copy in Datasets/mnist).") var data: String?
    @Option(help: "Threads that decode and augment images (default: all cores); batches do not depend on it.") var workers: Int?
    @OptionGroup var compute: ComputeOptions
    @Option(help: "Output folder.") var out: String
    @Option(help: "Also log to TensorBoard: an event file in this folder (created if missing) with each batch's loss and learning rate, each epoch's losses, accuracies and first-layer filters; view it live with `tensorboard --logdir DIR`.") var tensorboard: String?
    @Flag(help: "Continue from OUT/checkpoint.safetensors.") var resume = false
    @Flag(help: "Replace the run already in OUT: this run's checkpoint and metrics.csv replace its own (its metrics.csv goes before the first checkpoint).") var overwrite = false
    @Flag(help: "With --resume: accept weights and optimizer state holding NaN or infinity (refused by default).") var allowNonfinite = false
    @Flag(help: "Under mpirun: every rank also writes its final weights to OUT/replica-RANK.safetensors (to compare the replicas).") var saveReplicas = false

    func run() throws {
        // The first signal now lets the batch finish and a checkpoint be written.
        let interrupt = Interruption.finishBatchFirst()
        guard MPICommunicator.launchedAsSeveralRanks else {
            return try train(communicator: SingleProcessCommunicator(), interrupt: interrupt)
        }
        let world = try MPICommunicator.world()
        do {
            try train(communicator: world, interrupt: interrupt)
            world.finalize()
        } catch let code as ExitCode {
            // Interrupted: every rank stopped after the same batch.
            world.finalize()
            throw code
        } catch {
            // The others may be waiting for this rank in a collective call: end the whole job.
            printToStandardError("Error: rank \(world.rank) of \(world.size): \(SettingFlags.flagged(error))")
            world.abort(code: 1)
        }
    }

    private func train(communicator: any Communicator, interrupt: InterruptFlag) throws {
        let ranks = communicator.size
        // The ranks on one machine share its cores.
        let cores = max(1, ProcessInfo.processInfo.activeProcessorCount / (ranks > 1 ? MPICommunicator.localRanks : 1))
        let options = try experiment.options(threads: compute.threads ?? (ranks > 1 ? cores : Backend.threads), ranks: ranks)
        var compute = compute
        compute.threads = options.threads
        try compute.apply()
        let workers = workers ?? cores
        guard workers >= 1 else { throw ConvNetError(op: "train", "--workers \(workers) must be at least 1") }

        // A bad --out or --tensorboard folder fails here, before the data is loaded (only rank 0 need see OUT).
        if communicator.rank == 0 { try Trainer.checkOutput(out, resuming: resume, overwrite: overwrite) }
        if let tensorboard { try TensorBoardWriter.prepare(directory: tensorboard) }

        let trainer = try Trainer(options: options, dataDirectory: data, outputDirectory: out, workers: workers,
                                  communicator: communicator, program: ranks > 1 ? ProgramFingerprint.current() : "",
                                  overwrite: overwrite)
        if resume { try trainer.resume(allowNonFinite: allowNonfinite) }
        defer {
            if saveReplicas {
                do { try trainer.saveReplica(to: out + "/replica-\(communicator.rank).safetensors") } catch {
                    printToStandardError("warning: rank \(communicator.rank): \(SettingFlags.flagged(error))")
                }
            }
        }
        guard communicator.rank == 0 else {
            // The other ranks train silently; rank 0 reports.
            trainer.stopRequested = { interrupt.isSet }
            if case .interrupted = try trainer.run() { throw ExitCode(130) }
            return
        }
        let progress = ProgressPrinter(epochs: options.epochs)
        let board = try tensorboard.map { TensorBoardObserver(writer: try TensorBoardWriter(directory: $0), trainer: trainer) }
        let observers = ObserverGroup([progress] + (board.map { [$0] } ?? []))
        var warned = false
        observers.afterEpoch = {
            guard let failure = board?.failure, !warned else { return }
            warned = true
            printToStandardError("warning: \(failure); TensorBoard logging stopped, training goes on")
        }
        trainer.observer = observers
        defer { board?.flush() }
        trainer.stopRequested = { interrupt.isSet }
        let train = trainer.trainLoader
        if ranks > 1 {
            print("data-parallel over MPI: \(ranks) ranks × \(options.threads) threads, global batch \(options.batchSize) (\(options.batchSize / ranks) per rank), \(trainer.dataParallel.buckets.count) gradient buckets, batch norm statistics \(options.syncBatchNorm ? "over the global batch (--sync-bn)" : "per rank")")
        }
        print("training \(options.model) on \(options.dataset): \(train.dataset.count) images of \(train.dataset.channels)×\(train.outputHeight)×\(train.outputWidth) in \(train.dataset.classNames.count) classes, evaluated on \(trainer.testLoader.dataset.count) \(trainer.data.evaluationName) images; batch \(options.batchSize), \(options.optimizer.rawValue) lr \(options.learningRate), seed \(options.seed) (\(options.shuffle.rawValue) order), \(options.threads) threads, \(workers) workers, \(options.model) has \(trainer.model.parameterCount) parameters")
        for note in trainer.data.notes { print(SettingFlags.flagged(note)) }
        if let board { print("TensorBoard: \(board.writer.path) (view with tensorboard --logdir \(tensorboard!))") }
        if !train.augmentation.transforms.isEmpty { print("augmentation: \(train.augmentation)") }
        if DatasetCatalog.normalization(options.dataset) == nil {
            print("normalisation (the training images' statistics): mean \(trainer.data.normalization.mean), std \(trainer.data.normalization.std)")
        }
        fflush(nil)
        if interrupt.isSet {
            print("stopped before training began; nothing was written")
            throw ExitCode(130)
        }
        let outcome = try trainer.run()
        if ranks > 1 {
            let training = trainer.history.map(\.seconds).reduce(0, +)
            print(String(format: "gradient averaging (rank 0): %.3f s of %.3f s of training steps (%.1f%%)", trainer.dataParallel.communicationSeconds,
                         training, 100 * trainer.dataParallel.communicationSeconds / max(training, 1e-9)))
        }
        switch outcome {
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
