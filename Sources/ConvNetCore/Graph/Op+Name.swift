extension Op {
    /// An operation without its attributes, named as people read it (PyTorch's name where it has
    /// one): what a name in a file identifies (a golden case's `op`), for error messages, printed
    /// graphs and traces. Only parsing reads names; everything else switches on ``Op``.
    public enum Kind: String, CaseIterable, Sendable {
        case conv2d
        case convMaxPoolReLU = "conv_maxpool_relu"
        case maxPool2d = "maxpool2d"
        case avgPool2d = "avgpool2d"
        case globalAvgPool2d = "global_avgpool"
        case adaptiveAvgPool2d = "adaptive_avgpool2d"
        case batchNorm1d = "batchnorm1d"
        case batchNorm2d = "batchnorm2d"
        case synchronizedBatchNorm = "sync_batchnorm"
        case localResponseNorm = "local_response_norm"
        case layerNorm = "layer_norm"
        case relu
        case leakyRelu = "leaky_relu"
        case sigmoid
        case tanh
        case exp
        case log
        case erf
        case square
        case relu6
        case hardswish
        case hardsigmoid
        case silu
        case gelu
        case clamp
        case add
        case sub
        case mul
        case div
        case addScalar = "add_scalar"
        case mulScalar = "mul_scalar"
        case dropout
        case linear
        case matmul
        case reshape
        case flatten
        case permute
        case transpose
        case slice
        case stridedSlice = "strided_slice"
        case pad
        case channelShuffle = "channel_shuffle"
        case concat
        case sum
        case mean
        case sumAlong = "sum_dim"
        case maxAlong = "max_dim"
        case softmax
        case logSoftmax = "log_softmax"
        case crossEntropy = "cross_entropy"
        case focalLoss = "focal_loss"
        case nllLoss = "nll_loss"
        case mseLoss = "mse_loss"
    }

    /// What kind of operation this is.
    public var kind: Kind {
        switch self {
        case .conv2d: .conv2d
        case .convMaxPoolReLU: .convMaxPoolReLU
        case .maxPool2d: .maxPool2d
        case .avgPool2d: .avgPool2d
        case .globalAvgPool2d: .globalAvgPool2d
        case .adaptiveAvgPool2d: .adaptiveAvgPool2d
        case .batchNorm(let a): a.spatial ? .batchNorm2d : .batchNorm1d
        case .synchronizedBatchNorm: .synchronizedBatchNorm
        case .localResponseNorm: .localResponseNorm
        case .layerNorm: .layerNorm
        case .relu: .relu
        case .leakyRelu: .leakyRelu
        case .sigmoid: .sigmoid
        case .tanh: .tanh
        case .exp: .exp
        case .log: .log
        case .erf: .erf
        case .square: .square
        case .relu6: .relu6
        case .hardswish: .hardswish
        case .hardsigmoid: .hardsigmoid
        case .silu: .silu
        case .gelu: .gelu
        case .clamp: .clamp
        case .add: .add
        case .sub: .sub
        case .mul: .mul
        case .div: .div
        case .addScalar: .addScalar
        case .mulScalar: .mulScalar
        case .dropout: .dropout
        case .linear: .linear
        case .matmul: .matmul
        case .reshape: .reshape
        case .flatten: .flatten
        case .permute: .permute
        case .transpose: .transpose
        case .slice: .slice
        case .stridedSlice: .stridedSlice
        case .pad: .pad
        case .channelShuffle: .channelShuffle
        case .concat: .concat
        case .sum: .sum
        case .mean: .mean
        case .sumAlong: .sumAlong
        case .maxAlong: .maxAlong
        case .softmax: .softmax
        case .logSoftmax: .logSoftmax
        case .crossEntropy: .crossEntropy
        case .focalLoss: .focalLoss
        case .nllLoss: .nllLoss
        case .mseLoss: .mseLoss
        }
    }

    /// The operation's name as people read it (``Kind``'s raw value): for error messages, printed
    /// graphs and traces. Nothing dispatches on it.
    public var name: String { kind.rawValue }
}
