import ArgumentParser
import ConvNet
import ConvNetONNX
import Foundation

/// `convnet summary MODEL`: per-layer output shape, activation memory, parameters and MACs.
struct SummaryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "summary",
        abstract: "Per-layer output shape, activation memory, parameters and multiply-accumulates of a model.",
        discussion: "Models: \(ModelZoo.names.joined(separator: ", ")).")

    @Argument(help: "Model name.") var model: String?
    @Option(help: "An ONNX model to summarise instead: its operators, their output shapes and its parameter count.") var onnx: String?
    @Option(help: "Input shape C×H×W (also CxHxW or C,H,W); default: the model's own.") var input: String?
    @Option(help: "Batch size for the memory totals.") var batch = 1
    @Option(help: "Output classes (default: the model's own).") var classes: Int?
    @Flag(help: "Print JSON instead of a table.") var json = false
    @Flag(help: "Print the traced graph instead: every operation with its operands, attributes and output shape.") var graph = false
    @OptionGroup var compute: ComputeOptions

    func run() throws {
        try compute.apply()
        if graph && json { throw ValidationError("--graph prints text; give --graph or --json") }
        if let onnx {
            guard model == nil else { throw ValidationError("give a model name or --onnx, not both") }
            if graph {
                let imported = try ONNXModel(contentsOf: onnx)
                guard let declared = imported.inputs.first?.dims.dropFirst() else {
                    throw ValidationError("\(onnx): the graph has no input to trace")
                }
                let fixed = declared.contains(nil) ? nil : declared.map { $0! }
                guard let shape = try input.map(Self.parseShape) ?? fixed else {
                    throw ValidationError("\(onnx): its input has symbolic sizes besides the batch; give --input C×H×W")
                }
                return print(try imported.module().graph(inputShape: shape, batch: imported.fixedBatch ?? batch))
            }
            return try summarizeONNX(onnx)
        }
        guard let model else { throw ValidationError("give a model name (\(ModelZoo.names.joined(separator: ", "))) or --onnx FILE") }
        let entry = try ModelZoo.entry(model)
        let shape = try input.map(Self.parseShape) ?? entry.inputShape
        let network = try ModelZoo.make(model, classes: classes)
        if graph { return print(try network.graph(inputShape: shape, batch: batch)) }
        let summary = try ModelSummary.of(network, name: model, inputShape: shape, batch: batch)
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            print(String(decoding: try encoder.encode(summary), as: UTF8.self))
        } else {
            print(summary.table)
        }
    }

    /// Each running node's op type and output shape at `--batch`, then the totals.
    private func summarizeONNX(_ path: String) throws {
        let model = try ONNXModel(contentsOf: path)
        let rows = try model.shapes(batch: batch)
        let parameters = try model.module().parameterCount
        if json {
            let nodes = rows.map { ["name": $0.node, "op": $0.opType, "output": $0.output, "shape": $0.shape] as [String: Any] }
            let document: [String: Any] = ["file": path, "opset": model.opset, "producer": model.producer,
                                           "parameters": parameters, "nodes": nodes]
            print(String(decoding: try JSONSerialization.data(withJSONObject: document, options: [.sortedKeys]), as: UTF8.self))
            return
        }
        print("\(path): opset \(model.opset)\(model.producer.isEmpty ? "" : ", from \(model.producer)"), batch \(batch)")
        let width = min(48, rows.map(\.node.count).max() ?? 4)
        for row in rows {
            let name = row.node.count > width ? "…" + row.node.suffix(width - 1) : row.node
            print("  \(name.padding(toLength: width, withPad: " ", startingAt: 0))  \(row.opType.padding(toLength: 18, withPad: " ", startingAt: 0))  \(row.shape)")
        }
        let counts = Dictionary(grouping: rows, by: \.opType).map { "\($0.key) \($0.value.count)" }.sorted()
        print("\(rows.count) operations (\(counts.joined(separator: ", "))); \(parameters) parameters")
    }

    static func parseShape(_ text: String) throws -> [Int] {
        let parts = text.split(whereSeparator: { "×x,X*".contains($0) }).map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard parts.count == 3, parts.allSatisfy({ ($0 ?? 0) > 0 }) else {
            throw ValidationError("--input \(text): expected three positive sizes C×H×W, e.g. 3×224×224")
        }
        return parts.map { $0! }
    }
}
