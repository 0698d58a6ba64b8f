import ConvNet
import Dispatch
import Testing

// The oneDNN backend must compute the same functions as the reference backend: outputs and
// gradients of convolution, pooling and batch norm agree to |a − b| ≤ 1e-4·|b| + 1e-4 (oneDNN
// sums in another order) on many small random shapes.

/// Checks that `actual` (oneDNN) matches `expected` (reference) elementwise.
private func expectClose(_ actual: Tensor, _ expected: Tensor, _ label: String,
                         sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(actual.shape == expected.shape, "\(label): shape", sourceLocation: sourceLocation)
    guard actual.shape == expected.shape else { return }
    let a = actual.scalars, b = expected.scalars
    var worst = 0, worstExcess: Float = 0
    for i in a.indices {
        let excess = abs(a[i] - b[i]) - (1e-4 * abs(b[i]) + 1e-4)
        if !(excess <= worstExcess) { worst = i; worstExcess = excess.isNaN ? .infinity : excess }
    }
    #expect(worstExcess <= 0, "\(label): element \(worst) is \(a.isEmpty ? 0 : a[worst]), reference \(b.isEmpty ? 0 : b[worst])",
            sourceLocation: sourceLocation)
}

/// Runs `body` on both backends and compares every tensor it returns.
private func expectBackendsAgree(_ label: String, sourceLocation: SourceLocation = #_sourceLocation,
                                 _ body: () throws -> [Tensor]) throws {
    let reference = try Backend.with(.reference, body)
    let onednn = try Backend.with(.oneDNN, body)
    #expect(onednn.count == reference.count)
    for (i, (a, b)) in zip(onednn, reference).enumerated() {
        expectClose(a, b, "\(label) result \(i)", sourceLocation: sourceLocation)
    }
}

// MARK: - Cases

/// A square pooling window.
struct PoolWindow: Sendable, CustomTestStringConvertible {
    var kernel, stride, padding: Int
    init(_ kernel: Int, _ stride: Int, _ padding: Int) { (self.kernel, self.stride, self.padding) = (kernel, stride, padding) }
    var testDescription: String { "k\(kernel) s\(stride) p\(padding)" }
}

/// One convolution shape: input [n, c, h, w], weight [cout, c, kh, kw].
struct ConvCase: Sendable, CustomTestStringConvertible {
    var n, c, h, w, cout, kh, kw: Int
    var stride: Size2
    var padding: Size2
    var bias: Bool

    var testDescription: String {
        "x[\(n),\(c),\(h),\(w)] w[\(cout),\(c),\(kh),\(kw)] s\(stride) p\(padding)\(bias ? " +bias" : "")"
    }

    /// y and the gradients of Σ y·upstream with respect to x, w (and b), on the current backend.
    func run(seed: UInt64) throws -> [Tensor] {
        var gen = RandomGenerator(seed: seed)
        let x = Tensor.randn([n, c, h, w], generator: &gen, requiresGrad: true)
        let weight = Tensor.randn([cout, c, kh, kw], generator: &gen, requiresGrad: true)
        let b = bias ? Tensor.randn([cout], generator: &gen, requiresGrad: true) : nil
        let y = try conv2d(x, weight, bias: b, stride: stride, padding: padding)
        let upstream = Tensor.randn(y.shape, generator: &gen)
        return [y] + (try gradients(of: y, withRespectTo: [x, weight] + (b.map { [$0] } ?? []), upstream: upstream))
    }
}

