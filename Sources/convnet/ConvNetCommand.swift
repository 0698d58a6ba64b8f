import ArgumentParser
import ConvNet
import Foundation

/// `convnet`: train, evaluate and benchmark convolutional networks.
@main
struct ConvNetCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "convnet",
        abstract: "Convolutional neural networks in Swift.",
        subcommands: [TrainCommand.self, EvalCommand.self, PredictCommand.self, StatsCommand.self, ExportImagesCommand.self,
                      SummaryCommand.self, ReportCommand.self, BenchCommand.self])
}

/// Options every command that computes shares.
struct ComputeOptions: ParsableArguments {
    @Option(help: "Threads for BLAS and oneDNN (default: all cores).")
    var threads: Int?

    @Option(help: "Compute backend: onednn (fast, default) or reference (im2col + BLAS).")
    var backend: ComputeBackend = .oneDNN

    func apply() throws {
        if let threads { try Backend.setThreads(threads) } else { try Backend.setThreads(Backend.threads) }
        Backend.current = backend
    }
}

extension ComputeBackend: ExpressibleByArgument {}
extension ShuffleConvention: ExpressibleByArgument {}
extension CIFAR.LabelLevel: ExpressibleByArgument {}
