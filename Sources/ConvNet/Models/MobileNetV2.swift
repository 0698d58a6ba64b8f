/// MobileNetV2 (Sandler et al. 2018) in torchvision's layout: `features` (a 3×3/2 stem, 17
/// inverted-residual blocks, a 1×1 convolution to 1280 channels), global average pooling and
/// `classifier` (dropout 0.2, linear). Every convolution is followed by batch norm, and by ReLU6
/// except a block's last (the linear bottleneck). Input 3×224×224; 3,504,872 parameters at 1000
/// classes. Initialised as torchvision initialises it (He normal, fan_out, for convolutions;
/// N(0, 0.01) for the linear layer; zero biases), drawn after the layers' defaults, so from the
/// same seed a model starts from torchvision's `mobilenet_v2()` weights.
public final class MobileNetV2: Module {
    public let features: Sequential
    public let avgpool = AdaptiveAvgPool2d(outputSize: 1)
    public let classifier: Sequential

    /// (expansion t, output channels c, blocks n, first stride s) per stage, as in the paper's Table 2.
    public static let stages: [(expansion: Int, channels: Int, blocks: Int, stride: Int)] = [
        (1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1),
    ]

    /// - Parameters:
    ///   - classes: outputs of the classifier.
    ///   - widthMultiplier: scales every stage's channels (rounded to a multiple of 8, as torchvision's `_make_divisible`).
    ///   - dropout: the classifier's dropout probability.
    public init(classes: Int = 1000, widthMultiplier: Double = 1, dropout: Float = 0.2) throws {
        var channels = makeDivisible(32 * widthMultiplier)
        let last = makeDivisible(1280 * max(1, widthMultiplier))
        var layers: [Module] = [try convNormActivation(3, channels, kernelSize: 3, stride: 2, activation: ReLU6())]
        for stage in Self.stages {
            let out = makeDivisible(Double(stage.channels) * widthMultiplier)
            for i in 0..<stage.blocks {
                layers.append(try InvertedResidual(channels, out, stride: i == 0 ? stage.stride : 1, expansion: stage.expansion))
                channels = out
            }
        }
        layers.append(try convNormActivation(channels, last, kernelSize: 1, activation: ReLU6()))
        features = Sequential(layers)
        classifier = Sequential(Dropout(p: dropout), Linear(last, classes))
        super.init()
        Initializer.reinitialize(self, Initializer.torchvisionMobile)
    }

    public func forward(_ x: Tensor) throws -> Tensor {
        try classifier(flatten(avgpool(features(x))))
    }
}

/// MobileNetV2's block: a 1×1 expansion to `expansion`× the channels (absent when 1), a 3×3
/// depthwise convolution carrying the stride, and a 1×1 linear projection, each with batch norm
/// (torchvision's `conv` Sequential); the input is added back when the shape is unchanged.
public final class InvertedResidual: Module {
    public let conv: Sequential
    /// Whether the input is added to the block's result (stride 1, same channels).
    public let residual: Bool

    public init(_ inChannels: Int, _ outChannels: Int, stride: Int, expansion: Int) throws {
        let hidden = inChannels * expansion
        var layers: [Module] = []
        if expansion != 1 { layers.append(try convNormActivation(inChannels, hidden, kernelSize: 1, activation: ReLU6())) }
        layers.append(try convNormActivation(hidden, hidden, kernelSize: 3, stride: stride, groups: hidden, activation: ReLU6()))
        layers.append(Conv2d(hidden, outChannels, kernelSize: 1, bias: false))
        layers.append(BatchNorm2d(outChannels))
        conv = Sequential(layers)
        residual = stride == 1 && inChannels == outChannels
    }

    public func forward(_ x: Tensor) throws -> Tensor {
        try residual ? x + conv(x) : conv(x)
    }
}