private let convCases: [ConvCase] = [
    ConvCase(n: 2, c: 3, h: 9, w: 9, cout: 5, kh: 3, kw: 3, stride: 1, padding: 1, bias: true),
    ConvCase(n: 2, c: 3, h: 9, w: 8, cout: 5, kh: 3, kw: 3, stride: 1, padding: 0, bias: false),
    ConvCase(n: 1, c: 17, h: 10, w: 11, cout: 19, kh: 3, kw: 3, stride: 2, padding: 1, bias: true),
    ConvCase(n: 3, c: 1, h: 12, w: 12, cout: 6, kh: 5, kw: 5, stride: 1, padding: 2, bias: true),
    ConvCase(n: 2, c: 16, h: 8, w: 8, cout: 16, kh: 3, kw: 3, stride: 3, padding: 2, bias: true),
    ConvCase(n: 2, c: 4, h: 7, w: 9, cout: 3, kh: 3, kw: 2, stride: Size2(2, 1), padding: Size2(1, 0), bias: true),
    ConvCase(n: 2, c: 5, h: 6, w: 10, cout: 7, kh: 1, kw: 5, stride: 1, padding: Size2(0, 2), bias: false),
    ConvCase(n: 2, c: 32, h: 5, w: 5, cout: 24, kh: 1, kw: 1, stride: 1, padding: 0, bias: true),
    ConvCase(n: 1, c: 17, h: 7, w: 7, cout: 33, kh: 1, kw: 1, stride: 2, padding: 0, bias: false),
    ConvCase(n: 4, c: 6, h: 14, w: 14, cout: 16, kh: 5, kw: 5, stride: 1, padding: 0, bias: true),
    ConvCase(n: 2, c: 64, h: 6, w: 6, cout: 64, kh: 3, kw: 3, stride: 1, padding: 1, bias: true),
    ConvCase(n: 1, c: 3, h: 8, w: 8, cout: 1, kh: 3, kw: 3, stride: 3, padding: 0, bias: true),
    ConvCase(n: 2, c: 2, h: 5, w: 5, cout: 4, kh: 5, kw: 5, stride: 1, padding: 0, bias: true),
]

@Suite("OneDNN backend", .serialized)
struct OneDNNBackendTests {
    @Test("conv2d output and gradients match the reference", arguments: convCases)
    func convolution(_ c: ConvCase) throws {
        try expectBackendsAgree(c.testDescription) { try c.run(seed: 42) }
    }

    @Test("conv2d without gradients (inference) matches the reference")
    func convolutionInference() throws {
        var gen = RandomGenerator(seed: 7)
        let x = Tensor.randn([2, 8, 10, 10], generator: &gen)
        let w = Tensor.randn([12, 8, 3, 3], generator: &gen)
        let b = Tensor.randn([12], generator: &gen)
        try expectBackendsAgree("inference conv") {
            [try withNoGrad { try conv2d(x, w, bias: b, stride: 2, padding: 1) }]
        }
    }

