import ConvNet
import Testing

/// Finite-difference checks of every operator's backward pass on random small shapes,
/// including stride > 1, padding, rectangular kernels and batch size 1, on both backends.
@Suite("finite-difference gradient checks")
struct GradientCheckTests {
    struct ConvCase: CustomStringConvertible, Sendable {
        var n, c, h, w, out, kh, kw: Int
        var stride: Size2, padding: Size2, bias: Bool
        var dilation: Size2 = 1, groups = 1
        var description: String {
            "\(n)x\(c)x\(h)x\(w)→\(out) k\(kh)x\(kw) s\(stride) p\(padding)"
                + (dilation == 1 ? "" : " d\(dilation)") + (groups == 1 ? "" : " g\(groups)") + (bias ? " bias" : "")
        }
    }

    static let convCases: [ConvCase] = [
        ConvCase(n: 2, c: 3, h: 7, w: 6, out: 4, kh: 3, kw: 3, stride: 1, padding: 0, bias: true),
        ConvCase(n: 1, c: 2, h: 8, w: 9, out: 3, kh: 3, kw: 3, stride: 2, padding: 1, bias: true),
        ConvCase(n: 2, c: 1, h: 9, w: 7, out: 2, kh: 3, kw: 2, stride: 1, padding: Size2(1, 0), bias: false),
        ConvCase(n: 1, c: 3, h: 10, w: 11, out: 5, kh: 2, kw: 5, stride: Size2(3, 2), padding: 2, bias: true),
        ConvCase(n: 3, c: 4, h: 5, w: 5, out: 2, kh: 1, kw: 1, stride: 1, padding: 0, bias: true),
        ConvCase(n: 1, c: 2, h: 4, w: 4, out: 3, kh: 5, kw: 5, stride: 1, padding: 2, bias: true),
        // Grouped (2 groups of 2 → 3 channels), depthwise (and with a channel multiplier of 2),
        // dilated, and grouped and dilated with a stride and a rectangular kernel.
        ConvCase(n: 2, c: 4, h: 6, w: 7, out: 6, kh: 3, kw: 3, stride: 1, padding: 1, bias: true, groups: 2),
        ConvCase(n: 2, c: 3, h: 7, w: 6, out: 3, kh: 3, kw: 3, stride: 2, padding: 1, bias: true, groups: 3),
        ConvCase(n: 1, c: 3, h: 6, w: 6, out: 6, kh: 3, kw: 3, stride: 1, padding: 1, bias: false, groups: 3),
        ConvCase(n: 2, c: 2, h: 9, w: 8, out: 3, kh: 3, kw: 3, stride: 1, padding: 2, bias: true, dilation: 2),
        ConvCase(n: 1, c: 4, h: 11, w: 10, out: 4, kh: 3, kw: 2, stride: Size2(2, 1), padding: Size2(3, 1), bias: true,
                 dilation: Size2(3, 2), groups: 2),
    ]

    @Test("conv2d", arguments: convCases, ComputeBackend.allCases)
    func conv(_ k: ConvCase, backend: ComputeBackend) throws {
        var gen = RandomGenerator(seed: 1)
        let x = Tensor.randn([k.n, k.c, k.h, k.w], generator: &gen)
        let w = Tensor.randn([k.out, k.c / k.groups, k.kh, k.kw], std: 0.5, generator: &gen)
        let b = Tensor.randn([k.out], generator: &gen)
        try Backend.with(backend) {
            try FiniteDifference.check("conv2d \(k)", inputs: k.bias ? [x, w, b] : [x, w]) { t in
                try conv2d(t[0], t[1], bias: k.bias ? t[2] : nil, stride: k.stride, padding: k.padding, dilation: k.dilation,
                           groups: k.groups)
            }
        }
    }

    struct PoolCase: CustomStringConvertible, Sendable {
        var kernel: Size2, stride: Size2?, padding: Size2
        var description: String { "k\(kernel) s\(stride.map { "\($0)" } ?? "=k") p\(padding)" }
    }

    static let poolCases: [PoolCase] = [
        PoolCase(kernel: 2, stride: nil, padding: 0), PoolCase(kernel: 3, stride: 2, padding: 1),
        PoolCase(kernel: 3, stride: 1, padding: 1), PoolCase(kernel: Size2(2, 3), stride: Size2(1, 2), padding: Size2(1, 0)),
    ]

