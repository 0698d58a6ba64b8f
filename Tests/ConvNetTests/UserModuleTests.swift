import ConvNet
import Foundation
import Testing

@Suite("user-written modules: declared tensors are trained and saved; fused blocks")
struct UserModuleTests {
    /// A layer as a user writes one: its tensors are declared, never listed. `gain` is made
    /// without `requiresGrad`; `@Parameter` makes it learnable.
    final class ChannelScale: Module {
        @Parameter var gain: Tensor
        @Parameter var shift: Tensor?
        @Buffer var calls = Tensor.zeros([])
        @Buffer private(set) var runningMean: Tensor

        init(_ channels: Int, shift: Bool = true) {
            gain = Tensor.full([1, channels, 1, 1], 2)
            self.shift = shift ? Tensor.zeros([1, channels, 1, 1]) : nil
            _runningMean = Buffer(wrappedValue: Tensor.zeros([channels]), name: "running_mean")
        }

        func forward(_ x: Tensor) throws -> Tensor {
            if isTraining { calls.withUnsafeMutableBufferPointer { $0[0] += 1 } }
            let y = try x * gain
            return try shift.map { try y + $0 } ?? y
        }
    }

    final class Net: Module {
        let conv = Conv2d(1, 2, kernelSize: 3)
        let scale: ChannelScale
        init(shift: Bool = true) { scale = ChannelScale(2, shift: shift) }
        func forward(_ x: Tensor) throws -> Tensor { try scale(conv(x)) }
    }

    @Test("a user layer's @Parameter and @Buffer tensors appear in the state_dict in PyTorch's order")
    func names() {
        #expect(Net().stateDict().map(\.name) == ["conv.weight", "conv.bias", "scale.gain", "scale.shift",
                                                   "scale.calls", "scale.running_mean"])
        #expect(Net(shift: false).stateDict().map(\.name) == ["conv.weight", "conv.bias", "scale.gain",
                                                               "scale.calls", "scale.running_mean"])
        let net = Net()
        #expect(net.namedParameters().map(\.name) == ["conv.weight", "conv.bias", "scale.gain", "scale.shift"])
        #expect(net.namedBuffers().map(\.name) == ["scale.calls", "scale.running_mean"])
        #expect(net.scale.namedParameters(recursive: false).map(\.name) == ["gain", "shift"])
        #expect(net.parameterCount == 2 * 9 + 2 + 2 + 2)
    }

    @Test("SGD trains a user layer's parameters and leaves its buffers to the layer")
    func trained() throws {
        let net = GlobalGenerator.seeded(1) { Net() }
        #expect(net.scale.gain.requiresGrad && net.scale.shift?.requiresGrad == true)
        #expect(!net.scale.runningMean.requiresGrad)
        let optimizer = try SGD(parameters: net.parameters, learningRate: 0.1)
        var gen = RandomGenerator(seed: 2)
        let x = Tensor.randn([3, 1, 5, 5], generator: &gen)
        let gain = net.scale.gain.scalars, shift = net.scale.shift!.scalars
        let loss = try mseLoss(net(x), Tensor.ones([3, 2, 3, 3]))
        try loss.backward()
        try optimizer.step()
        #expect(net.scale.gain.scalars != gain, "the gain is a parameter the optimizer was given")
        #expect(net.scale.shift!.scalars != shift)
        #expect(net.scale.calls.scalars == [1] && net.scale.runningMean.scalars == [0, 0])
    }

    @Test("a user layer round-trips through a safetensors file (as a checkpoint stores it)")
    func roundTrip() throws {
        let a = GlobalGenerator.seeded(3) { Net() }
        var gen = RandomGenerator(seed: 4)
        try a.scale.gain.assign(Tensor.randn([1, 2, 1, 1], generator: &gen))
        a.scale.runningMean.withUnsafeMutableBufferPointer { $0[1] = 7 }
        _ = try a(Tensor.zeros([1, 1, 4, 4]))
        let folder = Fixtures.temporaryFolder("user-module")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = folder + "/net.safetensors"
        try SafeTensors.write(SafeTensors.Contents(tensors: a.stateDict()), to: path)
        let b = GlobalGenerator.seeded(5) { Net() }
        #expect(b.scale.gain.scalars != a.scale.gain.scalars)
        try b.loadStateDict(SafeTensors.read(path: path).dictionary)
        for ((name, x), (_, y)) in zip(a.stateDict(), b.stateDict()) { #expect(x.scalars == y.scalars, "\(name)") }
        #expect(b.scale.calls.scalars == [1] && b.scale.runningMean.scalars == [0, 7])
        #expect(throws: ConvNetError.self) { try Net(shift: false).loadStateDict(SafeTensors.read(path: path).dictionary) }
    }

    @Test("convMaxPoolReLU equals the three modules, runs them one by one under a tracer, and falls back for other geometries")
    func fusedBlock() throws {
        let conv = GlobalGenerator.seeded(6) { Conv2d(1, 6, kernelSize: 5, padding: 2) }
        let pool = MaxPool2d(kernelSize: 2), relu = ReLU()
        var gen = RandomGenerator(seed: 7)
        let x = Tensor.randn([2, 1, 12, 12], generator: &gen)
        let expected = try relu(pool(conv(x)))
        let fused = try convMaxPoolReLU(x, conv, pool, relu)
        #expect(fused.shape == [2, 6, 6, 6])
        #expect(zip(fused.scalars, expected.scalars).allSatisfy { abs($0 - $1) <= 1e-5 })
        let tracer = ModuleTracer()
        _ = try tracer.tracing { try convMaxPoolReLU(x, conv, pool, relu) }
        #expect(tracer.calls.map { ObjectIdentifier($0.module) } == [conv, pool, relu].map { ObjectIdentifier($0) })
        let strided = GlobalGenerator.seeded(6) { Conv2d(1, 6, kernelSize: 5, stride: 2, padding: 2) }
        #expect(try convMaxPoolReLU(x, strided, pool, relu).shape == [2, 6, 3, 3])
        let wide = MaxPool2d(kernelSize: 3)
        #expect(try convMaxPoolReLU(x, conv, wide, relu).shape == [2, 6, 4, 4])
    }

    @Test("convnet summary still shows LeNet-5's first block as conv1, pool1, relu1")
    func lenetSummary() throws {
        let summary = try ModelSummary.of(LeNet5(), name: "lenet5", inputShape: [1, 28, 28])
        #expect(Array(summary.layers.prefix(3).map(\.name)) == ["conv1", "pool1", "relu1"])
        #expect(summary.layers[0].params == 6 * 25 + 6 && summary.layers[0].weights == 6 * 25)
    }
}
