/// The operations that have a kernel per ``ComputeBackend``. The op layer (`Ops`) checks shapes,
/// picks the current backend's kernels (`Backends/Backend.swift`) and records autodiff; the kernels
/// only compute. Every kernel with a backward pass has the same shape: its forward call returns a
/// ``KernelResult`` whose closure computes the gradients from dY with whatever the forward pass
/// saved. The reference kernels work on plain NCHW memory; the oneDNN kernels also take and return
/// tensors in oneDNN's own layouts (see ``Tensor``).

/// A kernel's output and, when asked for, its backward pass.
struct KernelResult<Gradients> {
    var output: Tensor
    /// dY → the gradients of the inputs; captures what the forward pass saved (argmax indices, a
    /// oneDNN workspace, batch statistics). `nil` unless the forward call was asked for a backward pass.
    var backward: ((Tensor) throws -> Gradients)?
}

/// Which gradients a backward pass computes.
struct GradientsWanted: Sendable {
    /// dL/dX.
    var input: Bool
    /// dL/dW and dL/db (computed together).
    var parameters: Bool

    /// No backward pass at all.
    var none: Bool { !input && !parameters }
}

/// dL/dX, dL/dW and dL/db of a convolution; `nil` where not asked for (or no bias).
struct ConvolutionGradients {
    var input, weight, bias: Tensor?
}

protocol ConvolutionKernels {
    /// y = x ⋆ w + b (cross-correlation), of shape `g.outputShape`, and the backward pass for `wanted`.
    static func convolution(_ g: Conv2dGeometry, x: Tensor, weight: Tensor, bias: Tensor?,
                            wanted: GradientsWanted) throws -> KernelResult<ConvolutionGradients>
}

/// Convolution kernels written as the three passes of the textbook (both backends are); the
/// protocol's ``ConvolutionKernels/convolution(_:x:weight:bias:wanted:)`` composes them.
protocol ConvolutionPasses: ConvolutionKernels {
    /// y = x ⋆ w + b.
    static func forward(_ g: Conv2dGeometry, x: Tensor, weight: Tensor, bias: Tensor?) throws -> Tensor
    /// dx = conv(dy, flip(w)), of shape `g.inputShape`.
    static func backwardData(_ g: Conv2dGeometry, dy: Tensor, weight: Tensor) throws -> Tensor
    /// dw = dy ⋆ x (plain OIHW) and, when `bias`, db = Σ dy.
    static func backwardWeights(_ g: Conv2dGeometry, x: Tensor, dy: Tensor, bias: Bool) throws -> (weight: Tensor, bias: Tensor?)
}

extension ConvolutionPasses {
    static func convolution(_ g: Conv2dGeometry, x: Tensor, weight: Tensor, bias: Tensor?,
                            wanted: GradientsWanted) throws -> KernelResult<ConvolutionGradients> {
        let y = try forward(g, x: x, weight: weight, bias: bias)
        guard !wanted.none else { return KernelResult(output: y) }
        return KernelResult(output: y) { dy in
            var gradients = ConvolutionGradients()
            if wanted.input { gradients.input = try backwardData(g, dy: dy, weight: weight) }
            if wanted.parameters {
                (gradients.weight, gradients.bias) = try backwardWeights(g, x: x, dy: dy, bias: bias != nil)
            }
            return gradients
        }
    }
}

protocol PoolingKernels {
    /// The maximum of each window; backward: dY to each window's (first) maximum.
    static func maxPool(_ g: Pool2dGeometry, x: Tensor, needsBackward: Bool) throws -> KernelResult<Tensor>
    /// The mean of each window. `countIncludePad`: the divisor is K_h·K_w (PyTorch's default)
    /// rather than the number of input pixels in the window.
    static func avgPool(_ g: Pool2dGeometry, x: Tensor, countIncludePad: Bool,
                        needsBackward: Bool) throws -> KernelResult<Tensor>
}

/// dL/dX, dL/dγ and dL/dβ of batch normalisation.
struct BatchNormGradients {
    var input, weight, bias: Tensor
}

/// The batch mean and biased batch variance per channel, from a training-mode forward pass.
struct BatchStatistics {
    var mean: [Float]
    var variance: [Float]
}

