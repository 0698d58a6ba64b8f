/// One operation of the library: what it computes, with every attribute but its tensors.
///
/// Autodiff nodes, traces, the inference planner and the ONNX exporter switch on it; an operation
/// is never identified by a string (``name`` is for people: error messages, printed graphs). The
/// tensors an operation reads are its inputs, in the order each case documents (`nil` where an
/// optional input, such as a missing bias, is not given): weights and running statistics are
/// inputs like activations, so that a trace or a graph sees every tensor a result depends on.
public enum Op: Hashable, Sendable {
    // MARK: Convolution and pooling

    /// 2-D convolution of geometry `g` (``conv2d(_:_:bias:stride:padding:)``). Inputs: x, weight, bias?.
    case conv2d(Conv2dGeometry)
    /// `relu(maxPool2d(conv2d(x), 2))` in one kernel (``conv2dMaxPoolReLU(_:_:bias:padding:path:)``):
    /// the convolution `g` and its pooling `pool`. Inputs: x, weight, bias?.
    case convMaxPoolReLU(Conv2dGeometry, pool: Pool2dGeometry)
    /// Max pooling of geometry `g`. Input: x.
    case maxPool2d(Pool2dGeometry)
    /// Average pooling of geometry `g`; the divisor counts padded zeros when `countIncludePad`. Input: x.
    case avgPool2d(Pool2dGeometry, countIncludePad: Bool)
    /// The mean of each channel's plane, `[N, C, 1, 1]`. Input: x.
    case globalAvgPool2d
    /// Average pooling to `outputSize` with PyTorch's adaptive windows. Input: x.
    case adaptiveAvgPool2d(outputSize: Size2)

    // MARK: Normalisation

    /// Batch normalisation over `[N, C]` or `[N, C, H, W]`. Inputs: x, weight?, bias?, running mean?,
    /// running variance? (required in evaluation; updated in place in training).
    case batchNorm(BatchNormAttributes)
    /// Batch normalisation with statistics over every rank of a data-parallel run (training mode).
    /// Inputs as ``batchNorm(_:)``; `replicas` is the allreduce that sums over them.
    case synchronizedBatchNorm(BatchNormAttributes, replicas: ReplicaGroup)
    /// Local response normalisation across channels, PyTorch's parameters. Input: x.
    case localResponseNorm(size: Int, alpha: Float, beta: Float, k: Float)
    /// Layer normalisation over dimension `axis` (non-negative) at every other position, biased
    /// variance plus `eps` (``layerNorm(_:axis:weight:bias:eps:)``). Inputs: x, weight?, bias?.
    case layerNorm(axis: Int, eps: Float)

    // MARK: Elementwise

    /// max(0, x) (NaN stays NaN). Input: x.
    case relu
    /// x for x > 0, else `negativeSlope`·x. Input: x.
    case leakyRelu(negativeSlope: Float)
    /// 1 / (1 + e^(−x)). Input: x.
    case sigmoid
    /// tanh x. Input: x.
    case tanh
    /// e^x. Input: x.
    case exp
    /// ln x. Input: x.
    case log
    /// The error function, erf x = (2/√π)∫₀ˣ e^(−t²) dt (``Tensor/erf()``). Input: x.
    case erf
    /// x². Input: x.
    case square
    /// min(max(x, 0), 6) (``Tensor/relu6()``; NaN stays NaN). Input: x.
    case relu6
    /// x · relu6(x + 3) / 6 (``Tensor/hardswish()``). Input: x.
    case hardswish
    /// relu6(x + 3) / 6 (``Tensor/hardsigmoid()``). Input: x.
    case hardsigmoid
    /// x · σ(x) (``Tensor/silu()``). Input: x.
    case silu
    /// x · Φ(x), exactly or by PyTorch's tanh formula (``Tensor/gelu(approximate:)``). Input: x.
    case gelu(approximate: GELUApproximation)
    /// x limited to `[min, max]` (NaN stays NaN). Input: x.
    case clamp(min: Float, max: Float)
    /// a + b, broadcasting. Inputs: a, b.
    case add
    /// a − b, broadcasting. Inputs: a, b.
    case sub
    /// a · b, broadcasting. Inputs: a, b.
    case mul
    /// a / b, broadcasting. Inputs: a, b.
    case div
    /// x + s (also x − s as x + (−s)). Input: x.
    case addScalar(Float)
    /// x · s (also x / s as x · (1/s), and −x). Input: x.
    case mulScalar(Float)
    /// Zeroes each value with probability `p` and scales the rest by 1/(1 − p) (training mode).
    /// Inputs: x, the drawn mask (0 or 1/(1 − p) per value).
    case dropout(p: Float)

