import ArgumentParser
import ConvNet
import Foundation

/// A trained checkpoint and the images to judge it on: the options `eval` and `report` share.
struct CheckpointDataOptions: ParsableArguments {
    @Option(help: "A checkpoint.safetensors written by convnet train.") var checkpoint: String?
    @Option(help: "Dataset (default: the one the checkpoint was trained on, with the same held-out images).") var dataset: String?
    @Option(help: "Folder with the dataset's files (MNIST defaults to the copy in Datasets/mnist).") var data: String?
    @Option(help: "Threads that decode images (default: all cores).") var workers: Int?

    /// `--workers`, or every core.
    var workerCount: Int { workers ?? ProcessInfo.processInfo.activeProcessorCount }

    /// `--checkpoint`, which a command without another source of weights requires.
    func requiredCheckpoint() throws -> String {
        guard let checkpoint else { throw ValidationError("give --checkpoint FILE") }
        return checkpoint
    }

    func validate() throws {
        if let workers, workers < 1 { throw ConvNetError(op: "options", "--workers \(workers) must be at least 1") }
    }
}
