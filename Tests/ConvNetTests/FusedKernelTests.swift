import ConvNet
import ConvNetHarness
import Testing

@Suite("fused conv → max pool → ReLU")
struct FusedKernelTests {
    /// (batch, in channels, height, width, out channels, kernel, padding): LeNet-5's first block,
    /// odd convolution sizes (the last row and column are not pooled), rectangular inputs, more
    /// than 16 pooled columns, more output channels than one group of six, thousands of weights.
    static let shapes: [(Int, Int, Int, Int, Int, Int, Int)] = [
        (4, 1, 28, 28, 6, 5, 2), (3, 2, 11, 13, 5, 3, 1), (2, 3, 9, 8, 7, 4, 0), (1, 1, 6, 6, 1, 3, 1),
        (2, 1, 16, 41, 13, 5, 2), (3, 2, 7, 7, 2, 7, 3), (2, 4, 12, 12, 15, 7, 3),
    ]

    // Each check runs once per fused kernel. The AVX-512 one is a separate test, disabled (and
    // reported as skipped, with the reason) on a CPU without AVX-512F, rather than dropped silently.
    static let noAVX512: Comment = "this CPU has no AVX-512F: the AVX-512 kernel cannot run here"

    @Test("the portable kernel equals conv2d, maxPool2d and relu: output, dW and db")
    func matchesUnfusedPortable() throws { try Self.matchesUnfused(.fusedPortable) }

    @Test("the AVX-512 kernel equals conv2d, maxPool2d and relu: output, dW and db",
          .enabled(if: ConvPoolReLUPath.avx512Available, noAVX512))
    func matchesUnfusedAVX512() throws { try Self.matchesUnfused(.fusedAVX512) }

    static func matchesUnfused(_ path: ConvPoolReLUPath) throws {
        var gen = RandomGenerator(seed: 21)
        for (n, c, h, w, o, k, p) in Self.shapes {
            let x = Tensor.randn([n, c, h, w], generator: &gen)
            let weight = Tensor.randn([o, c, k, k], std: 0.3, generator: &gen, requiresGrad: true)
            let bias = Tensor.randn([o], std: 0.3, generator: &gen, requiresGrad: true)
            let expected = try Backend.with(.reference) {
                try conv2dMaxPoolReLU(x, weight, bias: bias, padding: Size2(p), path: .unfused)
            }
            let upstream = Tensor.randn(expected.shape, generator: &gen)
            let expectedGrads = try gradients(of: expected, withRespectTo: [weight, bias], upstream: upstream)
            let y = try conv2dMaxPoolReLU(x, weight, bias: bias, padding: Size2(p), path: path)
            let label = "\(path) \([n, c, h, w]) → \(o)@\(k)×\(k) pad \(p)"
            #expect(y.shape == expected.shape, "\(label)")
            #expect(zip(y.scalars, expected.scalars).allSatisfy { abs($0 - $1) <= 1e-5 * max(1, abs($1)) }, "\(label) output")
            let grads = try gradients(of: y, withRespectTo: [weight, bias], upstream: upstream)
            for (got, want) in zip(grads, expectedGrads) {
                let scale = want.scalars.map(abs).max() ?? 1
                #expect(zip(got.scalars, want.scalars).allSatisfy { abs($0 - $1) <= 1e-5 * max(1, scale) }, "\(label) gradient")
            }
        }
    }

    @Test("portable kernel: ties go to the first maximum in row-major order, as in PyTorch")
    func tiesPortable() throws { try Self.ties(.fusedPortable) }

    @Test("AVX-512 kernel: ties go to the first maximum in row-major order, as in PyTorch",
          .enabled(if: ConvPoolReLUPath.avx512Available, noAVX512))
    func tiesAVX512() throws { try Self.ties(.fusedAVX512) }

    static func ties(_ path: ConvPoolReLUPath) throws {
        // Kernel [[1, 0], [0, 0]] makes the convolution output x itself, exactly; x constant on each
        // pooling window makes all four positions tie, while the other taps see different pixels,
        // so dW shows which position won.
        var gen = RandomGenerator(seed: 24)
        let blocks = Tensor.randn([4, 4], generator: &gen).scalars.map { abs($0) + 0.1 }
        let extra = Tensor.randn([81], generator: &gen).scalars
        var pixels = extra
        for row in 0..<8 {
            for column in 0..<8 { pixels[row * 9 + column] = blocks[(row / 2) * 4 + column / 2] }
        }
        let x = try Tensor(shape: [1, 1, 9, 9], scalars: pixels)
        let weight = try Tensor(shape: [1, 1, 2, 2], scalars: [1, 0, 0, 0], requiresGrad: true)
        let expected = try Backend.with(.reference) { try conv2dMaxPoolReLU(x, weight, bias: nil, path: .unfused) }
        let want = try gradients(of: expected, withRespectTo: [weight], upstream: Tensor.ones(expected.shape))[0].scalars
        let y = try conv2dMaxPoolReLU(x, weight, bias: nil, path: path)
        #expect(y.scalars == expected.scalars, "\(path)")
        let got = try gradients(of: y, withRespectTo: [weight], upstream: Tensor.ones(y.shape))[0].scalars
        #expect(zip(got, want).allSatisfy { abs($0 - $1) <= 1e-5 }, "\(path): \(got) vs \(want)")
    }

