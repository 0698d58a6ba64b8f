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

    /// Times `conv2d` on random data of the given geometry (bias included).
    /// FLOPs: forward 2·N·C_out·H_out·W_out·C_in·K_h·K_w; forward + backward counts three times that.
    public static func convolution(_ g: Conv2dGeometry, budget: Double = 2) throws -> ConvResult {
        try g.validateForBenchmark()
        var gen = RandomGenerator(seed: 0)
        let x = Tensor.randn(g.inputShape, generator: &gen, requiresGrad: true)
        let w = Tensor.randn(g.weightShape, generator: &gen, requiresGrad: true)
        let b = Tensor.randn([g.outChannels], generator: &gen, requiresGrad: true)
        let upstream = Tensor.ones(g.outputShape)
        let stride = Size2(g.strideHeight, g.strideWidth), padding = Size2(g.padHeight, g.padWidth)
        let forward = try Stopwatch.medianMilliseconds(budget: budget) {
            _ = try withNoGrad { try conv2d(x, w, bias: b, stride: stride, padding: padding) }
        }
        let both = try Stopwatch.medianMilliseconds(budget: budget) {
            let y = try conv2d(x, w, bias: b, stride: stride, padding: padding)
            _ = try gradients(of: y, withRespectTo: [x, w, b], upstream: upstream)
        }
        let flops = g.forwardFlops
        return ConvResult(forwardMilliseconds: forward, forwardBackwardMilliseconds: both,
                          forwardGFlops: flops / forward / 1e6, forwardBackwardGFlops: 3 * flops / both / 1e6)
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
        var gen = RandomGenerator(seed: 0)
        let a = Tensor.randn([m, k], generator: &gen), b = Tensor.randn([k, n], generator: &gen)
        let c = Tensor.zeros([m, n])
        let ms = Stopwatch.medianMilliseconds(budget: budget) {
            BLAS.sgemm(m: m, n: n, k: k, a: a.storage.pointer, lda: k, b: b.storage.pointer, ldb: n,
                       c: c.storage.pointer, ldc: n)
        }
        return GemmResult(milliseconds: ms, gflops: 2 * Double(m) * Double(n) * Double(k) / ms / 1e6)
    }
}

extension Conv2dGeometry {
    /// The checks `conv2d` makes, before any allocation.
    func validateForBenchmark() throws {
        guard batch > 0, inChannels > 0, height > 0, width > 0, outChannels > 0 else {
            throw ConvNetError(op: "bench conv", "N, C, H, W and C_out must be positive, got \(inputShape) → \(outChannels)")
        }
        try validate()
    }
}
