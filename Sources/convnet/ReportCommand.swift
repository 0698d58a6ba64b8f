import ArgumentParser
import ConvNet
import Foundation

/// `convnet report`: one self-contained HTML page about a trained checkpoint.
struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Write OUT/report.html: training curves, confusion matrix, wrong predictions, filters, feature maps, Grad-CAM, model summary.")

    @Option(help: "A checkpoint.safetensors written by convnet train.") var checkpoint: String
    @Option(help: "Dataset (default: the one the checkpoint was trained on, with the same held-out images).") var dataset: String?
    @Option(help: "Folder with the dataset's files.") var data: String?
    @Option(name: .customLong("run"), help: "The run folder with metrics.csv (default: the checkpoint's folder).") var runFolder: String?
    @OptionGroup var compute: ComputeOptions
    @Option(help: "Threads that decode images (default: all cores).") var workers: Int?
    @Option(help: "Output folder.") var out: String

    func run() throws {
        try compute.apply()
        var request = TrainingReport.Request(checkpoint: checkpoint)
        (request.dataset, request.dataDirectory, request.runDirectory) = (dataset, data, runFolder)
        request.workers = workers ?? ProcessInfo.processInfo.activeProcessorCount
        guard request.workers >= 1 else { throw ConvNetError(op: "report", "--workers \(request.workers) must be at least 1") }
        let report = try TrainingReport(request)
        let path = try report.write(to: out)
        for note in report.notes { print(note) }
        print(String(format: "%@: %.2f%% accuracy on %d images (%@)", path, report.accuracy, report.samples,
                     ByteCountFormatter.string(fromByteCount: Int64(report.html.utf8.count), countStyle: .file)))
    }
}
