import ArgumentParser
import ConvNet

/// `convnet eval`: test loss and accuracy of a training checkpoint.
struct EvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval", abstract: "Print the test loss and accuracy of a checkpoint.")

    @Option(help: "A checkpoint.safetensors written by convnet train.") var checkpoint: String
    @Option(help: "Dataset (default: the one the checkpoint was trained on).") var dataset: String?
    @Option(help: "Folder with the dataset's files (MNIST defaults to the copy in Datasets/mnist).") var data: String?
    @Option(help: "Threads for BLAS and oneDNN (default: all cores).") var threads: Int?
    @Flag(help: "Also print the confusion matrix with per-class precision, recall and F1.") var confusion = false

    func run() throws {
        try Backend.setThreads(threads ?? Backend.threads)
        let saved = try Checkpoint.load(path: checkpoint)
        let name = dataset ?? saved.options.dataset
        let test = try DatasetCatalog.load(name, split: .test, directory: data)
        let model = try ModelZoo.make(saved.options.model, classes: test.classNames.count)
        do {
            try model.loadStateDict(saved.modelState.dictionary)
        } catch let error as ConvNetError {
            throw ConvNetError(op: "eval", "\(checkpoint) does not fit \(saved.options.model) for \(name): \(error.message)")
        }
        let loader = try DataLoader(test, batchSize: 1000, shuffle: false, normalization: DatasetCatalog.normalization(name))
        let result = try evaluate(model, on: loader)
        print("model: \(saved.options.model), dataset: \(name) (\(test.count) test images), epochs trained: \(saved.completedEpochs)")
        print(String(format: "test loss: %.4f", result.loss))
        if confusion {
            let matrix = try ConfusionMatrix(predictions: result.predictions, labels: result.labels, classes: test.classNames.count)
            print(matrix.table(classNames: test.classNames))
        }
        print(String(format: "test accuracy: %.2f%%", result.accuracy))
    }
}
