/// 2-D convolution layer with `weight [out, in/groups, k_h, k_w]` and optional `bias [out]`
/// (PyTorch's `nn.Conv2d`, initialised like it unless told otherwise); see
/// ``conv2d(_:_:bias:stride:padding:dilation:groups:)`` for what `dilation` and `groups` do.
public final class Conv2d: Module {
    @Parameter public private(set) var weight: Tensor
    @Parameter public private(set) var bias: Tensor?
    public let stride: Size2, padding: Size2
    /// The distance between kernel taps (1: an ordinary convolution).
    public let dilation: Size2
    /// Channel groups: output group g sees only input group g (`inChannels`: depthwise).
    public let groups: Int

    /// A convolution from `inChannels` to `outChannels` with a `kernelSize` kernel (an integer
    /// means square), initialised like PyTorch (U(±1/√fan_in)) from the current ``GlobalGenerator``.
    public convenience init(_ inChannels: Int, _ outChannels: Int, kernelSize: Size2, stride: Size2 = 1, padding: Size2 = 0,
                            bias: Bool = true) {
        self.init(checked: inChannels, outChannels, kernelSize: kernelSize, stride: stride, padding: padding, dilation: 1,
                  groups: 1, bias: bias)
    }

    /// A grouped or dilated convolution (PyTorch's `nn.Conv2d(…, dilation=, groups=)`): weight
    /// `[outChannels, inChannels/groups, K_h, K_w]`, initialised like PyTorch, U(±1/√fan_in) with
    /// fan_in = (inChannels/groups)·K_h·K_w (PyTorch computes it from `weight.shape[1]`).
    /// - Throws: ``ConvNetError`` unless `groups` is positive and divides both channel counts, and
    ///   `dilation` is positive.
    public convenience init(_ inChannels: Int, _ outChannels: Int, kernelSize: Size2, stride: Size2 = 1, padding: Size2 = 0,
                            dilation: Size2 = 1, groups: Int = 1, bias: Bool = true) throws {
        let op = "Conv2d"
        guard groups > 0 else { throw ConvNetError(op: op, "groups \(groups) must be positive") }
        guard inChannels % groups == 0 else {
            throw ConvNetError(op: op, "in_channels \(inChannels) must be divisible by groups \(groups)")
        }
        guard outChannels % groups == 0 else {
            throw ConvNetError(op: op, "out_channels \(outChannels) must be divisible by groups \(groups)")
        }
        guard dilation.height > 0, dilation.width > 0 else {
            throw ConvNetError(op: op, "dilation \(dilation) must be positive")
        }
        self.init(checked: inChannels, outChannels, kernelSize: kernelSize, stride: stride, padding: padding,
                  dilation: dilation, groups: groups, bias: bias)
    }

    private init(checked inChannels: Int, _ outChannels: Int, kernelSize: Size2, stride: Size2, padding: Size2,
                 dilation: Size2, groups: Int, bias: Bool) {
        weight = Tensor.zeros([outChannels, inChannels / groups, kernelSize.height, kernelSize.width], requiresGrad: true)
        self.bias = bias ? Tensor.zeros([outChannels], requiresGrad: true) : nil
        (self.stride, self.padding, self.dilation, self.groups) = (stride, padding, dilation, groups)
        super.init()
        GlobalGenerator.withGenerator { Initializer.pytorchDefault(weight: weight, bias: self.bias, generator: &$0) }
    }

    public func forward(_ input: Tensor) throws -> Tensor {
        try conv2d(input, weight, bias: bias, stride: stride, padding: padding, dilation: dilation, groups: groups)
    }
}

/// Fully connected layer, `y = x·Wᵀ + b`, `weight [out, in]` (PyTorch's `nn.Linear`).
public final class Linear: Module {
    @Parameter public private(set) var weight: Tensor
    @Parameter public private(set) var bias: Tensor?

    /// A layer from `inFeatures` to `outFeatures`, initialised like PyTorch (U(±1/√in)).
    public init(_ inFeatures: Int, _ outFeatures: Int, bias: Bool = true) {
        weight = Tensor.zeros([outFeatures, inFeatures], requiresGrad: true)
        self.bias = bias ? Tensor.zeros([outFeatures], requiresGrad: true) : nil
        super.init()
        GlobalGenerator.withGenerator { Initializer.pytorchDefault(weight: weight, bias: self.bias, generator: &$0) }
    }

    public func forward(_ input: Tensor) throws -> Tensor {
        try linear(input, weight: weight, bias: bias)
    }
}

