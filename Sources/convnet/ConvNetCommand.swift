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
                      SummaryCommand.self, ReportCommand.self, BenchCommand.self, ExportCommand.self, ONNXConformanceCommand.self])
}

extension ComputeBackend: ExpressibleByArgument {}
extension ShuffleConvention: ExpressibleByArgument {}
extension CIFAR.LabelLevel: ExpressibleByArgument {}
extension FrozenLayout: ExpressibleByArgument {}
extension InferencePrecision: ExpressibleByArgument {}
extension TrainingOptions.OptimizerName: ExpressibleByArgument {}
extension TrainingOptions.ScheduleName: ExpressibleByArgument {}
