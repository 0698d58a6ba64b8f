import ConvNet
import Testing

@Suite("modules, initialisation, schedules")
struct ModuleTests {
    final class Block: Module {
        let features = Sequential(Conv2d(3, 4, kernelSize: 3, padding: 1), BatchNorm2d(4), ReLU(), MaxPool2d(kernelSize: 2))
        let classifier = Sequential(Flatten(), Dropout(p: 0.5), Linear(4 * 2 * 2, 5))
        func forward(_ x: Tensor) throws -> Tensor { try classifier(features(x)) }
    }

    @Test("parameter and buffer names follow PyTorch's state_dict")
    func stateDictNames() {
        let lenet = LeNet5()
        #expect(lenet.namedParameters().map(\.name) == ["conv1.weight", "conv1.bias", "conv2.weight", "conv2.bias",
                                                        "fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias", "fc3.weight", "fc3.bias"])
        #expect(lenet.parameterCount == 61_706)
        let block = Block()
        #expect(block.stateDict().map(\.name) == [
            "features.0.weight", "features.0.bias", "features.1.weight", "features.1.bias",
            "features.1.running_mean", "features.1.running_var", "features.1.num_batches_tracked",
            "classifier.2.weight", "classifier.2.bias",
        ])
        #expect(block.namedBuffers().count == 3)
    }

    @Test("train and eval mode reach every sub-module, and batch norm and dropout obey them")
    func modes() throws {
        let block = GlobalGenerator.seeded(1) { Block() }
        var gen = RandomGenerator(seed: 2)
        let x = Tensor.randn([2, 3, 4, 4], generator: &gen)
        _ = try block(x)
        let bn = block.features.layers[1] as! BatchNorm2d
        #expect(bn.runningMean.scalars != [0, 0, 0, 0], "training updates running statistics")
        block.eval()
        #expect(block.namedModules().allSatisfy { !$0.module.isTraining })
        let before = bn.runningMean.scalars
        let a = try block(x), b = try block(x)
        #expect(a.scalars == b.scalars, "evaluation is deterministic: no dropout")
        #expect(bn.runningMean.scalars == before, "evaluation leaves running statistics alone")
        block.train()
        #expect(block.isTraining && bn.isTraining)
    }

    @Test("load_state_dict copies by name and rejects missing, unexpected or misshapen tensors")
    func loadStateDict() throws {
        let a = GlobalGenerator.seeded(3) { LeNet5() }
        let b = GlobalGenerator.seeded(4) { LeNet5() }
        #expect(a.fc1.weight.scalars != b.fc1.weight.scalars)
        try b.loadStateDict(a.stateDict().dictionary)
        #expect(a.fc1.weight.scalars == b.fc1.weight.scalars)
        var state = a.stateDict().dictionary
        state["conv1.weight"] = nil
        #expect(throws: ConvNetError.self) { try b.loadStateDict(state) }
        try b.loadStateDict(state, strict: false)
        state["conv1.weight"] = Tensor.zeros([6, 1, 3, 3])
        #expect(throws: ConvNetError.self) { try b.loadStateDict(state, strict: false) }
        state["conv1.weight"] = a.conv1.weight
        state["extra"] = Tensor.zeros([1])
        #expect(throws: ConvNetError.self) { try b.loadStateDict(state) }
    }

    @Test("seeded initialisers have the stated scale")
    func initializers() {
        var gen = RandomGenerator(seed: 5)
        let w = Tensor.zeros([256, 128, 3, 3])
        func std(_ t: Tensor) -> Float {
            let s = t.scalars, m = s.reduce(0, +) / Float(s.count)
            return (s.map { ($0 - m) * ($0 - m) }.reduce(0, +) / Float(s.count)).squareRoot()
        }
        Initializer.kaimingNormal(w, generator: &gen)
        #expect(abs(std(w) - (2 / Float(128 * 9)).squareRoot()) < 1e-3)
        Initializer.kaimingUniform(w, mode: .fanOut, generator: &gen)
        #expect(abs(w.scalars.map(abs).max()! - (6 / Float(256 * 9)).squareRoot()) < 1e-3)
        Initializer.xavierUniform(w, generator: &gen)
        #expect(abs(w.scalars.map(abs).max()! - (6 / Float(128 * 9 + 256 * 9)).squareRoot()) < 1e-3)
        Initializer.xavierNormal(w, generator: &gen)
        #expect(abs(std(w) - (2 / Float(128 * 9 + 256 * 9)).squareRoot()) < 1e-3)
        let c1 = GlobalGenerator.seeded(7) { Conv2d(3, 8, kernelSize: 3) }.weight.scalars
        #expect(GlobalGenerator.seeded(7) { Conv2d(3, 8, kernelSize: 3) }.weight.scalars == c1, "seeded layers are reproducible")
        #expect(c1.allSatisfy { abs($0) <= 1 / Float(27).squareRoot() }, "PyTorch default bound 1/√fan_in")
    }

    @Test("learning-rate schedules")
    func schedules() {
        let total = 100, perEpoch = 10
        func rate(_ s: LearningRateSchedule, _ step: Int) -> Float { s.rate(base: 0.1, step: step, totalSteps: total, stepsPerEpoch: perEpoch) }
        #expect(rate(.constant, 57) == 0.1)
        #expect(rate(.step(epochs: 3, gamma: 0.1), 29) == 0.1)
        #expect(abs(rate(.step(epochs: 3, gamma: 0.1), 30) - 0.01) < 1e-7)
        #expect(abs(rate(.step(epochs: 3, gamma: 0.1), 65) - 0.001) < 1e-8)
        #expect(rate(.cosine(minimum: 0), 0) == 0.1)
        #expect(abs(rate(.cosine(minimum: 0), 50) - 0.05) < 1e-6)
        #expect(rate(.cosine(minimum: 0), 99) < 0.001)
        let one = LearningRateSchedule.oneCycleDefault
        #expect(abs(rate(one, 0) - 0.004) < 1e-6, "starts at max/25")
        #expect(abs(rate(one, 29) - 0.1) < 1e-6, "peaks at 30 % of the run")
        #expect(rate(one, 99) < 1e-6, "ends at max/(25·10⁴)")
        #expect(rate(one, 10) < rate(one, 20) && rate(one, 50) > rate(one, 80))
        let warm = LearningRateSchedule.warmup(steps: 10, then: .constant)
        #expect(abs(rate(warm, 0) - 0.01) < 1e-7 && abs(rate(warm, 4) - 0.05) < 1e-7 && rate(warm, 10) == 0.1)
    }
}
