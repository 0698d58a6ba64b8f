import ArgumentParser
import ConvNet
import Foundation

/// `convnet summary MODEL`: per-layer output shape, activation memory, parameters and MACs.
struct SummaryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "summary",
        abstract: "Per-layer output shape, activation memory, parameters and multiply-accumulates of a model.",
        discussion: "Models: \(ModelZoo.names.joined(separator: ", ")).")

    @Argument(help: "Model name.") var model: String
    @Option(help: "Input shape C×H×W (also CxHxW or C,H,W); default: the model's own.") var input: String?
    @Option(help: "Batch size for the memory totals.") var batch = 1
    @Option(help: "Output classes (default: the model's own).") var classes: Int?
    @Flag(help: "Print JSON instead of a table.") var json = false
    @OptionGroup var compute: ComputeOptions

    func run() throws {
        try compute.apply()
        let entry = try ModelZoo.entry(model)
        let shape = try input.map(Self.parseShape) ?? entry.inputShape
        let network = try ModelZoo.make(model, classes: classes)
        let summary = try ModelSummary.of(network, name: model, inputShape: shape, batch: batch)
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            print(String(decoding: try encoder.encode(summary), as: UTF8.self))
        } else {
            print(summary.table)
        }
    }

    static func parseShape(_ text: String) throws -> [Int] {
        let parts = text.split(whereSeparator: { "×x,X*".contains($0) }).map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard parts.count == 3, parts.allSatisfy({ ($0 ?? 0) > 0 }) else {
            throw ValidationError("--input \(text): expected three positive sizes C×H×W, e.g. 3×224×224")
        }
        return parts.map { $0! }
    }
}
