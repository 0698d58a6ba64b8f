import ArgumentParser
import ConvNet
import ConvNetHarness
import Foundation

/// `convnet bench …`: operator timings as one JSON object on standard output.
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Time operators, models, batch assembly or image decoding; prints one JSON object.",
        subcommands: [Conv.self, Block.self, Gemm.self, Model.self, Loader.self, Decode.self, AllReduce.self])

    struct Conv: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Median forward and forward+backward (dX, dW, db) time of one convolution.",
            discussion: "Example: convnet bench conv 128 16 32 32 16 3 1 1; depthwise: convnet bench conv 32 96 56 56 96 3 1 1 --groups 96")

        @OptionGroup var shape: ConvolutionShape
        @Argument(help: "Stride.") var stride: Int
        @Argument(help: "Zero padding.") var pad: Int
        @Option(help: "Distance between kernel taps.") var dilation = 1
        @Option(help: "Channel groups (C and C_out must be divisible by it; C for depthwise).") var groups = 1
        @OptionGroup var compute: ComputeOptions

        func run() throws {
            try compute.apply()
            try printJSON(try OperatorBenchmarks.convolution(shape.geometry(stride: stride, padding: pad, dilation: dilation,
                                                                            groups: groups)))
        }
    }

    struct Block: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Median times of conv → 2×2 max pool → ReLU: the three operations against the fused kernels.",
            discussion: "Example (LeNet-5's first block): convnet bench block 64 1 28 28 6 5 2")

        @OptionGroup var shape: ConvolutionShape
        @Argument(help: "Zero padding.") var pad: Int
        @OptionGroup var compute: ComputeOptions

        func run() throws {
            try compute.apply()
            try printJSON(try OperatorBenchmarks.convPoolReLU(shape.geometry(stride: 1, padding: pad)))
        }
    }

    struct Gemm: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Median time of one SGEMM, C[M×N] = A[M×K]·B[K×N], on the platform BLAS.")

        @Argument(help: "Rows of A and C.") var m: Int
        @Argument(help: "Columns of B and C.") var n: Int
        @Argument(help: "Columns of A, rows of B.") var k: Int
        @OptionGroup var compute: ComputeOptions

        func run() throws {
            try compute.apply()
            try printJSON(try OperatorBenchmarks.gemm(m: m, n: n, k: k))
        }
    }
}

extension BenchCommand {
    struct Model: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Median time of one batch through a model: inference, or a training step with --train.",
            discussion: "Example: convnet bench model vgg16 --batch 8")

        @Argument(help: "Model: \(ModelZoo.names.joined(separator: ", ")).") var model: String?
        @Option(help: "Time this ONNX model instead (inference only; its own input size).") var onnx: String?
        @Option(help: "Batch size.") var batch = 1
        @Option(help: "Input shape C×H×W (default: the model's own).") var input: String?
        @Flag(help: "Time a training step (forward, loss, backward, SGD update) instead of inference.") var train = false
        @Flag(help: "Time inference on the module itself rather than the frozen model (folded batch norm, fused convolutions).") var eager = false
        @Flag(help: "Also print, on standard error, what freezing the model planned.") var verbose = false
        @Option(help: "The frozen model's activation layout: fastest (both timed on the first batch, the faster kept), channels-last or blocked.")
        var layout: FrozenLayout = .fastest
        @Option(help: "What the frozen model's convolutions multiply in: float32 or bfloat16.")
        var precision: InferencePrecision = .float32
        @OptionGroup var compute: ComputeOptions

        func run() throws {
            try compute.apply()
            let shape = try input.map(SummaryCommand.parseShape)
            let result: ModelBenchmarks.Result
            if let onnx {
                guard model == nil, !train, input == nil else {
                    throw ValidationError("--onnx times inference of the file at its own input size: give no model name, --train or --input")
                }
                result = try ModelBenchmarks.run(onnx: onnx, batch: batch, eager: eager, layout: layout, precision: precision)
            } else {
                guard let model else { throw ValidationError("give a model name (\(ModelZoo.names.joined(separator: ", "))) or --onnx FILE") }
                result = try ModelBenchmarks.run(model: model, batch: batch, inputShape: shape, training: train, eager: eager,
                                                layout: layout, precision: precision)
            }
            if verbose { result.notes.forEach { printToStandardError("frozen model: \($0)") } }
            try printJSON(result)
        }
    }
}

/// The positional arguments N C H W C_out K that `bench conv` and `bench block` share.
struct ConvolutionShape: ParsableArguments {
    @Argument(help: "Batch size N.") var n: Int
    @Argument(help: "Input channels C.") var c: Int
    @Argument(help: "Input height H.") var h: Int
    @Argument(help: "Input width W.") var w: Int
    @Argument(help: "Output channels.") var cout: Int
    @Argument(help: "Kernel size K (K×K).") var k: Int

    func geometry(stride: Int, padding: Int, dilation: Int = 1, groups: Int = 1) -> Conv2dGeometry {
        Conv2dGeometry(batch: n, inChannels: c, height: h, width: w, outChannels: cout,
                       kernel: Size2(k), stride: Size2(stride), padding: Size2(padding), dilation: Size2(dilation), groups: groups)
    }
}

/// Prints a value as one line of JSON.
func printJSON<T: Encodable>(_ value: T) throws {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]
    print(String(decoding: try encoder.encode(value), as: UTF8.self))
}