/// Batch normalisation on x viewed as [N, C, S] (S = H·W, or 1 for 1-D batch norm).
protocol BatchNormKernels {
    /// Normalises with the batch statistics, and returns them.
    static func training(x: Tensor, channels: Int, gamma: Tensor, beta: Tensor, eps: Float,
                         needsBackward: Bool) throws -> (KernelResult<BatchNormGradients>, BatchStatistics)
    /// Normalises with the given (running) statistics.
    static func inference(x: Tensor, channels: Int, gamma: Tensor, beta: Tensor, mean: Tensor, variance: Tensor,
                          eps: Float, needsBackward: Bool) throws -> KernelResult<BatchNormGradients>
}

protocol ActivationKernels {
    /// max(0, x) as `torch.relu` (NaN stays NaN); backward: dX = dY where y > 0 or y is NaN, else 0.
    static func relu(_ x: Tensor, needsBackward: Bool) throws -> KernelResult<Tensor>
}

protocol ElementwiseKernels {
    /// a + b, broadcasting as PyTorch (not recorded; its backward needs no kernel).
    static func add(_ a: Tensor, _ b: Tensor) throws -> Tensor
}

protocol ConcatKernels {
    /// The tensors joined along `dim` into one of `outputShape` (not recorded; the op slices the gradient).
    static func concat(_ tensors: [Tensor], dim: Int, outputShape: [Int]) throws -> Tensor
}

/// A network's first block, conv → 2×2 max pool → ReLU, in one kernel where a backend has one
/// that applies (see ``conv2dMaxPoolReLU(_:_:bias:padding:path:)``).
protocol FusedBlockKernels {
    /// Whether this backend's fused kernel computes the block for these operands.
    static func fits(x: Tensor, weight: Tensor, bias: Tensor?, padding: Size2, wanted: GradientsWanted) -> Bool
    /// The block's output and backward pass (dW, db; never dX), or `nil` where this backend
    /// computes it as the three operations.
    static func convMaxPoolReLU(x: Tensor, weight: Tensor, bias: Tensor?, padding: Size2,
                                wanted: GradientsWanted) throws -> KernelResult<ConvolutionGradients>?
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

/// A convolution prepared for inference: weights (with batch norm already folded in) fixed at
/// creation, and optionally a residual sum and ReLU applied to its output in the same pass.
protocol InferenceConvolution: AnyObject {
    /// relu?(conv(x) + b + residual?), `residual` of the output's shape when the step sums one.
    /// `reuseResidual`: nothing reads the residual afterwards, so its memory may hold the result.
    func run(x: Tensor, residual: Tensor?, reuseResidual: Bool) throws -> Tensor
}

protocol InferenceConvolutionKernels {
    /// A step for `g` with these (folded) weights; `sum`: add a residual; `relu`: rectify last;
    /// `layout`: the activation layout its kernels read and write; `precision`: what it multiplies in.
    static func make(_ g: Conv2dGeometry, weight: Tensor, bias: Tensor, sum: Bool, relu: Bool,
                     layout: InferenceLayout, precision: InferencePrecision) throws -> any InferenceConvolution
}

/// What a frozen model's fused convolutions multiply in. Activations between operations, biases,
/// residual sums and the accumulation stay 32-bit floats either way.
public enum InferencePrecision: String, Sendable, CaseIterable {
    /// 32-bit floats throughout: the eager model's results up to rounding (the default).
    case float32
    /// Inputs and weights rounded to bfloat16 (8 significant bits) and multiplied by the CPU's
    /// bfloat16 dot-product instructions (AVX-512 BF16), accumulated in 32-bit floats: about twice
    /// the throughput, with results that differ from float32 by ~1 % of their scale.
    case bfloat16
}

/// The activation layout of a frozen model's fused convolutions.
public enum InferenceLayout: String, Sendable, CaseIterable {
    /// Channels last (NHWC): what oneDNN chooses for inference, its brgemm kernels.
    case channelsLast = "channels-last"
    /// Blocks of 16 channels (nChw16c): oneDNN's direct kernels, the layout of the training path.
    case blocked
}
