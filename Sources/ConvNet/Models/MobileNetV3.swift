/// MobileNetV3 (Howard et al. 2019), large and small, in torchvision's layout: `features` (a 3×3/2
/// stem with hard swish, the inverted-residual blocks of the paper's Tables 1 and 2, a 1×1
/// convolution to 6× the last block's channels), global average pooling and `classifier` (linear,
/// hard swish, dropout 0.2, linear). Blocks use ReLU or hard swish, some a squeeze-and-excitation
/// gate with hard sigmoid; batch norm has eps 0.001 and momentum 0.01. Input 3×224×224;
/// 5,483,032 (large) and 2,542,856 (small) parameters at 1000 classes. Initialised as torchvision
/// initialises it, so from the same seed a model starts from torchvision's weights.
public final class MobileNetV3: Module {
    /// One block: input, kernel, expanded and output channels, squeeze-and-excitation, hard swish
    /// (else ReLU), stride (torchvision's `InvertedResidualConfig` at width 1).
    public typealias Block = (input: Int, kernel: Int, expanded: Int, output: Int, squeeze: Bool, hardSwish: Bool, stride: Int)

    /// The two sizes of the paper.
    public enum Size: String, Sendable {
        case large, small

        /// The blocks, and the channels of the classifier's hidden layer.
        public var configuration: (blocks: [Block], lastChannels: Int) {
            switch self {
            case .large:
                ([(16, 3, 16, 16, false, false, 1), (16, 3, 64, 24, false, false, 2), (24, 3, 72, 24, false, false, 1),
                  (24, 5, 72, 40, true, false, 2), (40, 5, 120, 40, true, false, 1), (40, 5, 120, 40, true, false, 1),
                  (40, 3, 240, 80, false, true, 2), (80, 3, 200, 80, false, true, 1), (80, 3, 184, 80, false, true, 1),
                  (80, 3, 184, 80, false, true, 1), (80, 3, 480, 112, true, true, 1), (112, 3, 672, 112, true, true, 1),
                  (112, 5, 672, 160, true, true, 2), (160, 5, 960, 160, true, true, 1), (160, 5, 960, 160, true, true, 1)],
                 1280)
            case .small:
                ([(16, 3, 16, 16, true, false, 2), (16, 3, 72, 24, false, false, 2), (24, 3, 88, 24, false, false, 1),
                  (24, 5, 96, 40, true, true, 2), (40, 5, 240, 40, true, true, 1), (40, 5, 240, 40, true, true, 1),
                  (40, 5, 120, 48, true, true, 1), (48, 5, 144, 48, true, true, 1), (48, 5, 288, 96, true, true, 2),
                  (96, 5, 576, 96, true, true, 1), (96, 5, 576, 96, true, true, 1)],
                 1024)
            }
        }
    }

    public let features: Sequential
    public let avgpool = AdaptiveAvgPool2d(outputSize: 1)
    public let classifier: Sequential

    public init(_ size: Size, classes: Int = 1000, dropout: Float = 0.2) throws {
        let (blocks, lastChannels) = size.configuration
        let norm = MobileNetV3Block.norm
        var layers: [Module] = [try convNormActivation(3, blocks[0].input, kernelSize: 3, stride: 2, norm: norm, activation: Hardswish())]
        for block in blocks { layers.append(try MobileNetV3Block(block)) }
        let last = blocks[blocks.count - 1].output * 6
        layers.append(try convNormActivation(blocks[blocks.count - 1].output, last, kernelSize: 1, norm: norm, activation: Hardswish()))
        features = Sequential(layers)
        classifier = Sequential(Linear(last, lastChannels), Hardswish(), Dropout(p: dropout), Linear(lastChannels, classes))
        super.init()
        Initializer.reinitialize(self, Initializer.torchvisionMobile)
    }

    public func forward(_ x: Tensor) throws -> Tensor {
        try classifier(flatten(avgpool(features(x))))
    }
}

/// MobileNetV3's block (torchvision's `InvertedResidual` of `mobilenetv3`, its `block` Sequential):
/// a 1×1 expansion (absent when the channels do not change), a depthwise convolution carrying the
/// stride, an optional squeeze-and-excitation gate (squeezing to a quarter, rounded to 8, hard
/// sigmoid), and a 1×1 linear projection; the input is added back when the shape is unchanged.
public final class MobileNetV3Block: Module {
    /// Batch norm as MobileNetV3 uses it: eps 0.001, momentum 0.01.
    static let norm = (eps: Float(0.001), momentum: Float(0.01))

    public let block: Sequential
    /// Whether the input is added to the block's result (stride 1, same channels).
    public let residual: Bool

    public init(_ b: MobileNetV3.Block) throws {
        let activation: () -> Module = { b.hardSwish ? Hardswish() : ReLU() }
        var layers: [Module] = []
        if b.expanded != b.input {
            layers.append(try convNormActivation(b.input, b.expanded, kernelSize: 1, norm: Self.norm, activation: activation()))
        }
        layers.append(try convNormActivation(b.expanded, b.expanded, kernelSize: b.kernel, stride: b.stride, groups: b.expanded,
                                             norm: Self.norm, activation: activation()))
        if b.squeeze {
            layers.append(SqueezeExcitation(b.expanded, makeDivisible(Double(b.expanded / 4)), scaleActivation: Hardsigmoid()))
        }
        layers.append(try convNormActivation(b.expanded, b.output, kernelSize: 1, norm: Self.norm, activation: nil))
        block = Sequential(layers)
        residual = b.stride == 1 && b.input == b.output
    }

    public func forward(_ x: Tensor) throws -> Tensor {
        try residual ? block(x) + x : block(x)
    }
}
