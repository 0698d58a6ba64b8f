import ConvNet
import Dispatch
import Testing

// On the oneDNN backend, convolution, pooling and ReLU hand their results to each other in oneDNN's
// own memory layouts (e.g. nChw16c), converting to plain row-major only when something asks for
// `plainStorage()`. These tests check that every way of reading such a tensor sees the reference values,
// and that chains of those operations, forward and backward, match the reference backend.

/// Checks `actual` against `expected` elementwise, |a − b| ≤ 1e-4·|b| + 1e-4.
private func expectClose(_ actual: Tensor, _ expected: Tensor, _ label: String,
                         sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(actual.shape == expected.shape, "\(label): shape", sourceLocation: sourceLocation)
    guard actual.shape == expected.shape else { return }
    let a = actual.scalars, b = expected.scalars
    let worst = zip(a, b).map { abs($0 - $1) - (1e-4 * abs($1) + 1e-4) }.max() ?? 0
    #expect(worst <= 0, "\(label): off by \(worst) beyond tolerance", sourceLocation: sourceLocation)
}

/// Runs `body` on both backends and compares every tensor it returns.
private func expectBackendsAgree(_ label: String, sourceLocation: SourceLocation = #_sourceLocation,
                                 _ body: () throws -> [Tensor]) throws {
    let reference = try Backend.with(.reference, body)
    let onednn = try Backend.with(.oneDNN, body)
    #expect(onednn.count == reference.count, sourceLocation: sourceLocation)
    for (i, (a, b)) in zip(onednn, reference).enumerated() {
        expectClose(a, b, "\(label) result \(i)", sourceLocation: sourceLocation)
    }
}

/// One conv → ReLU → pool → conv chain: input channels, the two convolutions' output channels, pooling.
struct ChainCase: Sendable, CustomTestStringConvertible {
    var n, c, h, c1, c2: Int
    var maxPool: Bool

    var testDescription: String { "x[\(n),\(c),\(h),\(h)] → \(c1) → \(maxPool ? "max" : "avg") pool → \(c2)" }

    /// The output and the gradients of Σ out·upstream with respect to the input and every weight.
    func run(seed: UInt64) throws -> [Tensor] {
        var gen = RandomGenerator(seed: seed)
        let x = Tensor.randn([n, c, h, h], generator: &gen, requiresGrad: true)
        let w1 = Tensor.randn([c1, c, 3, 3], std: 0.3, generator: &gen, requiresGrad: true)
        let b1 = Tensor.randn([c1], generator: &gen, requiresGrad: true)
        let w2 = Tensor.randn([c2, c1, 3, 3], std: 0.3, generator: &gen, requiresGrad: true)
        var y = try conv2d(x, w1, bias: b1, padding: 1).relu()
        y = maxPool ? try maxPool2d(y, kernel: 2) : try avgPool2d(y, kernel: 2)
        y = try conv2d(y, w2, stride: 1, padding: 1).relu()
        let upstream = Tensor.randn(y.shape, generator: &gen)
        return [y] + (try gradients(of: y, withRespectTo: [x, w1, b1, w2], upstream: upstream))
    }
}

@Suite("oneDNN layouts between operations", .serialized)
struct NativeLayoutTests {
    @Test("conv, ReLU and pooling results stay in oneDNN's layout until read; reading gives the reference values")
    func readsGiveReferenceValues() throws {
        var gen = RandomGenerator(seed: 1)
        let x = Tensor.randn([2, 3, 9, 9], generator: &gen)
        let w = Tensor.randn([6, 3, 3, 3], generator: &gen)
        let expected = try Backend.with(.reference) { try maxPool2d(conv2d(x, w, padding: 1).relu(), kernel: 2) }
        try Backend.with(.oneDNN) {
            let y = try conv2d(x, w, padding: 1)
            #expect(y.isInBackendLayout, "6 channels: oneDNN's blocked layout")
            let r = try y.relu()
            let p = try maxPool2d(r, kernel: 2)
            #expect(r.isInBackendLayout && p.isInBackendLayout)
            #expect(p.count == 2 * 6 * 4 * 4 && p.isInBackendLayout, "count does not convert")
            expectClose(p, expected, "scalars")
            #expect(!p.isInBackendLayout, "reading converted it to plain")
            #expect(p.plainStorage() === p.plainStorage(), "converted once")

            // Each accessor, on fresh tensors.
            let q = try maxPool2d(r, kernel: 2)
            #expect(q.withUnsafeBufferPointer { Array($0) } == p.scalars)
            let s = try maxPool2d(r, kernel: 2)
            #expect(Array(UnsafeBufferPointer(start: s.plainStorage().pointer, count: s.count)) == p.scalars)
            let t = try maxPool2d(r, kernel: 2)
            #expect(t.description == p.description)
            let u = try maxPool2d(r, kernel: 2)
            #expect(u.copy().scalars == p.scalars && u.detached().scalars == p.scalars)
        }
    }

