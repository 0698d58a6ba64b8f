import ArgumentParser
import ConvNet
import ConvNetHarness
import ConvNetONNX
import Foundation

/// `convnet onnx-conformance DIR`: ONNX's backend node tests run on the importer (`make onnx-conformance`).
struct ONNXConformanceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "onnx-conformance",
        abstract: "Run ONNX's backend node tests (onnx/backend/test/data/node) on the ONNX importer.",
        discussion: "Prints pass / fail / unsupported / error per supported operator; exits non-zero if a test gives a wrong answer or a supported operator's test ends in an error other than a clear \"not supported\".",
        shouldDisplay: false)

    @Argument(help: "The folder of test_* node-test folders.") var folder: String
    @Option(help: "Only the tests of these op types (comma-separated, e.g. Conv,MaxPool).") var ops: String?
    @Option(help: "Also write the results as Markdown to this file.") var markdown: String?
    @Flag(help: "Print every test's outcome as it runs (to standard error).") var verbose = false

    func run() throws {
        let plan = OutputPlan(op: "onnx-conformance")
        plan.reads(folder, as: "FOLDER")
        let markdownFile = markdown.map { plan.writes(file: $0, as: "--markdown") }
        try plan.check()
        let only = ops.map { Set($0.split(separator: ",").map { String($0.trimmingCharacters(in: .whitespaces)) }) }
        let report = try ONNXConformance.run(folder: folder, operators: only) { result in
            if verbose {
                printToStandardError("\(result.outcome.rawValue.padding(toLength: 11, withPad: " ", startingAt: 0)) \(result.name) (\(result.opType))"
                                     + (result.detail.isEmpty ? "" : ": \(result.detail)"))
            }
        }
        print(report.table())
        if let markdownFile {
            try plan.stage(Data(report.markdown().utf8), for: markdownFile)
            try plan.commit()
        }
        if !report.meetsBar { throw ExitCode(1) }
    }
}