    @Test("max and average pooling", arguments: poolCases, ComputeBackend.allCases)
    func pooling(_ p: PoolCase, backend: ComputeBackend) throws {
        var gen = RandomGenerator(seed: 2)
        let x = FiniteDifference.separated([2, 2, 6, 7], generator: &gen)
        try Backend.with(backend) {
            try FiniteDifference.check("maxpool \(p)", inputs: [x], step: 1e-3) { t in
                try maxPool2d(t[0], kernel: p.kernel, stride: p.stride, padding: p.padding)
            }
            try FiniteDifference.check("avgpool \(p)", inputs: [x]) { t in
                try avgPool2d(t[0], kernel: p.kernel, stride: p.stride, padding: p.padding)
            }
            try FiniteDifference.check("avgpool excluding padding \(p)", inputs: [x]) { t in
                try avgPool2d(t[0], kernel: p.kernel, stride: p.stride, padding: p.padding, countIncludePad: false)
            }
            try FiniteDifference.check("maxpool ceil mode \(p)", inputs: [x], step: 1e-3) { t in
                try maxPool2d(t[0], kernel: p.kernel, stride: p.stride, padding: p.padding, ceilMode: true)
            }
        }
    }

    @Test("ceil-mode max pooling and average pooling without padding counts: both backends agree")
    func poolingVariantsAgreeAcrossBackends() throws {
        var gen = RandomGenerator(seed: 5)
        // 7×9 with kernel 3, stride 2: ceil mode adds a partial last window in both directions.
        for (shape, kernel, stride, padding) in [([2, 3, 7, 9], 3, 2, 1), ([1, 17, 6, 6], 3, 2, 0), ([2, 2, 5, 8], 2, 2, 1)] {
            let x = Tensor.randn(shape, generator: &gen, requiresGrad: true)
            let upstreamShape = try maxPool2d(x, kernel: Size2(kernel), stride: Size2(stride), padding: Size2(padding), ceilMode: true).shape
            let upstream = Tensor.randn(upstreamShape, generator: &gen)
            func run(_ backend: ComputeBackend, ceil: Bool) throws -> (y: [Float], dx: [Float]) {
                try Backend.with(backend) {
                    let y = ceil
                        ? try maxPool2d(x, kernel: Size2(kernel), stride: Size2(stride), padding: Size2(padding), ceilMode: true)
                        : try avgPool2d(x, kernel: Size2(kernel), stride: Size2(stride), padding: Size2(padding), countIncludePad: false)
                    let dx = try gradients(of: y, withRespectTo: [x], upstream: ceil ? upstream : Tensor.ones(y.shape))[0]
                    return (y.scalars, dx.scalars)
                }
            }
            for ceil in [true, false] {
                let (reference, fast) = (try run(.reference, ceil: ceil), try run(.oneDNN, ceil: ceil))
                #expect(reference.y.count == fast.y.count)
                #expect(zip(reference.y, fast.y).allSatisfy { abs($0 - $1) <= 1e-5 }, "\(ceil ? "ceil max" : "avg exclude") \(shape) forward")
                #expect(zip(reference.dx, fast.dx).allSatisfy { abs($0 - $1) <= 1e-5 }, "\(ceil ? "ceil max" : "avg exclude") \(shape) backward")
            }
        }
    }

    @Test("batch norm 1-D and 2-D, training and evaluation", arguments: ComputeBackend.allCases)
    func batchNormGradients(backend: ComputeBackend) throws {
        var gen = RandomGenerator(seed: 3)
        for shape in [[4, 3, 3, 2], [1, 2, 3, 3], [6, 5]] {
            let c = shape[1]
            let x = Tensor.randn(shape, generator: &gen)
            let gamma = Tensor.randn([c], generator: &gen), beta = Tensor.randn([c], generator: &gen)
            let mean = Tensor.randn([c], std: 0.1, generator: &gen)
            let variance = Tensor.uniform([c], low: 0.5, high: 1.5, generator: &gen)
            for training in [true, false] {
                try Backend.with(backend) {
                    try FiniteDifference.check("batchnorm \(shape) training=\(training)", inputs: [x, gamma, beta]) { t in
                        // Fresh running statistics each call: the forward must be a pure function here.
                        try batchNorm(t[0], weight: t[1], bias: t[2], runningMean: mean.copy(), runningVar: variance.copy(),
                                      training: training)
                    }
                }
            }
        }
    }