    @Test("portable kernel: finite differences agree with its backward (weights and bias)")
    func finiteDifferencesPortable() throws { try Self.finiteDifferences(.fusedPortable) }

    @Test("AVX-512 kernel: finite differences agree with its backward (weights and bias)",
          .enabled(if: ConvPoolReLUPath.avx512Available, noAVX512))
    func finiteDifferencesAVX512() throws { try Self.finiteDifferences(.fusedAVX512) }

    static func finiteDifferences(_ path: ConvPoolReLUPath) throws {
        var gen = RandomGenerator(seed: 22)
        let x = Tensor.randn([2, 2, 8, 9], generator: &gen)
        let weight = Tensor.randn([3, 2, 3, 3], std: 0.4, generator: &gen)
        let bias = Tensor.randn([3], std: 0.4, generator: &gen)
        try FiniteDifference.check("conv_maxpool_relu \(path)", inputs: [weight, bias], step: 1e-3) { t in
            try conv2dMaxPoolReLU(x, t[0], bias: t[1], padding: 1, path: path)
        }
    }

    /// Without AVX-512 the automatic path is the three operations themselves, and this would
    /// compare them with themselves: disabled there, with the reason shown.
    @Test("the automatic path (the fused AVX-512 kernel) trains LeNet-5 like the three operations",
          .enabled(if: ConvPoolReLUPath.avx512Available, noAVX512))
    func lenetStepMatchesUnfused() throws {
        // One SGD step from the same weights, fused (automatic) and not (reference backend).
        func step(_ backend: ComputeBackend) throws -> [Float] {
            try Backend.with(backend) {
                let model = GlobalGenerator.seeded(3) { LeNet5() }
                var gen = RandomGenerator(seed: 4)
                let x = Tensor.randn([8, 1, 28, 28], generator: &gen)
                let optimizer = try SGD(parameters: model.parameters, learningRate: 0.1)
                try crossEntropy(model(x), labels: Array(0..<8)).backward()
                try optimizer.step()
                return model.conv1.weight.scalars + model.conv1.bias!.scalars
            }
        }
        let (fused, reference) = (try step(.oneDNN), try step(.reference))
        #expect(zip(fused, reference).allSatisfy { abs($0 - $1) <= 1e-5 })
    }

    @Test("convnet bench block times every path and rejects a strided block")
    func benchmark() throws {
        let g = Conv2dGeometry(batch: 2, inChannels: 1, height: 12, width: 12, outChannels: 3, kernel: 3, stride: 1, padding: 1)
        let r = try OperatorBenchmarks.convPoolReLU(g, budget: 0.01)
        let timings = [r.unfused, r.fusedPortable] + (r.fused.map { [$0] } ?? [])
        #expect(timings.allSatisfy { $0.forwardMilliseconds > 0 && $0.forwardBackwardMilliseconds > 0 })
        #expect((r.fused != nil) == ConvPoolReLUPath.avx512Available)
        let strided = Conv2dGeometry(batch: 2, inChannels: 1, height: 12, width: 12, outChannels: 3, kernel: 3, stride: 2, padding: 1)
        #expect(throws: ConvNetError.self) { try OperatorBenchmarks.convPoolReLU(strided, budget: 0.01) }
    }

    @Test("fused paths refuse what they cannot compute")
    func refusals() throws {
        var gen = RandomGenerator(seed: 23)
        let x = Tensor.randn([1, 2, 6, 6], generator: &gen, requiresGrad: true)
        let weight = Tensor.randn([3, 2, 3, 3], generator: &gen)
        #expect(throws: ConvNetError.self) { try conv2dMaxPoolReLU(x, weight, bias: nil, path: .fusedPortable) }
        let wrongChannels = Tensor.randn([3, 4, 3, 3], generator: &gen)
        #expect(throws: ConvNetError.self) { try conv2dMaxPoolReLU(x.detached(), wrongChannels, bias: nil, path: .fusedPortable) }
        #expect(throws: ConvNetError.self) { try conv2dMaxPoolReLU(x.detached(), wrongChannels, bias: nil) }
        // The AVX-512 kernel computes where the CPU has it and is refused, not run, where it does not.
        if ConvPoolReLUPath.avx512Available {
            #expect(try conv2dMaxPoolReLU(x.detached(), weight, bias: nil, path: .fusedAVX512).shape == [1, 3, 2, 2])
        } else {
            #expect(throws: ConvNetError.self) { try conv2dMaxPoolReLU(x.detached(), weight, bias: nil, path: .fusedAVX512) }
        }
        // With a gradient wanted for x, the automatic path computes it (through the three operations).
        let y = try conv2dMaxPoolReLU(x, weight, bias: nil)
        #expect(try gradients(of: y, withRespectTo: [x], upstream: Tensor.ones(y.shape))[0].shape == x.shape)
    }
}
