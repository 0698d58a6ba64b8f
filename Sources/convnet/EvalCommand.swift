import ArgumentParser
import ConvNet
import ConvNetONNX
import Foundation

/// `convnet eval`: loss and accuracy of a training checkpoint on the images it was evaluated on.
struct EvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Print the loss and accuracy of a checkpoint on its test split (or the images held out when it was trained), or of an ONNX model on a dataset's.",
        discussion: """
            With --onnx FILE --dataset D: the dataset's images are converted to the graph input's channels, resized to its size when they differ, \
            and normalised with --mean/--std when given, else with the statistics the file records (convnet export writes a checkpoint's), \
            else with the dataset's usual ones. A graph of fixed batch size is fed batches of that size (the last one padded).
            """)

    @OptionGroup var source: CheckpointDataOptions
    @Option(help: "An ONNX image classifier to evaluate instead of a checkpoint (needs --dataset).") var onnx: String?
    @OptionGroup var normalizationOptions: NormalizationOptions
    @OptionGroup var compute: ComputeOptions
    @Flag(help: "Also print the confusion matrix (beyond \(ClassificationMetrics.detailedClassLimit) classes, its \(ClassificationMetrics.topConfusionCount) most frequent confusions instead) and per-class precision, recall, F1, ROC AUC and average precision.") var confusion = false
    @Option(help: "Also report the mean focal loss with this γ ≥ 0 (γ = 0 is cross-entropy).") var focalGamma: String?
    @Flag(help: "Print one JSON object with every figure instead of the tables (beyond \(ClassificationMetrics.detailedClassLimit) classes the confusion matrix as its non-zero cells and top confusions).") var json = false
    @Flag(help: "With --json: write the whole confusion matrix (classes² numbers, streamed row by row) whatever the number of classes.") var fullMatrix = false
    @Flag(help: "Also print, on standard error, what freezing the model planned (fused convolutions, or why a shape runs eagerly).") var verbose = false
    @Flag(help: "Load weights holding NaN or infinity (refused by default); outputs that are not finite are still an error.") var allowNonfinite = false
    @Option(help: "What the frozen model's convolutions multiply in: float32, or bfloat16 (about twice as fast on CPUs with AVX-512 BF16, ~1 % of the logits' scale off).")
    var precision: InferencePrecision = .float32

    func validate() throws {
        guard (onnx == nil) != (source.checkpoint == nil) else { throw ValidationError("give --checkpoint FILE, or --onnx FILE with --dataset") }
        if onnx != nil && source.dataset == nil { throw ValidationError("--onnx needs --dataset (the images to evaluate it on)") }
        if onnx == nil && normalizationOptions.mean != nil {
            throw ValidationError("--mean/--std are for --onnx: a checkpoint knows its own normalisation")
        }
        if fullMatrix && !json { throw ValidationError("--full-matrix goes with --json") }
    }

    /// What is judged: the model, the images, and the lines that describe it.
    private struct Subject {
        var model: Module, prepared: PreparedData, normalization: Normalization, classNames: [String], batchSize = 1000
        /// (model, dataset, epochs trained) for the header and the JSON.
        var modelName: String, datasetName: String, epochsTrained: Int?
    }

    private func subject() throws -> Subject {
        if let onnx, let dataset = source.dataset {
            let setup = try ONNXEvaluation(path: onnx, dataset: dataset, dataDirectory: source.data, workers: source.workerCount,
                                           normalization: try normalizationOptions.normalization(channels: nil, op: "eval"))
            return Subject(model: setup.model, prepared: setup.prepared, normalization: setup.normalization,
                           classNames: setup.prepared.evaluation.classNames, batchSize: setup.batchSize,
                           modelName: onnx, datasetName: dataset, epochsTrained: nil)
        }
        let setup = try CheckpointEvaluation(path: try source.requiredCheckpoint(), dataset: source.dataset, dataDirectory: source.data,
                                             workers: source.workerCount, allowNonFinite: allowNonfinite, op: "eval")
        return Subject(model: setup.model, prepared: setup.prepared, normalization: setup.normalization, classNames: setup.classNames,
                       modelName: setup.options.model, datasetName: setup.options.dataset, epochsTrained: setup.saved.completedEpochs)
    }

    func run() throws {
        let gamma = try focalGamma.map(Self.parseGamma)
        try compute.apply()
        let subject = try subject()
        let (prepared, classNames, model) = (subject.prepared, subject.classNames, subject.model)
        let test = prepared.evaluation
        let batch = try evaluationBatchSize(model, name: subject.modelName, inputShape: [test.channels, test.height, test.width],
                                            classes: classNames.count, preferred: subject.batchSize, op: "eval")
        let loader = try DataLoader(test, batchSize: batch, shuffle: false, normalization: subject.normalization)
        let result = try evaluate(model, on: loader, collectMetrics: true, focalGamma: gamma, frozen: true,
                                  precision: precision)
        if verbose { result.frozenNotes.forEach { printToStandardError("frozen model: \($0)") } }
        let split = prepared.evaluationName
        if let report = result.nonFiniteReport { throw ConvNetError(op: "eval", "\(subject.modelName) on \(split): \(report)") }
        guard let metrics = result.metrics else { throw ConvNetError(op: "eval", "\(subject.modelName) on \(split): no images to evaluate") }
        if json {
            prepared.notes.forEach { printToStandardError(SettingFlags.flagged($0)) }
            var object = metrics.jsonObject(classNames: classNames)
            object["loss"] = result.loss
            if let gamma, let focal = result.focalLoss { (object["focal_loss"], object["focal_gamma"]) = (focal, Double(gamma)) }
            object["model"] = subject.modelName
            object["dataset"] = subject.datasetName
            object["split"] = split
            if let epochs = subject.epochsTrained { object["epochs_trained"] = epochs }
            try ClassificationMetrics.writeJSON(object, confusion: metrics.confusion, fullMatrix: fullMatrix) { print($0, terminator: "") }
            print()
            return
        }
        print("model: \(subject.modelName), dataset: \(subject.datasetName) (\(test.count) \(split) images)"
              + (subject.epochsTrained.map { ", epochs trained: \($0)" } ?? ""))
        for note in prepared.notes { print(SettingFlags.flagged(note)) }
        print(String(format: "\(split) loss: %.4f (cross-entropy)", result.loss))
        if let gamma, let focal = result.focalLoss { print(String(format: "\(split) focal loss: %.4f (γ = %g)", focal, gamma)) }
        if confusion {
            print(classNames.count <= ClassificationMetrics.detailedClassLimit ? metrics.confusion.table(classNames: classNames)
                  : metrics.confusion.summary(classNames: classNames) + "\n  (eval --json --full-matrix writes every cell)")
            print(metrics.table(classNames: classNames))
        }
        metrics.notes.forEach { print("note: \(SettingFlags.flagged($0))") }
        print(String(format: "\(split) accuracy: %.2f%%", result.accuracy))
        print(String(format: "top-\(metrics.topK) accuracy: %.2f%%", 100 * metrics.topKAccuracy))
        func pair(_ a: ClassAverage) -> String {
            [a.macro, a.weighted].map { $0.map { String(format: "%.4f", $0) } ?? "undefined" }.joined(separator: ", weighted ")
        }
        print("ROC AUC (one-vs-rest): macro \(pair(metrics.rocAUC))")
        print("average precision: macro \(pair(metrics.averagePrecision))")
        print(String(format: "expected calibration error: %.4f (%d equal-width bins of the top probability)",
                     metrics.calibration.expectedCalibrationError, metrics.calibration.bins.count))
    }

    /// `--focal-gamma`: a finite number ≥ 0.
    static func parseGamma(_ text: String) throws -> Float {
        guard let gamma = Float(text.trimmingCharacters(in: .whitespaces)), gamma.isFinite, gamma >= 0 else {
            throw ConvNetError(op: "eval", "--focal-gamma \(text): expected a number ≥ 0, e.g. 2")
        }
        return gamma
    }
}