    @Test("the same shape run twice gives identical results (cached plans and buffers)")
    func cacheReuse() throws {
        let c = ConvCase(n: 2, c: 17, h: 9, w: 9, cout: 20, kh: 3, kw: 3, stride: 1, padding: 1, bias: true)
        let first = try Backend.with(.oneDNN) { try c.run(seed: 3) }
        let second = try Backend.with(.oneDNN) { try c.run(seed: 3) }
        for (a, b) in zip(first, second) { #expect(a.scalars == b.scalars) }
    }

    @Test("alternating two shapes keeps each shape's plans apart")
    func alternatingShapes() throws {
        let a = ConvCase(n: 2, c: 8, h: 9, w: 9, cout: 16, kh: 3, kw: 3, stride: 1, padding: 1, bias: true)
        let b = ConvCase(n: 3, c: 16, h: 6, w: 7, cout: 8, kh: 3, kw: 3, stride: 2, padding: 0, bias: true)
        let expectedA = try Backend.with(.reference) { try a.run(seed: 1) }
        let expectedB = try Backend.with(.reference) { try b.run(seed: 2) }
        for round in 0..<3 {
            for (c, seed, expected) in [(a, UInt64(1), expectedA), (b, UInt64(2), expectedB)] {
                let got = try Backend.with(.oneDNN) { try c.run(seed: seed) }
                for (i, (x, y)) in zip(got, expected).enumerated() {
                    expectClose(x, y, "round \(round) \(c.testDescription) result \(i)")
                }
            }
        }
    }

    @Test("concurrent callers get correct results")
    func concurrentCallers() throws {
        let c = ConvCase(n: 2, c: 8, h: 8, w: 8, cout: 8, kh: 3, kw: 3, stride: 1, padding: 1, bias: true)
        let expected = try Backend.with(.reference) { try c.run(seed: 5) }
        let results = LockedSlots<[Tensor]>(count: 4)
        DispatchQueue.concurrentPerform(iterations: 4) { i in
            results.set(i, try? Backend.with(.oneDNN) { try c.run(seed: 5) })
        }
        for i in 0..<4 {
            let got = try #require(results.get(i))
            for (x, y) in zip(got, expected) { expectClose(x, y, "thread \(i)") }
        }
    }

    // MARK: - Pooling

    @Test("pooling output and gradient match the reference",
          arguments: [PoolWindow(2, 1, 0), PoolWindow(2, 2, 0), PoolWindow(2, 2, 1), PoolWindow(3, 1, 1),
                      PoolWindow(3, 2, 0), PoolWindow(3, 2, 1), PoolWindow(3, 3, 0), PoolWindow(3, 3, 1),
                      PoolWindow(2, 3, 1)],
          [true, false])
    func pooling(_ window: PoolWindow, _ max: Bool) throws {
        try expectBackendsAgree("\(max ? "max" : "avg") k\(window.kernel) s\(window.stride) p\(window.padding)") {
            var gen = RandomGenerator(seed: 11)
            let x = Tensor.randn([2, 3, 11, 10], generator: &gen, requiresGrad: true)
            let y = max ? try maxPool2d(x, kernel: Size2(window.kernel), stride: Size2(window.stride),
                                        padding: Size2(window.padding))
                : try avgPool2d(x, kernel: Size2(window.kernel), stride: Size2(window.stride),
                                padding: Size2(window.padding))
            let upstream = Tensor.randn(y.shape, generator: &gen)
            return [y] + (try gradients(of: y, withRespectTo: [x], upstream: upstream))
        }
    }

    @Test("pooling with rectangular windows and without gradients matches the reference")
    func poolingRectangularInference() throws {
        var gen = RandomGenerator(seed: 12)
        let x = Tensor.randn([1, 17, 9, 12], generator: &gen)
        try expectBackendsAgree("rect pool") {
            [try maxPool2d(x, kernel: Size2(3, 2), stride: Size2(2, 3), padding: Size2(1, 0)),
             try avgPool2d(x, kernel: Size2(2, 3), stride: Size2(1, 2), padding: Size2(0, 1))]
        }
    }

    // MARK: - Batch norm

    @Test("batch norm (1-D and 2-D, training and evaluation) matches the reference, running stats included",
          arguments: [[8, 5], [3, 17], [4, 3, 5, 6], [1, 16, 4, 4], [2, 2, 1, 3]], [true, false])
    func batchNorm(_ shape: [Int], _ training: Bool) throws {
        try expectBackendsAgree("batchnorm \(shape) \(training ? "train" : "eval")") {
            var gen = RandomGenerator(seed: 21)
            let c = shape[1]
            let x = Tensor.randn(shape, mean: 0.5, std: 2, generator: &gen, requiresGrad: true)
            let weight = Tensor.randn([c], generator: &gen, requiresGrad: true)
            let bias = Tensor.randn([c], generator: &gen, requiresGrad: true)
            let runningMean = Tensor.randn([c], generator: &gen)
            let runningVar = Tensor.uniform([c], low: 0.5, high: 2, generator: &gen)
            let y = try ConvNet.batchNorm(x, weight: weight, bias: bias, runningMean: runningMean,
                                          runningVar: runningVar, training: training, momentum: 0.1, eps: 1e-5)
            let upstream = Tensor.randn(y.shape, generator: &gen)
            let grads = try gradients(of: y, withRespectTo: [x, weight, bias], upstream: upstream)
            return [y] + grads + [runningMean, runningVar]
        }
    }

    @Test("batch norm without affine parameters matches the reference")
    func batchNormNoAffine() throws {
        try expectBackendsAgree("batchnorm no affine") {
            var gen = RandomGenerator(seed: 22)
            let x = Tensor.randn([4, 6, 3, 3], generator: &gen, requiresGrad: true)
            let y = try ConvNet.batchNorm(x, weight: nil, bias: nil, runningMean: nil, runningVar: nil,
                                          training: true, eps: 1e-3)
            let upstream = Tensor.randn(y.shape, generator: &gen)
            return [y] + (try gradients(of: y, withRespectTo: [x], upstream: upstream))
        }
    }
}