    // MARK: Matrix products

    /// `x · weightᵀ + bias`. Inputs: x, weight, bias?.
    case linear
    /// The matrix product of two 2-D tensors. Inputs: a, b.
    case matmul

    // MARK: Shapes

    /// The same values viewed as `shape`. Input: x.
    case reshape(shape: [Int])
    /// Dimensions `startDim…` collapsed into one. Input: x.
    case flatten(startDim: Int)
    /// The dimensions reordered: output dimension i is input dimension `permutation[i]`. Input: x.
    case permute([Int])
    /// The transpose of a 2-D tensor. Input: x.
    case transpose
    /// Rows `range` of dimension 0. Input: x.
    case slice(Range<Int>)
    /// `count[d]` values of each dimension d from `start[d]` every `step[d]`. Input: x.
    case stridedSlice(start: [Int], step: [Int], count: [Int])
    /// Padded with `value`: `before[d]` and `after[d]` values around each dimension d. Input: x.
    case pad(before: [Int], after: [Int], value: Float)
    /// The channels of `[N, C, H, W]` viewed as `[N, groups, C/groups, H, W]`, dimensions 1 and 2
    /// swapped, flattened back (``channelShuffle(_:groups:)``). Input: x.
    case channelShuffle(groups: Int)
    /// The inputs joined along `dim` (non-negative). Inputs: the tensors joined.
    case concat(dim: Int)

    // MARK: Reductions and softmax

    /// The sum of all values (a scalar). Input: x.
    case sum
    /// The mean of all values (a scalar). Input: x.
    case mean
    /// The sum along `dim` (non-negative), which is kept with size 1 when `keepDims`. Input: x.
    case sumAlong(dim: Int, keepDims: Bool)
    /// The maximum along `dim` (non-negative), kept with size 1 when `keepDims`. Input: x.
    case maxAlong(dim: Int, keepDims: Bool)
    /// Softmax along `dim` (non-negative). Input: x.
    case softmax(dim: Int)
    /// Log-softmax along `dim` (non-negative). Input: x.
    case logSoftmax(dim: Int)

    // MARK: Losses

    /// Cross-entropy of logits against class labels. Inputs: logits `[N, C]`, labels `[N]` (class
    /// indices as values).
    case crossEntropy(labelSmoothing: Float, reduction: Reduction)
    /// Focal loss of logits against class labels. Inputs: logits, labels (as ``crossEntropy(labelSmoothing:reduction:)``).
    case focalLoss(gamma: Float, reduction: Reduction)
    /// Negative log-likelihood of log-probabilities against class labels. Inputs: log-probabilities, labels.
    case nllLoss(reduction: Reduction)
    /// Mean squared error. Inputs: x, target.
    case mseLoss(reduction: Reduction)
}

/// The attributes of a batch normalisation.
public struct BatchNormAttributes: Hashable, Sendable {
    /// Batch statistics (and running statistics updated) when true; running statistics when false.
    public var training: Bool
    /// PyTorch's momentum: the weight of a new batch's statistics in the running ones.
    public var momentum: Float
    /// Added to the variance before its square root.
    public var eps: Float
    /// Whether the input is `[N, C, H, W]` (2-D batch norm) rather than `[N, C]`.
    public var spatial: Bool

    public init(training: Bool, momentum: Float, eps: Float, spatial: Bool) {
        (self.training, self.momentum, self.eps, self.spatial) = (training, momentum, eps, spatial)
    }
}