/// Max pooling layer (stride defaults to the kernel size; `ceilMode` rounds the output size up,
/// as PyTorch's `ceil_mode=True`).
public final class MaxPool2d: Module {
    public let kernelSize: Size2, stride: Size2?, padding: Size2
    public let ceilMode: Bool

    /// Max pooling over `kernelSize` windows; `stride` defaults to the kernel size.
    public init(kernelSize: Size2, stride: Size2? = nil, padding: Size2 = 0, ceilMode: Bool = false) {
        (self.kernelSize, self.stride, self.padding, self.ceilMode) = (kernelSize, stride, padding, ceilMode)
    }

    public func forward(_ input: Tensor) throws -> Tensor {
        try maxPool2d(input, kernel: kernelSize, stride: stride, padding: padding, ceilMode: ceilMode)
    }
}

/// Average pooling layer (padding counted, like PyTorch's default).
public final class AvgPool2d: Module {
    public let kernelSize: Size2, stride: Size2?, padding: Size2
    public let countIncludePad: Bool

    /// Average pooling over `kernelSize` windows; `stride` defaults to the kernel size.
    public init(kernelSize: Size2, stride: Size2? = nil, padding: Size2 = 0, countIncludePad: Bool = true) {
        (self.kernelSize, self.stride, self.padding, self.countIncludePad) = (kernelSize, stride, padding, countIncludePad)
    }

    public func forward(_ input: Tensor) throws -> Tensor {
        try avgPool2d(input, kernel: kernelSize, stride: stride, padding: padding, countIncludePad: countIncludePad)
    }
}

/// `[N, C, H, W]` → `[N, C, 1, 1]` channel means (`nn.AdaptiveAvgPool2d(1)`).
public final class GlobalAvgPool2d: Module {
    public override init() {}
    public func forward(_ input: Tensor) throws -> Tensor { try globalAvgPool2d(input) }
}

/// Batch normalisation with learnable `weight` (γ) and `bias` (β) and the buffers `running_mean`,
/// `running_var` and `num_batches_tracked`, as PyTorch's `nn.BatchNorm1d/2d`.
public class BatchNorm: Module {
    @Parameter public private(set) var weight: Tensor
    @Parameter public private(set) var bias: Tensor
    @Buffer public private(set) var runningMean: Tensor
    @Buffer public private(set) var runningVar: Tensor
    /// Number of training batches seen (a float tensor here; PyTorch keeps an int64).
    @Buffer public private(set) var numBatchesTracked: Tensor
    public let momentum: Float, eps: Float
    /// When set, training mode normalises with statistics over every replica's batch, summed by
    /// this allreduce (PyTorch's `nn.SyncBatchNorm`; see ``synchronizedBatchNorm(_:weight:bias:runningMean:runningVar:momentum:eps:sumAcrossReplicas:)``).
    /// `nil` (the default): statistics of this replica's batch alone. Evaluation mode ignores it.
    /// Set it on a whole model with ``Forwarding/synchronizeBatchNorm(using:)``.
    public var sumAcrossReplicas: ReplicaSum?
    let expectedRank: Int

    init(_ features: Int, eps: Float, momentum: Float, rank: Int) {
        weight = Tensor.ones([features], requiresGrad: true)
        bias = Tensor.zeros([features], requiresGrad: true)
        _runningMean = Buffer(wrappedValue: Tensor.zeros([features]), name: "running_mean")
        _runningVar = Buffer(wrappedValue: Tensor.ones([features]), name: "running_var")
        _numBatchesTracked = Buffer(wrappedValue: Tensor.zeros([]), name: "num_batches_tracked")
        (self.eps, self.momentum, expectedRank) = (eps, momentum, rank)
    }

    public func forward(_ input: Tensor) throws -> Tensor {
        guard input.rank == expectedRank else {
            throw ConvNetError(op: "BatchNorm\(expectedRank == 4 ? "2d" : "1d")",
                               "expects a rank-\(expectedRank) input, got \(input.shape)")
        }
        if isTraining, let sumAcrossReplicas {
            let output = try synchronizedBatchNorm(input, weight: weight, bias: bias, runningMean: runningMean,
                                                   runningVar: runningVar, momentum: momentum, eps: eps,
                                                   sumAcrossReplicas: sumAcrossReplicas)
            numBatchesTracked.withUnsafeMutableBufferPointer { $0[0] += 1 }
            return output
        }
        if isTraining { numBatchesTracked.withUnsafeMutableBufferPointer { $0[0] += 1 } }
        return try batchNorm(input, weight: weight, bias: bias, runningMean: runningMean, runningVar: runningVar,
                             training: isTraining, momentum: momentum, eps: eps)
    }
}