    @Test("linear, matmul and global average pooling")
    func linearAlgebra() throws {
        var gen = RandomGenerator(seed: 4)
        let x = Tensor.randn([3, 5], generator: &gen), w = Tensor.randn([4, 5], generator: &gen)
        let b = Tensor.randn([4], generator: &gen)
        try FiniteDifference.check("linear", inputs: [x, w, b]) { t in try linear(t[0], weight: t[1], bias: t[2]) }
        try FiniteDifference.check("linear batch 1", inputs: [Tensor.randn([1, 5], generator: &gen), w]) { t in
            try linear(t[0], weight: t[1])
        }
        try FiniteDifference.check("matmul", inputs: [Tensor.randn([2, 3], generator: &gen), Tensor.randn([3, 4], generator: &gen)]) { t in
            try matmul(t[0], t[1])
        }
        try FiniteDifference.check("global avg pool", inputs: [Tensor.randn([2, 3, 4, 5], generator: &gen)]) { t in
            try globalAvgPool2d(t[0])
        }
    }

    /// Input → output sizes: AlexNet's 6×6 and VGG's 7×7 from inputs whose windows overlap
    /// (13 → 6, 10 → 7), repeat pixels (5 → 7, 2 → 6), both at once (13×5 → 6×7), and 9 → 4.
    static let adaptiveCases: [[Int]] = [[13, 13, 6, 6], [10, 10, 7, 7], [5, 5, 7, 7], [2, 2, 6, 6], [9, 9, 4, 4], [13, 5, 6, 7]]

    @Test("adaptive average pooling: overlapping and upsampling windows", arguments: adaptiveCases)
    func adaptiveAveragePooling(_ sizes: [Int]) throws {
        var gen = RandomGenerator(seed: 12)
        let x = Tensor.randn([2, 2, sizes[0], sizes[1]], generator: &gen)
        // Linear in x, so central differences are exact up to rounding: every entry is checked.
        try FiniteDifference.check("adaptive avg pool \(sizes)", inputs: [x], atol: 1e-3, maxEntries: x.count) { t in
            try adaptiveAvgPool2d(t[0], outputSize: Size2(sizes[2], sizes[3]))
        }
    }

    @Test("pointwise activations")
    func activations() throws {
        var gen = RandomGenerator(seed: 5)
        let x = FiniteDifference.separated([3, 4, 2], generator: &gen)
        try FiniteDifference.check("relu", inputs: [x], step: 1e-3) { t in try t[0].relu() }
        try FiniteDifference.check("leaky relu", inputs: [x], step: 1e-3) { t in t[0].leakyRelu(negativeSlope: 0.1) }
        try FiniteDifference.check("sigmoid", inputs: [x]) { t in t[0].sigmoid() }
        try FiniteDifference.check("tanh", inputs: [x]) { t in t[0].tanh() }
        try FiniteDifference.check("exp", inputs: [x]) { t in t[0].exp() }
        try FiniteDifference.check("square", inputs: [x]) { t in t[0].squared() }
        try FiniteDifference.check("log", inputs: [Tensor.uniform([5, 3], low: 0.5, high: 2, generator: &gen)]) { t in t[0].log() }
    }

    @Test("softmax and log-softmax over each dimension")
    func softmaxes() throws {
        var gen = RandomGenerator(seed: 6)
        let x = Tensor.randn([3, 4, 2], generator: &gen)
        for dim in [0, 1, -1] {
            try FiniteDifference.check("softmax dim \(dim)", inputs: [x]) { t in try t[0].softmax(dim: dim) }
            try FiniteDifference.check("log softmax dim \(dim)", inputs: [x]) { t in try t[0].logSoftmax(dim: dim) }
        }
    }