    @Test("conv → ReLU → pool → conv → ReLU, forward and backward, matches the reference",
          arguments: [ChainCase(n: 2, c: 1, h: 12, c1: 6, c2: 16, maxPool: true),
                      ChainCase(n: 2, c: 3, h: 10, c1: 6, c2: 5, maxPool: false),
                      ChainCase(n: 1, c: 16, h: 8, c1: 16, c2: 32, maxPool: true),
                      ChainCase(n: 3, c: 4, h: 9, c1: 17, c2: 8, maxPool: true),
                      ChainCase(n: 2, c: 8, h: 6, c1: 32, c2: 16, maxPool: false)])
    func chain(_ c: ChainCase) throws {
        try expectBackendsAgree(c.testDescription) { try c.run(seed: 7) }
        // Cached plans (now keyed on layouts too) give the same results the second time.
        let first = try Backend.with(.oneDNN) { try c.run(seed: 7) }
        let second = try Backend.with(.oneDNN) { try c.run(seed: 7) }
        for (a, b) in zip(first, second) { #expect(a.scalars == b.scalars) }
    }

    @Test("blocked layouts' channel padding is written as zeros, even in recycled memory full of NaN")
    func paddingIsZeroed() throws {
        var gen = RandomGenerator(seed: 9)
        let x = Tensor.randn([2, 3, 8, 8], generator: &gen, requiresGrad: true)
        let w1 = Tensor.randn([17, 3, 3, 3], generator: &gen, requiresGrad: true)
        let w2 = Tensor.randn([8, 17, 3, 3], generator: &gen, requiresGrad: true)
        let run = {
            let h = try conv2d(x, w1, padding: 1).relu()
            if Backend.current == .oneDNN { #expect(h.isInBackendLayout) }
            let y = try conv2d(h, w2, padding: 1)
            return [y] + (try gradients(of: y, withRespectTo: [x, w1, w2], upstream: Tensor.ones(y.shape)))
        }
        let expected = try Backend.with(.reference, run)
        // 17 channels in blocks of 16 hold 2·32·8·8 floats: fill the pool's blocks of that size with NaN.
        for _ in 0..<2 {
            for count in [2 * 32 * 8 * 8, 2 * 16 * 8 * 8] {
                _ = (0..<8).map { _ in Tensor.full([count], .nan) }
            }
            let got = try Backend.with(.oneDNN, run)
            for (a, b) in zip(got, expected) { expectClose(a, b, "poisoned") }
        }
    }

    @Test("a reshaped view or flattening of a tensor in a oneDNN layout sees its values and shares its storage")
    func views() throws {
        var gen = RandomGenerator(seed: 2)
        let x = Tensor.randn([2, 3, 6, 6], generator: &gen, requiresGrad: true)
        let w = Tensor.randn([6, 3, 3, 3], generator: &gen, requiresGrad: true)
        try expectBackendsAgree("views") {
            let y = try conv2d(x, w, padding: 1).relu()
            if Backend.current == .oneDNN { #expect(y.isInBackendLayout) }
            let flat = try y.flattened()
            #expect(!y.isInBackendLayout, "a view converts the tensor it views")
            #expect(flat.plainStorage() === y.plainStorage())
            let z = try flat.reshaped([2, 6, 6, 6])
            let loss = try (z * z).sum()
            return [flat, z] + (try gradients(of: loss, withRespectTo: [x, w]))
        }
    }

    @Test("in-place writes to a tensor in a oneDNN layout (optimizer, assign) are seen by every later reader")
    func inPlaceWrites() throws {
        var gen = RandomGenerator(seed: 3)
        let x = Tensor.randn([1, 2, 4, 4], generator: &gen)
        let w = Tensor.randn([6, 2, 3, 3], generator: &gen)
        try Backend.with(.oneDNN) {
            let y = try conv2d(x, w, padding: 1)
            #expect(y.isInBackendLayout)
            y.withUnsafeMutableBufferPointer { b in for i in b.indices { b[i] = Float(i) } }
            let pooled = try maxPool2d(y, kernel: 2)
            let expected = try Backend.with(.reference) { try maxPool2d(Tensor(shape: y.shape, scalars: (0..<y.count).map(Float.init)), kernel: 2) }
            #expect(pooled.scalars == expected.scalars)

            let z = try conv2d(x, w, padding: 1)
            let values = Tensor.full(z.shape, 2)
            try z.assign(values)
            #expect(try maxPool2d(z, kernel: 2).scalars.allSatisfy { $0 == 2 })
            #expect(try z.relu().scalars.allSatisfy { $0 == 2 })
        }
    }

    @Test("gradients meeting from a oneDNN-layout path and a plain path add up (a residual add, a reused tensor)")
    func mixedGradientAccumulation() throws {
        var gen = RandomGenerator(seed: 4)
        let x = Tensor.randn([2, 3, 8, 8], generator: &gen, requiresGrad: true)
        let w1 = Tensor.randn([6, 3, 3, 3], std: 0.3, generator: &gen, requiresGrad: true)
        let w2 = Tensor.randn([6, 6, 3, 3], std: 0.3, generator: &gen, requiresGrad: true)
        try expectBackendsAgree("residual") {
            let a = try conv2d(x, w1, padding: 1).relu()
            let b = try conv2d(a, w2, padding: 1)
            let sum = try a + b                   // residual: a feeds a conv and an add
            let p = try maxPool2d(sum, kernel: 2)
            let twice = try p * p + maxPool2d(p, kernel: 3, stride: 1, padding: 1)   // p: a plain op and a pool
            let loss = (twice * 0.5).sum()
            return [p, loss] + (try gradients(of: loss, withRespectTo: [x, w1, w2]))
        }
    }

    @Test("channel concat of branches in oneDNN layouts matches the reference with gradients, and keeps a blocked layout where the channel blocks line up",
          arguments: [([16, 32, 16], false), ([16, 32, 8], true)])
    func concatenation(widths: [Int], plainInput: Bool) throws {
        var gen = RandomGenerator(seed: 21)
        let x = Tensor.randn([2, 3, 9, 9], generator: &gen, requiresGrad: true)
        let weights = widths.map { Tensor.randn([$0, 3, 3, 3], generator: &gen, requiresGrad: true) }
        let upstream = Tensor.randn([2, widths.reduce(0, +) + (plainInput ? 3 : 0), 9, 9], generator: &gen)
        try expectBackendsAgree("concat") {
            let branches = try weights.map { try conv2d(x, $0, padding: 1).relu() } + (plainInput ? [x] : [])
            let y = try concat(branches, dim: 1)
            if Backend.current == .oneDNN {
                // The branches come in oneDNN's blocks of 16 channels with its AVX-512 kernels
                // (nChw16c), of 8 with its AVX2 ones (nChw8c). The result stays blocked where every
                // input starts at a multiple of the block: [16, 32, 16] (at 0, 16, 48) always;
                // [16, 32, 8] and the 3 plain channels (at 0, 16, 48, 56) with blocks of 8 only.
                let block = try #require(branches[0].backendLayoutChannelBlock)
                #expect(block > 1 && weights.indices.allSatisfy { branches[$0].backendLayoutChannelBlock == block })
                let starts = branches.dropLast().reduce(into: [0]) { $0.append($0.last! + $1.shape[1]) }
                let linesUp = starts.allSatisfy { $0 % block == 0 }
                #expect(y.isInBackendLayout == linesUp, "inputs at \(starts), channel blocks of \(block)")
                if linesUp { #expect(y.backendLayoutChannelBlock == block) }
            }
            return [y] + (try gradients(of: (y * upstream).sum(), withRespectTo: [x] + weights))
        }
    }

    @Test("a residual block (conv → batch norm → ReLU → conv → batch norm, + skip, ReLU) matches the reference, training and evaluation",
          arguments: [(16, true), (16, false), (6, true), (24, false)])
    func residualBlock(channels: Int, training: Bool) throws {
        var gen = RandomGenerator(seed: 8)
        let x = Tensor.randn([2, channels, 7, 7], generator: &gen, requiresGrad: true)
        let w1 = Tensor.randn([channels, channels, 3, 3], std: 0.2, generator: &gen, requiresGrad: true)
        let w2 = Tensor.randn([channels, channels, 3, 3], std: 0.2, generator: &gen, requiresGrad: true)
        let gamma = Tensor.uniform([channels], low: 0.5, high: 1.5, generator: &gen, requiresGrad: true)
        let beta = Tensor.randn([channels], generator: &gen, requiresGrad: true)
        let stats = [Tensor.randn([channels], generator: &gen), Tensor.uniform([channels], low: 0.5, high: 2, generator: &gen)]
        let upstream = Tensor.randn([2, channels, 7, 7], generator: &gen)
        try expectBackendsAgree("residual block \(channels) \(training ? "train" : "eval")") {
            let (mean, variance) = (stats[0].copy(), stats[1].copy())
            func bn(_ h: Tensor) throws -> Tensor {
                try batchNorm(h, weight: gamma, bias: beta, runningMean: mean, runningVar: variance, training: training)
            }
            let stem = try conv2d(x, w1, padding: 1).relu()
            let h = try bn(conv2d(bn(conv2d(stem, w2, padding: 1)).relu(), w2, padding: 1))
            let y = try (h + stem).relu()
            if Backend.current == .oneDNN && channels >= 16 {
                // (oneDNN runs the 6-channel convolutions of this size on plain memory.)
                #expect(stem.isInBackendLayout && h.isInBackendLayout && y.isInBackendLayout,
                        "batch norm, + and ReLU keep the convolution's layout")
            }
            return [y] + (try gradients(of: y, withRespectTo: [x, w1, w2, gamma, beta], upstream: upstream)) + [mean, variance]
        }
    }

    @Test("leaf gradients are plain, even when every contribution was in a oneDNN layout")
    func leafGradientsPlain() throws {
        var gen = RandomGenerator(seed: 5)
        let x = Tensor.randn([2, 6, 8, 8], generator: &gen, requiresGrad: true)
        let w = Tensor.randn([6, 6, 3, 3], generator: &gen, requiresGrad: true)
        try Backend.with(.oneDNN) {
            let y = try maxPool2d(conv2d(x, w, padding: 1).relu(), kernel: 2)
            try y.backward(Tensor.ones(y.shape))
            #expect(x.grad.map { !$0.isInBackendLayout } == true && w.grad.map { !$0.isInBackendLayout } == true)
            let expected = try Backend.with(.reference) {
                try gradients(of: maxPool2d(conv2d(x, w, padding: 1).relu(), kernel: 2), withRespectTo: [x, w],
                              upstream: Tensor.ones(y.shape))
            }
            expectClose(x.grad!, expected[0], "dX")
            expectClose(w.grad!, expected[1], "dW")
        }
    }

    @Test("a tensor in a oneDNN layout read from several threads at once converts once, correctly")
    func concurrentReaders() throws {
        var gen = RandomGenerator(seed: 6)
        let x = Tensor.randn([4, 8, 10, 10], generator: &gen)
        let w = Tensor.randn([6, 8, 3, 3], generator: &gen)
        let expected = try Backend.with(.reference) { try conv2d(x, w, padding: 1) }.scalars
        for _ in 0..<5 {
            let y = try Backend.with(.oneDNN) { try conv2d(x, w, padding: 1) }
            let box = LockedSlots<[Float]>(count: 4), storages = LockedSlots<ObjectIdentifier>(count: 4)
            DispatchQueue.concurrentPerform(iterations: 4) { i in
                box.set(i, y.scalars)
                storages.set(i, ObjectIdentifier(y.plainStorage()))
            }
            #expect(Set((0..<4).map { storages.get($0) }).count == 1, "one conversion: every reader got the same storage")
            for i in 0..<4 {
                let got = try #require(box.get(i))
                #expect(zip(got, expected).allSatisfy { abs($0 - $1) <= 1e-4 * abs($1) + 1e-4 })
            }
        }
    }

    @Test("LeNet-style training steps are deterministic and match the reference backend")
    func training() throws {
        let a = try train(steps: 5, seed: 1), b = try train(steps: 5, seed: 1)
        #expect(a == b)
        let r = try Backend.with(.reference) { try train(steps: 5, seed: 1) }
        for (x, y) in zip(a, r) {
            let worst = zip(x, y).map { abs($0 - $1) }.max() ?? 0
            #expect(worst < 1e-3, "parameters differ by \(worst)")
        }
    }

    /// A few LeNet-5-shaped SGD steps from a fixed seed; returns the final parameters.
    private func train(steps: Int, seed: UInt64) throws -> [[Float]] {
        var gen = RandomGenerator(seed: seed)
        let conv1 = Tensor.randn([6, 1, 5, 5], std: 0.2, generator: &gen, requiresGrad: true)
        let conv2 = Tensor.randn([16, 6, 5, 5], std: 0.1, generator: &gen, requiresGrad: true)
        let fc = Tensor.randn([10, 400], std: 0.05, generator: &gen, requiresGrad: true)
        let params = [conv1, conv2, fc]
        for _ in 0..<steps {
            let x = Tensor.randn([8, 1, 28, 28], generator: &gen)
            var h = try maxPool2d(conv2d(x, conv1, padding: 2).relu(), kernel: 2)
            h = try maxPool2d(conv2d(h, conv2).relu(), kernel: 2)
            let loss = try crossEntropy(linear(flatten(h), weight: fc), labels: (0..<8).map { $0 % 10 })
            try loss.backward()
            for p in params {
                p.withUnsafeMutableBufferPointer { pb in
                    p.grad!.withUnsafeBufferPointer { gb in for i in pb.indices { pb[i] -= 0.1 * gb[i] } }
                }
                p.grad = nil
            }
        }
        return params.map(\.scalars)
    }
}
