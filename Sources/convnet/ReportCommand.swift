import ArgumentParser
import ConvNet
import Foundation

/// `convnet report`: one self-contained HTML page about a trained checkpoint.
struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Write OUT/report.html: training curves, confusion matrix, wrong predictions, filters, feature maps, Grad-CAM, model summary.")

    @OptionGroup var source: CheckpointDataOptions
    @Option(name: .customLong("run"), help: "The run folder with metrics.csv (default: the checkpoint's folder).") var runFolder: String?
    @OptionGroup var compute: ComputeOptions
    @Option(help: "Output folder.") var out: String

    func run() throws {
        try compute.apply()
        var request = TrainingReport.Request(checkpoint: try source.requiredCheckpoint())
        (request.dataset, request.dataDirectory, request.runDirectory) = (source.dataset, source.data, runFolder)
        request.workers = source.workerCount
        // Before the evaluation: an output that cannot be written fails now.
        try TrainingReport.checkOutput(out, for: request)
        let report = try TrainingReport(request)
        let path = try report.write(to: out)
        for note in report.notes { print(SettingFlags.flagged(note)) }
        print(String(format: "%@: %.2f%% accuracy on %d images (%@)", path, report.accuracy, report.samples,
                     ByteCountFormatter.string(fromByteCount: Int64(report.html.utf8.count), countStyle: .file)))
    }
}
