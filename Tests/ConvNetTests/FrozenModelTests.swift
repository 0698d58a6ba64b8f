import ConvNet
import Foundation
import Testing

/// Every model of the zoo with batch-norm statistics and affine parameters drawn at random (the
/// defaults, mean 0 and variance 1, would make folding trivial), and a small input it accepts.
private let zooCases: [(name: String, input: [Int])] = [
    ("lenet5", [2, 1, 28, 28]), ("lenet5-classic", [2, 1, 32, 32]), ("alexnet", [1, 3, 64, 64]),
    ("alexnet-2012", [1, 3, 227, 227]), ("vgg11", [1, 3, 32, 32]), ("vgg11-bn", [2, 3, 32, 32]),
    ("vgg16-bn", [1, 3, 32, 32]), ("resnet18", [2, 3, 64, 64]), ("resnet50", [1, 3, 64, 64]),
    ("resnet20", [2, 3, 32, 32]), ("googlenet", [1, 3, 64, 64]),
]

@Suite("frozen models: folded batch norm and fused convolutions give the eager logits")
struct FrozenModelTests {
    @Test("every zoo model frozen equals itself in evaluation mode to 1e-5 relative", arguments: zooCases.map(\.name))
    func zoo(name: String) throws {
        let input = zooCases.first { $0.name == name }!.input
        let model = try GlobalGenerator.seeded(0) { try ModelZoo.make(name) }
        randomizeBatchNorms(model, seed: 3)
        model.eval()
        var gen = RandomGenerator(seed: 4)
        let x = Tensor.randn(input, generator: &gen)
        let eager = try withNoGrad { try model(x) }
        let frozen = try model.frozen()
        let first = try frozen(x), second = try frozen(x), third = try frozen(x.copy())
        for y in [first, second, third] {
            #expect(y.shape == eager.shape)
            #expect(relativeDifference(y, eager) <= 1e-5, "\(name): \(relativeDifference(y, eager))")
        }
        // Every model with convolutions runs through its plan rather than eagerly.
        #expect(frozen.notes.first?.contains("convolutions fused") == true, "\(frozen.notes)")
        // The third pass ran in the memory planned from the second.
        #expect(frozen.activationMemory(for: input) != nil && frozen.notes.last?.contains("activations planned into") == true,
                "\(frozen.notes)")
    }

    @Test("resnet18's plan folds all 20 batch norms, 8 residual sums and 17 ReLUs into its 20 convolutions")
    func resnet18Plan() throws {
        let model = try GlobalGenerator.seeded(0) { try ModelZoo.make("resnet18") }
        model.eval()
        let frozen = try model.frozen()
        _ = try frozen(Tensor.zeros([1, 3, 32, 32]))
        #expect(frozen.notes.first?.contains("20 convolutions fused (20 batch norms folded, 8 residual sums, 17 ReLUs)") == true,
                "\(frozen.notes)")
    }

    /// A convolution whose raw output is read twice: batch norm must not be folded into it.
    final class SharedOutput: Module {
        let conv = Conv2d(3, 4, kernelSize: 3, padding: 1)
        let bn = BatchNorm2d(4)
        func forward(_ x: Tensor) throws -> Tensor {
            let y = try conv(x)
            return try bn(y).relu() + y
        }
    }

    @Test("a convolution output that something else also reads is not folded away")
    func sharedOutput() throws {
        let model = GlobalGenerator.seeded(5) { SharedOutput() }
        randomizeBatchNorms(model, seed: 6)
        model.eval()
        var gen = RandomGenerator(seed: 7)
        let x = Tensor.randn([2, 3, 8, 8], generator: &gen)
        let eager = try withNoGrad { try model(x) }
        let frozen = try model.frozen()
        #expect(relativeDifference(try frozen(x), eager) <= 1e-5)
        #expect(relativeDifference(try frozen(x), eager) <= 1e-5)
        #expect(frozen.notes.first?.contains("1 convolutions fused (0 batch norms folded") == true, "\(frozen.notes)")
    }

    /// Two layers of the same geometry, chosen by the data: a frozen pass must notice the other one.
    final class Branching: Module {
        let a = Conv2d(3, 4, kernelSize: 3, padding: 1), b = Conv2d(3, 4, kernelSize: 3, padding: 1)
        let bnA = BatchNorm2d(4), bnB = BatchNorm2d(4)
        func forward(_ x: Tensor) throws -> Tensor {
            try x.sum().item() > 0 ? bnA(a(x)).relu() : bnB(b(x)).relu()
        }
    }

    @Test("a forward pass that branches on its input's values is found when the shape is planned and runs eagerly, saying where the traces differ")
    func branching() throws {
        let model = GlobalGenerator.seeded(11) { Branching() }
        randomizeBatchNorms(model, seed: 12)
        model.eval()
        let frozen = try model.frozen()
        let positive = Tensor.full([1, 3, 6, 6], 0.5), negative = Tensor.full([1, 3, 6, 6], -0.5)
        for x in [positive, negative, positive] {
            let eager = try withNoGrad { try model(x) }
            #expect(relativeDifference(try frozen(x), eager) <= 1e-5)
        }
        #expect(frozen.notes.count == 1 && frozen.notes[0].contains("runs eagerly (the forward pass depends on its input's values"),
                "\(frozen.notes)")
    }

    /// A constant made from the input's values (not by a recorded operation) is data-dependent too.
    final class DataConstant: Module {
        let conv = Conv2d(3, 4, kernelSize: 3, padding: 1)
        func forward(_ x: Tensor) throws -> Tensor {
            let scale = Tensor(try x.max())  // read from the data, outside any recorded operation
            return try conv(x).relu() * scale
        }
    }

    @Test("a constant computed from the input's values makes the shape run eagerly, saying which")
    func dataConstant() throws {
        let model = GlobalGenerator.seeded(3) { DataConstant() }
        model.eval()
        let frozen = try model.frozen()
        var generator = RandomGenerator(seed: 4)
        for _ in 0..<2 {
            let x = Tensor.randn([2, 3, 5, 5], generator: &generator)
            #expect(relativeDifference(try frozen(x), try withNoGrad { try model(x) }) <= 1e-5)
        }
        let note = frozen.notes.first ?? ""
        #expect(frozen.notes.count == 1 && note.contains("runs eagerly (the forward pass depends on its input's values: constant")
                && note.contains("[] is computed from the input's values"), "\(frozen.notes)")
    }

    @Test("each input shape gets its own plan; both give the eager results")
    func shapes() throws {
        let model = try GlobalGenerator.seeded(0) { try ModelZoo.make("resnet20") }
        randomizeBatchNorms(model, seed: 8)
        model.eval()
        let frozen = try model.frozen()
        var gen = RandomGenerator(seed: 9)
        for shape in [[2, 3, 32, 32], [3, 3, 40, 40], [2, 3, 32, 32]] {
            let x = Tensor.randn(shape, generator: &gen)
            let eager = try withNoGrad { try model(x) }
            #expect(relativeDifference(try frozen(x), eager) <= 1e-5, "\(shape)")
        }
        #expect(frozen.notes.filter { $0.contains("convolutions fused") }.count == 2, "\(frozen.notes)")
        #expect(frozen.activationMemory(for: [2, 3, 32, 32]) != nil && frozen.activationMemory(for: [3, 3, 40, 40]) == nil)
    }

    /// ResNet-20 in evaluation mode with random batch-norm statistics, a batch of 2 and its eager logits.
    static func resnet20Case(batchNormSeed: UInt64, inputSeed: UInt64) throws -> (Module, Tensor, Tensor) {
        let model = try GlobalGenerator.seeded(0) { try ModelZoo.make("resnet20") }
        randomizeBatchNorms(model, seed: batchNormSeed)
        model.eval()
        var gen = RandomGenerator(seed: inputSeed)
        let x = Tensor.randn([2, 3, 32, 32], generator: &gen)
        return (model, x, try withNoGrad { try model(x) })
    }

    @Test("both activation layouts give the eager logits; fastest times both and says which it kept")
    func layouts() throws {
        let (model, x, eager) = try Self.resnet20Case(batchNormSeed: 13, inputSeed: 14)
        for layout in FrozenLayout.allCases {
            let frozen = try model.frozen(layout: layout)
            for _ in 0..<3 { #expect(relativeDifference(try frozen(x), eager) <= 1e-5, "\(layout)") }
            let note = frozen.notes.first ?? ""
            switch layout {
            case .fastest:
                #expect(note.contains("the faster on this shape") && note.contains("ms a pass against"), "\(note)")
            case .channelsLast, .blocked:
                #expect(note.hasSuffix("; \(layout.rawValue) layout"), "\(note)")
            }
        }
    }

    @Test("bfloat16 convolutions give the eager logits to bfloat16's rounding, or run eagerly saying why")
    func bfloat16() throws {
        let (model, x, eager) = try Self.resnet20Case(batchNormSeed: 15, inputSeed: 16)
        let frozen = try model.frozen(layout: .channelsLast, precision: .bfloat16)
        let outputs = try (0..<3).map { _ in try frozen(x) }
        let note = frozen.notes.first ?? ""
        if note.contains("convolutions fused") {
            // 8 significant bits in the products, 19 layers deep: within a few percent of the scale,
            // and not float32's answer (which would mean the precision was ignored).
            for y in outputs { #expect(relativeDifference(y, eager) <= 5e-2, "\(relativeDifference(y, eager))") }
            #expect(relativeDifference(outputs[1], eager) > 1e-6)
        } else {
            #expect(note.contains("bfloat16"), "\(note)")
            for y in outputs { #expect(y.scalars == eager.scalars) }
        }
    }

    @Test("freezing a model in training mode is an error naming the module")
    func trainingMode() throws {
        let model = try ModelZoo.make("resnet20")
        #expect(throws: ConvNetError.self) { try model.frozen() }
        model.eval()
        model.namedModules().first { $0.name == "layer1.0.bn1" }?.module.train()
        do {
            _ = try model.frozen()
            Issue.record("a sub-module in training mode was frozen")
        } catch let error as ConvNetError {
            #expect(error.message.contains("layer1.0.bn1"), "\(error.message)")
        }
    }

    @Test("NaN in the input propagates as in the eager model (ReLU keeps it)")
    func nonFinite() throws {
        let model = try GlobalGenerator.seeded(0) { try ModelZoo.make("resnet20") }
        model.eval()
        let frozen = try model.frozen()
        var values = [Float](repeating: 0.5, count: 2 * 3 * 32 * 32)
        values[100] = .nan
        let x = try Tensor(shape: [2, 3, 32, 32], scalars: values)
        let eager = try withNoGrad { try model(x) }.scalars, y = try frozen(x).scalars
        #expect(zip(eager, y).allSatisfy { $0.isNaN == $1.isNaN })
        #expect(y.contains { $0.isNaN })
    }

    @Test("on the reference backend the frozen model runs eagerly, with the same results, and says so")
    func referenceBackend() throws {
        try Backend.with(.reference) {
            let model = try GlobalGenerator.seeded(0) { try ModelZoo.make("lenet5") }
            model.eval()
            let frozen = try model.frozen()
            var gen = RandomGenerator(seed: 10)
            let x = Tensor.randn([2, 1, 28, 28], generator: &gen)
            #expect(try frozen(x).scalars == withNoGrad { try model(x) }.scalars)
            #expect(frozen.notes.first?.contains("runs eagerly") == true, "\(frozen.notes)")
        }
    }

    @Test("bench model --onnx times an imported file on the same frozen plan; a model name beside it is refused")
    func benchONNX() throws {
        let file = Fixtures.directory.appendingPathComponent("onnx/resnet20.onnx").path
        let run = try CommandLineTests.convnet(["bench", "model", "--onnx", file, "--batch", "2", "--threads", "1", "--verbose"])
        #expect(run.status == 0 && run.output.contains("ms_per_batch"), "\(run.output)")
        #expect(run.output.contains("frozen model: input [2, 3, 32, 32]: 19 convolutions fused"), "\(run.output)")
        let both = try CommandLineTests.convnet(["bench", "model", "resnet20", "--onnx", file])
        #expect(both.status != 0 && both.output.contains("--onnx"), "\(both.output)")
    }

    @Test("bench model times the frozen model and --verbose says what was planned; --eager times the module")
    func benchVerbose() throws {
        let frozen = try CommandLineTests.convnet(["bench", "model", "resnet20", "--batch", "2", "--threads", "1", "--verbose"])
        #expect(frozen.status == 0, "\(frozen.output)")
        #expect(frozen.output.contains("frozen model: input [2, 3, 32, 32]: 19 convolutions fused (19 batch norms folded, 7 residual sums, 17 ReLUs)"),
                "\(frozen.output)")
        let eager = try CommandLineTests.convnet(["bench", "model", "resnet20", "--batch", "2", "--threads", "1", "--eager", "--verbose"])
        #expect(eager.status == 0 && eager.output.contains("ms_per_batch") && !eager.output.contains("frozen model:"), "\(eager.output)")
    }
}
