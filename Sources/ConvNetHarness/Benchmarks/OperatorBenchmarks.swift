import ConvNet
/// Timings of single operators through the public API (so per-op overhead counts), as printed
/// by `convnet bench`.
public enum OperatorBenchmarks {
    /// Median times of one convolution: forward alone (no-grad), and forward + dX + dW + db.
    public struct ConvResult: Codable, Sendable {
        public var forwardMilliseconds: Double
        public var forwardBackwardMilliseconds: Double
        public var forwardGFlops: Double
        public var forwardBackwardGFlops: Double

        enum CodingKeys: String, CodingKey {
            case forwardMilliseconds = "forward_ms", forwardBackwardMilliseconds = "forward_backward_ms"
            case forwardGFlops = "gflops_forward", forwardBackwardGFlops = "gflops_forward_backward"
        }
    }

    /// Times `conv2d` on random data of the given geometry (bias included; its groups and dilation too).
    /// FLOPs: forward 2·N·C_out·H_out·W_out·(C_in/G)·K_h·K_w; forward + backward counts three times that.
    public static func convolution(_ g: Conv2dGeometry, budget: Double = 2) throws -> ConvResult {
        try g.validateForBenchmark()
        var gen = RandomGenerator(seed: 0)
        let x = Tensor.randn(g.inputShape, generator: &gen, requiresGrad: true)
        let w = Tensor.randn(g.weightShape, generator: &gen, requiresGrad: true)
        let b = Tensor.randn([g.outChannels], generator: &gen, requiresGrad: true)
        let upstream = Tensor.ones(g.outputShape)
        let stride = Size2(g.strideHeight, g.strideWidth), padding = Size2(g.padHeight, g.padWidth)
        let dilation = Size2(g.dilationHeight, g.dilationWidth)
        func convolve() throws -> Tensor {
            try conv2d(x, w, bias: b, stride: stride, padding: padding, dilation: dilation, groups: g.groups)
        }
        let forward = try Stopwatch.medianMilliseconds(budget: budget) {
            _ = try withNoGrad { try convolve() }
        }
        let both = try Stopwatch.medianMilliseconds(budget: budget) {
            let y = try convolve()
            _ = try gradients(of: y, withRespectTo: [x, w, b], upstream: upstream)
        }
        let flops = g.forwardFlops
        return ConvResult(forwardMilliseconds: forward, forwardBackwardMilliseconds: both,
                          forwardGFlops: flops / forward / 1e6, forwardBackwardGFlops: 3 * flops / both / 1e6)
    }

    /// Median times of conv → 2×2 max pool → ReLU (``conv2dMaxPoolReLU(_:_:bias:padding:path:)``)
    /// by each path: forward alone, and forward + dW + db (the input needs no gradient, as for a
    /// network's first block).
    public struct BlockResult: Codable, Sendable {
        /// One path's median times.
        public struct Timing: Codable, Sendable {
            /// Forward alone, without recording gradients.
            public var forwardMilliseconds: Double
            /// Forward, then dW and db.
            public var forwardBackwardMilliseconds: Double

            enum CodingKeys: String, CodingKey {
                case forwardMilliseconds = "forward_ms", forwardBackwardMilliseconds = "forward_backward_ms"
            }
        }

        /// The three operations on the current backend.
        public var unfused: Timing
        /// The fused kernel the automatic path runs here (AVX-512), when this CPU has it.
        public var fused: Timing?
        /// The fused kernel in portable C.
        public var fusedPortable: Timing

        enum CodingKeys: String, CodingKey {
            case unfused, fused = "fused_avx512", fusedPortable = "fused_portable"
        }
    }

