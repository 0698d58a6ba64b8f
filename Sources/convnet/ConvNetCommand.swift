import ArgumentParser
import ConvNet
import ConvNetHarness
import ConvNetONNX
import Foundation

/// `convnet`: train, evaluate and benchmark convolutional networks.
@main
struct ConvNetCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "convnet",
        abstract: "Convolutional neural networks in Swift.",
        subcommands: [TrainCommand.self, EvalCommand.self, PredictCommand.self, StatsCommand.self, ExportImagesCommand.self,
                      SummaryCommand.self, ReportCommand.self, BenchCommand.self, ExportCommand.self, ONNXConformanceCommand.self])

    /// Installs the signal handling (before any thread is started), then parses and runs the
    /// command as ArgumentParser's own `main` does; a raw Foundation file-system error that
    /// escaped a command is printed as one line naming its path and the system's reason.
    static func main() {
        Interruption.install()
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch {
            exit(withError: SettingFlags.flagged(ConvNetError.readable(error, op: "convnet")))
        }
    }
}

extension ComputeBackend: ExpressibleByArgument {}
extension ShuffleConvention: ExpressibleByArgument {}
extension CIFAR.LabelLevel: ExpressibleByArgument {}
extension FrozenLayout: ExpressibleByArgument {}
extension InferencePrecision: ExpressibleByArgument {}
extension TrainingOptions.OptimizerName: ExpressibleByArgument {}
extension TrainingOptions.ScheduleName: ExpressibleByArgument {}
