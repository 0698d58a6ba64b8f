import ConvNet
import ConvNetONNX
import ConvNetCore
import Foundation
import Testing

/// `Module.exportONNX`: the files decode with the generated onnx.proto types and hold the nodes,
/// attributes and initializers the model computes with; requests ONNX cannot honour fail with
/// one clear error and leave no file. The comparison with onnxruntime runs where it is installed.
@Suite("ONNX export")
struct ONNXExportTests {
    /// Exports `model` to a temporary file and decodes it.
    static func exported(_ model: Module, inputShape: [Int], batch: ONNXBatchSize = .dynamic) throws -> ONNXModelDescription {
        let path = Fixtures.temporaryFolder("onnx-export") + ".onnx"
        defer { try? FileManager.default.removeItem(atPath: path) }
        try model.exportONNX(to: path, inputShape: inputShape, batch: batch)
        return try ONNXModelDescription(path: path)
    }

    /// The error `body` throws (nil if none), and whether it left `path` unwritten.
    static func failure(_ body: (String) throws -> Void) -> (message: String?, leftFile: Bool) {
        let path = Fixtures.temporaryFolder("onnx-export") + ".onnx"
        defer { try? FileManager.default.removeItem(atPath: path) }
        do {
            try body(path)
            return (nil, FileManager.default.fileExists(atPath: path))
        } catch {
            return ("\(error)", FileManager.default.fileExists(atPath: path))
        }
    }