/// Batch norm over `[N, C]` features.
public final class BatchNorm1d: BatchNorm {
    /// Batch norm over `features` features: γ = 1, β = 0, running mean 0 and variance 1.
    public init(_ features: Int, eps: Float = 1e-5, momentum: Float = 0.1) {
        super.init(features, eps: eps, momentum: momentum, rank: 2)
    }
}

/// Batch norm over the channels of `[N, C, H, W]`.
public final class BatchNorm2d: BatchNorm {
    /// Batch norm over `channels` channels: γ = 1, β = 0, running mean 0 and variance 1.
    public init(_ channels: Int, eps: Float = 1e-5, momentum: Float = 0.1) {
        super.init(channels, eps: eps, momentum: momentum, rank: 4)
    }
}

/// Inverted dropout, active in training mode only. Masks come from the global generator.
public final class Dropout: Module {
    /// Probability of dropping an element.
    public let p: Float

    /// Drops each element with probability `p` in training mode.
    public init(p: Float = 0.5) { self.p = p }

    public func forward(_ input: Tensor) throws -> Tensor {
        guard isTraining, p > 0 else { return input }
        return try GlobalGenerator.withGenerator { try dropout(input, p: p, training: true, generator: &$0) }
    }
}

/// Local response normalisation across channels (AlexNet).
public final class LocalResponseNorm: Module {
    public let size: Int, alpha: Float, beta: Float, k: Float

    /// Normalisation over `size` neighbouring channels (see ``localResponseNorm(_:size:alpha:beta:k:)``).
    public init(size: Int, alpha: Float = 1e-4, beta: Float = 0.75, k: Float = 1) {
        (self.size, self.alpha, self.beta, self.k) = (size, alpha, beta, k)
    }

    public func forward(_ input: Tensor) throws -> Tensor {
        try localResponseNorm(input, size: size, alpha: alpha, beta: beta, k: k)
    }
}

/// `[N, …]` → `[N, ∏…]`.
public final class Flatten: Module {
    public let startDim: Int
    /// Flattens dimensions from `startDim` on.
    public init(startDim: Int = 1) { self.startDim = startDim }
    public func forward(_ input: Tensor) throws -> Tensor { try flatten(input, startDim: startDim) }
}

/// max(0, x).
public final class ReLU: Module {
    public override init() {}
    public func forward(_ input: Tensor) throws -> Tensor { try input.relu() }
}

/// x for x > 0, else slope·x.
public final class LeakyReLU: Module {
    public let negativeSlope: Float
    /// `negativeSlope` is the slope for x < 0.
    public init(negativeSlope: Float = 0.01) { self.negativeSlope = negativeSlope }
    public func forward(_ input: Tensor) throws -> Tensor { input.leakyRelu(negativeSlope: negativeSlope) }
}

/// 1/(1 + e^(−x)).
public final class Sigmoid: Module {
    public override init() {}
    public func forward(_ input: Tensor) throws -> Tensor { input.sigmoid() }
}

/// tanh(x).
public final class Tanh: Module {
    public override init() {}
    public func forward(_ input: Tensor) throws -> Tensor { input.tanh() }
}

/// Passes its input through unchanged.
public final class Identity: Module {
    public override init() {}
    public func forward(_ input: Tensor) throws -> Tensor { input }
}

/// Runs its modules in order; they are named `0`, `1`, … as in PyTorch's `nn.Sequential`.
public final class Sequential: Module {
    /// The modules, in the order they run.
    public let layers: [Module]

    /// Runs `layers` in order.
    public init(_ layers: [Module]) { self.layers = layers }
    /// Runs `layers` in order.
    public convenience init(_ layers: Module...) { self.init(layers) }

    public override var children: [(name: String, module: Module)] {
        layers.enumerated().map { ("\($0.offset)", $0.element) }
    }

    public func forward(_ input: Tensor) throws -> Tensor {
        try layers.reduce(input) { try $1($0) }
    }
}

/// Average pooling to a fixed output size, whatever the input size (`nn.AdaptiveAvgPool2d`).
public final class AdaptiveAvgPool2d: Module {
    public let outputSize: Size2
    /// Pools any input to `outputSize` (an integer means square).
    public init(outputSize: Size2) { self.outputSize = outputSize }
    public func forward(_ input: Tensor) throws -> Tensor { try adaptiveAvgPool2d(input, outputSize: outputSize) }
}
