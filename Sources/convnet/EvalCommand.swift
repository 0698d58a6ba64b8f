import ArgumentParser
import ConvNet
import Foundation

/// `convnet eval`: loss and accuracy of a training checkpoint on the images it was evaluated on.
struct EvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Print the loss and accuracy of a checkpoint on its test split (or the images held out when it was trained).")

    @Option(help: "A checkpoint.safetensors written by convnet train.") var checkpoint: String
    @Option(help: "Dataset (default: the one the checkpoint was trained on, with the same held-out images).") var dataset: String?
    @Option(help: "Folder with the dataset's files (MNIST defaults to the copy in Datasets/mnist).") var data: String?
    @Option(help: "Threads for BLAS and oneDNN (default: all cores).") var threads: Int?
    @Option(help: "Threads that decode images (default: all cores).") var workers: Int?
    @Flag(help: "Also print the confusion matrix with per-class precision, recall and F1.") var confusion = false
    @Flag(help: "Load weights holding NaN or infinity (refused by default); outputs that are not finite are still an error.") var allowNonfinite = false

    func run() throws {
        try Backend.setThreads(threads ?? Backend.threads)
        let saved = try Checkpoint.load(path: checkpoint)
        var options = saved.options
        if let dataset, dataset != options.dataset {
            options.dataset = dataset
            options.holdout = nil
        }
        options.testLimit = nil
        let entry = try ModelZoo.entry(options.model)
        let prepared = try DatasetCatalog.prepare(options.dataRequest(
            directory: data, channels: entry.inputShape[0], workers: workers ?? ProcessInfo.processInfo.activeProcessorCount))
        let test = prepared.evaluation
        let classNames = saved.classNames ?? test.classNames
        let model = try ModelZoo.make(options.model, classes: classNames.count)
        do {
            try model.loadStateDict(saved.modelState.dictionary, allowNonFinite: allowNonfinite)
        } catch let error as ConvNetError {
            throw ConvNetError(op: "eval", "\(checkpoint) does not fit \(options.model) for \(options.dataset): \(error.message)")
        }
        let loader = try DataLoader(test, batchSize: 1000, shuffle: false, normalization: saved.normalization ?? prepared.normalization)
        let result = try evaluate(model, on: loader)
        let split = prepared.evaluationName
        if let report = result.nonFiniteReport { throw ConvNetError(op: "eval", "\(checkpoint) on \(split): \(report)") }
        print("model: \(options.model), dataset: \(options.dataset) (\(test.count) \(split) images), epochs trained: \(saved.completedEpochs)")
        for note in prepared.notes { print(note) }
        print(String(format: "\(split) loss: %.4f", result.loss))
        if confusion {
            let matrix = try ConfusionMatrix(predictions: result.predictions, labels: result.labels, classes: classNames.count)
            print(matrix.table(classNames: classNames))
        }
        print(String(format: "\(split) accuracy: %.2f%%", result.accuracy))
    }
}