    @Test("lenet5: header, nodes in order, Conv/Gemm attributes, state_dict initializers, dynamic batch")
    func lenet5() throws {
        let model = try ModelZoo.make("lenet5")
        let onnx = try Self.exported(model, inputShape: [1, 28, 28])
        #expect(onnx.irVersion == 8)
        #expect(onnx.opsets == ["": 17])
        #expect(onnx.producer == "swift-convnet")
        #expect(onnx.nodes.map(\.opType) == ["Conv", "MaxPool", "Relu", "Conv", "MaxPool", "Relu", "Flatten",
                                             "Gemm", "Relu", "Gemm", "Relu", "Gemm"])
        #expect(onnx.inputs.map(\.name) == ["input"] && onnx.inputs.first?.dims == ["batch", "1", "28", "28"])
        #expect(onnx.outputs.map(\.name) == ["logits"] && onnx.outputs.first?.dims == ["batch", "10"])
        #expect(onnx.nodes.last?.outputs == ["logits"])
        let conv1 = try #require(onnx.nodes.first)
        #expect(conv1.inputs == ["input", "conv1.weight", "conv1.bias"])
        #expect(conv1.attributes["kernel_shape"] == [5, 5] && conv1.attributes["pads"] == [2, 2, 2, 2]
                && conv1.attributes["strides"] == [1, 1] && conv1.attributes["group"] == [1])
        #expect(onnx.nodes[1].attributes["kernel_shape"] == [2, 2] && onnx.nodes[1].attributes["strides"] == [2, 2])
        for gemm in onnx.nodes where gemm.opType == "Gemm" { #expect(gemm.attributes["transB"] == [1]) }
        // Every parameter, under its state_dict name, float32 (1) with 4 bytes a value.
        let state = model.stateDict()
        #expect(Set(onnx.initializers.map(\.name)) == Set(state.map(\.name)))
        for initializer in onnx.initializers {
            let tensor = try #require(state.first { $0.name == initializer.name }?.tensor)
            #expect(initializer.dims == tensor.shape && initializer.dataType == 1 && initializer.rawBytes == 4 * tensor.count)
        }
    }

    @Test("resnet20: 19 batch norms (ONNX momentum 1 − PyTorch's), 9 residual Adds, option-A shortcuts as Pads")
    func resnet20() throws {
        let onnx = try Self.exported(try ModelZoo.make("resnet20"), inputShape: [3, 32, 32])
        #expect(onnx.opCounts == ["Conv": 19, "BatchNormalization": 19, "Relu": 19, "Add": 9, "MaxPool": 2, "Pad": 2,
                                  "GlobalAveragePool": 1, "Flatten": 1, "Gemm": 1])
        let bn = try #require(onnx.nodes.first { $0.opType == "BatchNormalization" })
        #expect(bn.inputs.dropFirst().elementsEqual(["bn1.weight", "bn1.bias", "bn1.running_mean", "bn1.running_var"]))
        #expect(abs(bn.attributes["momentum"]![0] - 0.9) < 1e-6 && abs(bn.attributes["epsilon"]![0] - 1e-5) < 1e-9)
        // 16 → 32 channels: 8 zero channels before and after, pads as an int64 (7) initializer of 8 values.
        let pad = try #require(onnx.nodes.first { $0.opType == "Pad" })
        let pads = try #require(onnx.initializers.first { $0.name == pad.inputs[1] })
        #expect(pads.dataType == 7 && pads.dims == [8] && pads.rawBytes == 64)
        #expect(!onnx.initializers.contains { $0.name.hasPrefix("const_") })  // no constant fixes the batch
        #expect(onnx.outputs.first?.dims == ["batch", "10"])
    }

    @Test("a fixed batch size is written as a number")
    func fixedBatch() throws {
        let onnx = try Self.exported(try ModelZoo.make("lenet5"), inputShape: [1, 28, 28], batch: .fixed(4))
        #expect(onnx.inputs.first?.dims == ["4", "1", "28", "28"] && onnx.outputs.first?.dims == ["4", "10"])
    }

    /// The first block of LeNet-5 through the fused operation's portable kernel.
    final class FusedBlock: Module {
        let conv = Conv2d(1, 4, kernelSize: 3, padding: 1)
        func forward(_ x: Tensor) throws -> Tensor {
            try conv2dMaxPoolReLU(x, conv.weight, bias: conv.bias, padding: 1, path: .fusedPortable)
        }
    }

    @Test("the fused conv+maxpool+relu is written as its three ONNX nodes")
    func fusedConvPoolReLU() throws {
        let onnx = try Self.exported(FusedBlock(), inputShape: [1, 8, 8])
        #expect(onnx.nodes.map(\.opType) == ["Conv", "MaxPool", "Relu"])
        #expect(onnx.nodes[0].attributes["pads"] == [1, 1, 1, 1] && onnx.nodes[1].attributes["kernel_shape"] == [2, 2]
                && onnx.nodes[1].attributes["strides"] == [2, 2])
        #expect(onnx.nodes[2].outputs == ["logits"])
    }

    /// Layers and forward-code operations beyond the zoo's.
    final class Assorted: Module {
        let conv = Conv2d(3, 4, kernelSize: 3, stride: 2)
        let lrn = LocalResponseNorm(size: 3)
        let pool = AvgPool2d(kernelSize: 3, stride: 2, padding: 1, countIncludePad: false)
        let adaptive = AdaptiveAvgPool2d(outputSize: 2)
        let drop = Dropout(p: 0.5)
        let fc = Linear(32, 5)
        func forward(_ x: Tensor) throws -> Tensor {
            let h = try lrn(conv(x))                                                             // [N, 4, 8, 8]
            let joined = try concat([h.leakyRelu(negativeSlope: 0.2), h.sigmoid()], dim: 1)     // [N, 8, 8, 8]
            let pooled = try adaptive(pool(joined * joined.tanh()))                              // [N, 8, 4, 4] → [N, 8, 2, 2]
            return try (fc(drop(flatten(pooled))) * 0.5 - 1).logSoftmax(dim: 1)
        }
    }

    @Test("LRN, leaky ReLU, sigmoid, tanh, Concat, Mul, AveragePool, adaptive pooling, LogSoftmax; dropout left out")
    func assortedOperations() throws {
        let onnx = try Self.exported(Assorted(), inputShape: [3, 17, 17])
        #expect(onnx.nodes.map(\.opType) == ["Conv", "LRN", "LeakyRelu", "Sigmoid", "Concat", "Tanh", "Mul", "AveragePool",
                                             "AveragePool", "Flatten", "Gemm", "Mul", "Add", "LogSoftmax"])
        func attribute(_ op: String, _ name: String, at index: Int = 0) -> [Double]? {
            onnx.nodes.filter { $0.opType == op }.dropFirst(index).first?.attributes[name]
        }
        #expect(attribute("Conv", "strides") == [2, 2] && attribute("LRN", "size") == [3])
        #expect(abs((attribute("LRN", "alpha")?[0] ?? 0) - 1e-4) < 1e-9 && attribute("LRN", "beta") == [0.75])
        #expect(abs((attribute("LeakyRelu", "alpha")?[0] ?? 0) - 0.2) < 1e-6 && attribute("Concat", "axis") == [1])
        #expect(attribute("AveragePool", "count_include_pad") == [0] && attribute("AveragePool", "pads") == [1, 1, 1, 1])
        // The adaptive 4×4 → 2×2 pooling: 2×2 windows.
        #expect(attribute("AveragePool", "kernel_shape", at: 1) == [2, 2] && attribute("AveragePool", "strides", at: 1) == [2, 2])
        #expect(attribute("LogSoftmax", "axis") == [1])
        // x · 0.5 − 1: scalar initializers 0.5 and −1 (float32, shape []).
        let scalars = onnx.initializers.filter { $0.name.hasPrefix("scalar") }
        #expect(scalars.count == 2 && scalars.allSatisfy { $0.dims == [] && $0.rawBytes == 4 })
        #expect(onnx.outputs.first?.dims == ["batch", "5"])
    }

    /// A module whose forward pass is `body`.
    final class Forward: Module {
        let conv = Conv2d(1, 4, kernelSize: 3)
        let body: (Forward, Tensor) throws -> Tensor
        init(_ body: @escaping (Forward, Tensor) throws -> Tensor) { self.body = body }
        func forward(_ x: Tensor) throws -> Tensor { try body(self, x) }
    }

    @Test("requests ONNX cannot honour: one error naming the operation or argument, and no file")
    func refusals() throws {
        let plain = Forward { m, x in try m.conv(x) }
        let cases: [(String, (String) throws -> Void)] = [
            ("input shape must be [C, H, W]", { try plain.exportONNX(to: $0, inputShape: [1, 28]) }),
            ("batch size 0 must be positive", { try plain.exportONNX(to: $0, inputShape: [1, 8, 8], batch: .fixed(0)) }),
            ("operation 'sum_dim' has no ONNX counterpart",
             { try Forward { m, x in try m.conv(x).sum(dim: 3) }.exportONNX(to: $0, inputShape: [1, 8, 8]) }),
            ("operation 'adaptive_avgpool2d' to 4×4 from 6×6 has windows of unequal size",
             { try Forward { m, x in try adaptiveAvgPool2d(m.conv(x), outputSize: 4) }.exportONNX(to: $0, inputShape: [1, 8, 8]) }),
            ("operation 'local_response_norm' with the even size 4",
             { try Forward { m, x in try localResponseNorm(m.conv(x), size: 4) }.exportONNX(to: $0, inputShape: [1, 8, 8]) }),
            ("operation 'concat' reads a constant of shape [2, 1, 8, 8] made at the traced batch size",
             { try Forward { _, x in try concat([x, Tensor.ones(x.shape)], dim: 1) }.exportONNX(to: $0, inputShape: [1, 8, 8]) }),
            ("the module computes nothing from its input", { try Forward { _, x in x }.exportONNX(to: $0, inputShape: [1, 8, 8]) }),
        ]
        for (expected, body) in cases {
            let (message, leftFile) = Self.failure(body)
            #expect(message?.contains(expected) == true, "expected '\(expected)', got \(message ?? "no error")")
            #expect(!leftFile, "\(expected): a file was left behind")
        }
        // The same constant is fine at a fixed batch size; an unwritable path names itself.
        let constant = Forward { _, x in try concat([x, Tensor.ones(x.shape)], dim: 1) }
        let onnx = try Self.exported(constant, inputShape: [1, 8, 8], batch: .fixed(2))
        #expect(onnx.opCounts == ["Concat": 1] && onnx.initializers.map(\.dims) == [[2, 1, 8, 8]])
        let (message, _) = Self.failure { _ in try plain.exportONNX(to: "/nonexistent-folder/model.onnx", inputShape: [1, 8, 8]) }
        #expect(message?.contains("/nonexistent-folder/model.onnx") == true, "\(message ?? "no error")")
    }

    @Test("export leaves the module's training mode as it was")
    func modeRestored() throws {
        let model = try ModelZoo.make("resnet20")
        model.train()
        _ = try Self.exported(model, inputShape: [3, 32, 32])
        #expect(model.namedModules().allSatisfy { $0.module.isTraining })
    }

    @Test("convnet export: a zoo model at a fixed batch size, with its --reference-out; bad arguments are one error")
    func command() throws {
        try #require(FileManager.default.isExecutableFile(atPath: SignalTests.executable), "build convnet first")
        let folder = Fixtures.temporaryFolder("onnx-export")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let (status, output) = try CommandLineTests.convnet(["export", "--model", "lenet5-classic", "--out", "\(folder)/m.onnx",
                                                             "--batch", "3", "--reference-out", "\(folder)/ref.safetensors"])
        #expect(status == 0, "\(output)")
        let onnx = try ONNXModelDescription(path: "\(folder)/m.onnx")
        #expect(onnx.inputs.first?.dims == ["3", "1", "32", "32"] && onnx.opCounts["AveragePool"] == 2 && onnx.opCounts["Tanh"] == 4)
        let reference = try SafeTensors.read(path: "\(folder)/ref.safetensors").dictionary
        #expect(reference["input"]?.shape == [3, 1, 32, 32] && reference["logits"]?.shape == [3, 10])
        for (arguments, expected) in [
            (["--model", "lenet5", "--batch", "none"], "--batch none: expected dynamic or a positive batch size"),
            (["--model", "nope"], "lenet5"),
            (["--model", "resnet20", "--weights", "\(folder)/ref.safetensors"], "weights"),
        ] {
            let (status, text) = try CommandLineTests.convnet(["export", "--out", "\(folder)/bad.onnx"] + arguments)
            #expect(status != 0 && text.hasPrefix("Error:") && text.contains(expected) && !text.contains("Usage:"), "\(text)")
            #expect(!FileManager.default.fileExists(atPath: "\(folder)/bad.onnx"))
        }
    }

    /// Runs `executable arguments…` in the package root; its exit status and output.
    static func run(_ executable: String, _ arguments: [String]) throws -> (status: Int32, output: String) {
        try ChildProcess.run(executable, arguments,
                             in: Fixtures.directory.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent())
    }

    @Test("onnx.checker and onnxruntime agree with our logits (lenet5, resnet20, mobilenet_v3_large, efficientnet_b0, shufflenet_v2_x0_5, the assorted, fused, grouped and modern-operator modules), where onnxruntime is installed")
    func onnxRuntimeAgrees() throws {
        let probe = try Self.run("python3", ["-c", "import onnx, onnxruntime, safetensors, numpy"])
        guard probe.status == 0 else {
            print("ONNX export: onnxruntime comparison skipped: python3 cannot import onnx, onnxruntime, safetensors, numpy "
                  + "(\(probe.output.split(separator: "\n").last ?? ""))")
            return
        }
        try #require(FileManager.default.isExecutableFile(atPath: SignalTests.executable), "build convnet first")
        // Beside two zoo models, the layers no zoo model has, written here with their input and our logits.
        let folder = Fixtures.temporaryFolder("onnx-export")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        var files: [String] = []
        for (name, model, shape) in [("assorted", Assorted() as Module, [3, 17, 17]), ("fused", FusedBlock(), [1, 8, 8]),
                                     ("grouped", try ONNXGroupedConvolutionTests.mobile(), [3, 12, 12]),
                                     ("modern", try ONNXModernOperatorTests.model(exactGELU: true), [3, 6, 6]),
                                     ("mobilenet_v3_large", try GlobalGenerator.seeded(0) { try ModelZoo.make("mobilenet_v3_large", classes: 10) }, [3, 64, 64]),
                                     ("efficientnet_b0", try GlobalGenerator.seeded(0) { try ModelZoo.make("efficientnet_b0", classes: 10) }, [3, 64, 64]),
                                     ("shufflenet_v2_x0_5", try GlobalGenerator.seeded(0) { try ModelZoo.make("shufflenet_v2_x0_5", classes: 10) }, [3, 64, 64])] {
            model.eval()
            try model.exportONNX(to: "\(folder)/\(name).onnx", inputShape: shape)
            var generator = RandomGenerator(seed: 3)
            let x = Tensor.randn([3] + shape, generator: &generator)
            let logits = try withNoGrad { try model(x) }
            try SafeTensors.write(SafeTensors.Contents(tensors: [("input", x), ("logits", logits)]), to: "\(folder)/\(name).safetensors")
            files += ["--file", "\(folder)/\(name).onnx", "\(folder)/\(name).safetensors"]
        }
        let check = try Self.run("python3", ["Tools/check_onnx_export.py", "--convnet", SignalTests.executable,
                                             "--models", "lenet5,resnet20"] + files)
        #expect(check.status == 0, "\(check.output)")
        for model in ["lenet5", "resnet20", "assorted.onnx", "fused.onnx", "grouped.onnx", "modern.onnx", "mobilenet_v3_large.onnx", "efficientnet_b0.onnx", "shufflenet_v2_x0_5.onnx"] {
            #expect(check.output.split(separator: "\n").contains { $0.hasPrefix("| \(model) |") && $0.hasSuffix("| ok |") },
                    "\(check.output)")
        }
    }
}