    /// Times `conv2dMaxPoolReLU` on random data of the given geometry (stride 1, bias included).
    public static func convPoolReLU(_ g: Conv2dGeometry, budget: Double = 2) throws -> BlockResult {
        try g.validateForBenchmark(op: "bench block")
        guard g.strideHeight == 1, g.strideWidth == 1, g.outputShape[2] >= 2, g.outputShape[3] >= 2 else {
            throw ConvNetError(op: "bench block", "the block needs stride 1 and a convolution output of at least 2×2")
        }
        var gen = RandomGenerator(seed: 0)
        let x = Tensor.randn(g.inputShape, generator: &gen)
        let w = Tensor.randn(g.weightShape, std: 0.2, generator: &gen, requiresGrad: true)
        let b = Tensor.randn([g.outChannels], std: 0.2, generator: &gen, requiresGrad: true)
        let padding = Size2(g.padHeight, g.padWidth)
        func time(_ path: ConvPoolReLUPath) throws -> BlockResult.Timing {
            let forward = try Stopwatch.medianMilliseconds(budget: budget) {
                _ = try withNoGrad { try conv2dMaxPoolReLU(x, w, bias: b, padding: padding, path: path) }
            }
            let both = try Stopwatch.medianMilliseconds(budget: budget) {
                let y = try conv2dMaxPoolReLU(x, w, bias: b, padding: padding, path: path)
                _ = try gradients(of: y, withRespectTo: [w, b], upstream: Tensor.ones(y.shape))
            }
            return .init(forwardMilliseconds: forward, forwardBackwardMilliseconds: both)
        }
        return BlockResult(unfused: try time(.unfused),
                           fused: ConvPoolReLUPath.avx512Available ? try time(.fusedAVX512) : nil,
                           fusedPortable: try time(.fusedPortable))
    }

    /// Median time of one SGEMM C[M×N] = A[M×K]·B[K×N].
    public struct GemmResult: Codable, Sendable {
        public var milliseconds: Double
        public var gflops: Double

        enum CodingKeys: String, CodingKey { case milliseconds = "ms", gflops }
    }

    /// Times the platform BLAS's sgemm; 2·M·N·K FLOPs.
    public static func gemm(m: Int, n: Int, k: Int, budget: Double = 2) throws -> GemmResult {
        guard m > 0, n > 0, k > 0 else { throw ConvNetError(op: "bench gemm", "sizes \(m)×\(n)×\(k) must all be positive") }
        // BLAS takes 32-bit sizes and leading dimensions.
        guard [m, n, k].allSatisfy({ $0 <= Int(Int32.max) }) else {
            throw ConvNetError(op: "bench gemm", "sizes \(m)×\(n)×\(k) must each be below 2^31")
        }
        let bytes = try MemoryBudget.floatBytes([[m, k], [k, n], [m, n]], op: "bench gemm", what: "A, B and C")
        try MemoryBudget.require(bytes, op: "bench gemm", what: "A[\(m)×\(k)], B[\(k)×\(n)] and C[\(m)×\(n)]")
        var gen = RandomGenerator(seed: 0)
        let a = Tensor.randn([m, k], generator: &gen), b = Tensor.randn([k, n], generator: &gen)
        let c = Tensor.zeros([m, n])
        let ms = Stopwatch.medianMilliseconds(budget: budget) {
            BLAS.sgemm(m: m, n: n, k: k, a: a.plainStorage().pointer, lda: k, b: b.plainStorage().pointer, ldb: n,
                       c: c.plainStorage().pointer, ldc: n)
        }
        return GemmResult(milliseconds: ms, gflops: 2 * Double(m) * Double(n) * Double(k) / ms / 1e6)
    }
}

extension Conv2dGeometry {
    /// The checks `conv2d` makes, before any allocation.
    /// Positive sizes, a valid geometry, and room for x, W, y, the upstream gradient, dX and dW
    /// (twice the input, weights and output) plus the reference backend's im2col buffer.
    func validateForBenchmark(op: String = "bench conv") throws {
        guard batch > 0, inChannels > 0, height > 0, width > 0, outChannels > 0 else {
            throw ConvNetError(op: op, "N, C, H, W and C_out must be positive, got \(inputShape) → \(outChannels)")
        }
        try validate(op: op)
        let columns = [inChannelsPerGroup, kernelHeight, kernelWidth, outHeight, outWidth]  // one group's im2col
        let bytes = try MemoryBudget.floatBytes([inputShape, inputShape, weightShape, weightShape, outputShape, outputShape, columns],
                                                op: op, what: "the tensors")
        try MemoryBudget.require(bytes, op: op, what: "input \(inputShape) → output \(outputShape)")
    }
}
