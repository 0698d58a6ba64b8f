/// The operations that have two CPU implementations (``ComputeBackend``). The op layer checks
/// shapes and records autodiff; the kernels only compute. The reference kernels work on plain NCHW
/// memory; the oneDNN kernels also take and return tensors in oneDNN layouts (see ``Tensor``).
protocol ConvolutionKernels {
    /// y = x ⋆ w + b (cross-correlation), of shape `g.outputShape`.
    static func forward(_ g: Conv2dGeometry, x: Tensor, weight: Tensor, bias: Tensor?) throws -> Tensor
    /// dx = conv(dy, flip(w)), of shape `g.inputShape`.
    static func backwardData(_ g: Conv2dGeometry, dy: Tensor, weight: Tensor) throws -> Tensor
    /// dw = dy ⋆ x (plain OIHW) and, when `bias`, db = Σ dy.
    static func backwardWeights(_ g: Conv2dGeometry, x: Tensor, dy: Tensor, bias: Bool) throws -> (weight: Tensor, bias: Tensor?)
}

/// C[m×n] = alpha·op(A)·op(B) + beta·C, row-major (the GEMMs of `linear` and `matmul`).
protocol GemmKernels {
    static func sgemm(transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float,
                      a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
                      beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int) throws
}

extension GemmKernels {
    /// C = op(A)·op(B) (+ C when `accumulate`).
    static func multiply(transA: Bool = false, transB: Bool = false, m: Int, n: Int, k: Int,
                         a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
                         accumulate: Bool = false, c: UnsafeMutablePointer<Float>, ldc: Int) throws {
        try sgemm(transA: transA, transB: transB, m: m, n: n, k: k, alpha: 1, a: a, lda: lda, b: b, ldb: ldb,
                  beta: accumulate ? 1 : 0, c: c, ldc: ldc)
    }
}

/// The platform BLAS (OpenBLAS, Accelerate) as the reference GEMM.
enum ReferenceGemm: GemmKernels {
    static func sgemm(transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float,
                      a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
                      beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int) throws {
        BLAS.sgemm(transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda, b: b, ldb: ldb,
                   beta: beta, c: c, ldc: ldc)
    }
}

/// A pooling forward pass and, when a gradient is needed, the matching backward pass.
struct PoolingResult {
    var output: Tensor
    /// dY → dX; captures whatever the forward pass saved (argmax indices or a oneDNN workspace).
    var backward: ((Tensor) throws -> Tensor)?
}

protocol PoolingKernels {
    static func maxPool(_ g: Pool2dGeometry, x: Tensor, needsBackward: Bool) throws -> PoolingResult
    /// `countIncludePad`: the divisor is K_h·K_w (PyTorch's default) rather than the number of
    /// input pixels in the window.
    static func avgPool(_ g: Pool2dGeometry, x: Tensor, countIncludePad: Bool, needsBackward: Bool) throws -> PoolingResult
}

/// A batch-norm forward pass on x viewed as [N, C, S] (S = H·W, or 1 for 1-D batch norm).
struct BatchNormResult {
    var output: Tensor
    /// The batch mean and biased batch variance per channel (training only).
    var batchMean: [Float]
    var batchVariance: [Float]
    /// dY → (dX, dγ, dβ).
    var backward: ((Tensor) throws -> (Tensor, Tensor, Tensor))?
}

protocol BatchNormKernels {
    /// Normalises with the batch statistics.
    static func training(x: Tensor, channels: Int, gamma: Tensor, beta: Tensor, eps: Float,
                         needsBackward: Bool) throws -> BatchNormResult
    /// Normalises with the given (running) statistics.
    static func inference(x: Tensor, channels: Int, gamma: Tensor, beta: Tensor, mean: Tensor, variance: Tensor,
                          eps: Float, needsBackward: Bool) throws -> BatchNormResult
}

extension ComputeBackend {
    var convolution: any ConvolutionKernels.Type {
        switch self {
        case .reference: ReferenceConvolution.self
        case .oneDNN: OneDNNConvolution.self
        }
    }

    var gemm: any GemmKernels.Type {
        switch self {
        case .reference: ReferenceGemm.self
        case .oneDNN: OneDNNGemm.self
        }
    }

    var pooling: any PoolingKernels.Type {
        switch self {
        case .reference: ReferencePooling.self
        case .oneDNN: OneDNNPooling.self
        }
    }

    var batchNorm: any BatchNormKernels.Type {
        switch self {
        case .reference: ReferenceBatchNorm.self
        case .oneDNN: OneDNNBatchNorm.self
        }
    }
}