    @Test("losses", arguments: [Reduction.mean, .sum, .none])
    func losses(reduction: Reduction) throws {
        var gen = RandomGenerator(seed: 7)
        let logits = Tensor.randn([5, 4], std: 2, generator: &gen)
        let labels = [0, 3, 1, 1, 2]
        try FiniteDifference.check("cross entropy", inputs: [logits]) { t in
            try crossEntropy(t[0], labels: labels, reduction: reduction)
        }
        try FiniteDifference.check("cross entropy, label smoothing 0.2", inputs: [logits]) { t in
            try crossEntropy(t[0], labels: labels, labelSmoothing: 0.2, reduction: reduction)
        }
        for gamma: Float in [0, 0.5, 2] {
            try FiniteDifference.check("focal γ=\(gamma)", inputs: [logits]) { t in
                try focalLoss(t[0], labels: labels, gamma: gamma, reduction: reduction)
            }
        }
        try FiniteDifference.check("nll", inputs: [logits]) { t in try nllLoss(t[0], labels: labels, reduction: reduction) }
        try FiniteDifference.check("mse", inputs: [logits, Tensor.randn([5, 4], generator: &gen)]) { t in
            try mseLoss(t[0], t[1], reduction: reduction)
        }
    }

    @Test("dropout with a fixed mask, and local response norm")
    func dropoutAndLRN() throws {
        var gen = RandomGenerator(seed: 8)
        let x = Tensor.randn([2, 3, 4], generator: &gen)
        try FiniteDifference.check("dropout", inputs: [x]) { t in
            var g = RandomGenerator(seed: 42)
            return try dropout(t[0], p: 0.4, training: true, generator: &g)
        }
        for size in [1, 2, 3, 5] {
            try FiniteDifference.check("LRN size \(size)", inputs: [Tensor.randn([2, 6, 3, 2], generator: &gen)]) { t in
                try localResponseNorm(t[0], size: size, alpha: 0.5, beta: 0.75, k: 1.5)
            }
        }
    }

    @Test("broadcasting arithmetic, reductions and shape operations")
    func tensorAlgebra() throws {
        var gen = RandomGenerator(seed: 9)
        let a = Tensor.randn([2, 3, 4], generator: &gen)
        let row = Tensor.randn([4], generator: &gen), column = Tensor.randn([3, 1], generator: &gen)
        let positive = Tensor.uniform([3, 1], low: 1, high: 2, generator: &gen)
        try FiniteDifference.check("a + row", inputs: [a, row]) { t in try t[0] + t[1] }
        try FiniteDifference.check("a - column", inputs: [a, column]) { t in try t[0] - t[1] }
        try FiniteDifference.check("a * column", inputs: [a, column]) { t in try t[0] * t[1] }
        try FiniteDifference.check("a / positive", inputs: [a, positive]) { t in try t[0] / t[1] }
        try FiniteDifference.check("scalar ops", inputs: [a]) { t in (t[0] * 3 + 1) / 2 - 0.5 }
        try FiniteDifference.check("sum", inputs: [a]) { t in t[0].sum() }
        try FiniteDifference.check("mean", inputs: [a]) { t in t[0].mean() }
        for dim in [0, 1, 2] {
            try FiniteDifference.check("sum dim \(dim)", inputs: [a]) { t in try t[0].sum(dim: dim) }
            try FiniteDifference.check("mean dim \(dim) keepDims", inputs: [a]) { t in try t[0].mean(dim: dim, keepDims: true) }
        }
        let distinct = FiniteDifference.separated([2, 3, 4], generator: &gen)
        try FiniteDifference.check("max dim 1", inputs: [distinct], step: 1e-3) { t in try t[0].max(dim: 1).values }
        try FiniteDifference.check("reshape", inputs: [a]) { t in try t[0].reshaped([4, -1]) }
        try FiniteDifference.check("flatten", inputs: [a]) { t in try flatten(t[0]) }
        try FiniteDifference.check("transpose", inputs: [Tensor.randn([3, 5], generator: &gen)]) { t in try t[0].transposed() }
        try FiniteDifference.check("slice", inputs: [a]) { t in try t[0].slice(1..<2) }
        let b = Tensor.randn([2, 1, 4], generator: &gen)
        try FiniteDifference.check("concat dim 1", inputs: [a, b]) { t in try concat([t[0], t[1]], dim: 1) }
        try FiniteDifference.check("add (residual)", inputs: [a]) { t in try add(t[0].tanh(), t[0]) }
    }
}
