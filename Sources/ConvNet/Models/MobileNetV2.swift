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

/// torchvision's `Conv2dNormActivation`: a bias-free convolution padded to keep the size (at
/// stride 1), batch norm (PyTorch's eps and momentum unless given), then `activation` (`nil`: none).
func convNormActivation(_ inChannels: Int, _ outChannels: Int, kernelSize: Int, stride: Int = 1, groups: Int = 1,
                        norm: (eps: Float, momentum: Float) = (1e-5, 0.1), activation: Module?) throws -> Sequential {
    let conv = try Conv2d(inChannels, outChannels, kernelSize: Size2(kernelSize), stride: Size2(stride),
                          padding: Size2((kernelSize - 1) / 2), groups: groups, bias: false)
    return Sequential([conv, BatchNorm2d(outChannels, eps: norm.eps, momentum: norm.momentum)] + (activation.map { [$0] } ?? []))
}

extension Initializer {
    /// torchvision's initialisation of its mobile families (MobileNetV2/V3, EfficientNet, MNASNet):
    /// He normal (fan_out) for convolution weights, N(0, 0.01) for linear weights, zero biases;
    /// batch norm keeps γ = 1, β = 0.
    static func torchvisionMobile(_ module: Module, _ generator: inout RandomGenerator) {
        if let conv = module as? Conv2d {
            kaimingNormal(conv.weight, mode: .fanOut, generator: &generator)
            if let bias = conv.bias { constant(bias, 0) }
        } else if let linear = module as? Linear {
            normal(linear.weight, std: 0.01, generator: &generator)
            if let bias = linear.bias { constant(bias, 0) }
        }
    }
}

/// torchvision's `_make_divisible(v, 8)`: `v` rounded to the nearest multiple of 8, at least 8,
/// and never more than 10 % below `v`.
func makeDivisible(_ v: Double, divisor: Int = 8) -> Int {
    var rounded = max(divisor, Int(v + Double(divisor) / 2) / divisor * divisor)
    if Double(rounded) < 0.9 * v { rounded += divisor }
    return rounded
}
