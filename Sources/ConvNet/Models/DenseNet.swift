/// DenseNet (Huang et al. 2017) -121 and -169 in torchvision's layout: `features` (named: `conv0`
/// 7×7/2, `norm0`, `relu0`, `pool0`, then `denseblock1…4` with `transition1…3` between them, and
/// `norm5`), ReLU, global average pooling and `classifier` (linear). In a dense block every layer
/// reads the concatenation of the block's input and all earlier layers' outputs and adds
/// `growthRate` channels; a transition halves channels and size. Input 3×224×224; 7,978,856
/// (121) and 14,149,480 (169) parameters at 1000 classes. Initialised as torchvision does: He
/// normal (fan_in) for convolutions, the linear layer's default weight with a zero bias.
public final class DenseNet: Module {
    public let features: NamedSequential
    public let relu = ReLU()
    public let avgpool = AdaptiveAvgPool2d(outputSize: 1)
    public let classifier: Linear

    /// Layers per dense block for depth 121, 169, 201.
    public static func blocks(depth: Int) throws -> [Int] {
        switch depth {
        case 121: [6, 12, 24, 16]
        case 169: [6, 12, 32, 32]
        case 201: [6, 12, 48, 32]
        default: throw ConvNetError(op: "densenet", "depth \(depth) is not one of 121, 169, 201")
        }
    }

    public init(depth: Int, classes: Int = 1000, growthRate: Int = 32, initialFeatures: Int = 64, bottleneckSize: Int = 4) throws {
        let blocks = try Self.blocks(depth: depth)
        var layers: [(name: String, module: Module)] = [
            ("conv0", Conv2d(3, initialFeatures, kernelSize: 7, stride: 2, padding: 3, bias: false)),
            ("norm0", BatchNorm2d(initialFeatures)), ("relu0", ReLU()),
            ("pool0", MaxPool2d(kernelSize: 3, stride: 2, padding: 1)),
        ]
        var channels = initialFeatures
        for (i, count) in blocks.enumerated() {
            layers.append(("denseblock\(i + 1)", DenseBlock(layers: count, inChannels: channels, growthRate: growthRate,
                                                              bottleneckSize: bottleneckSize)))
            channels += count * growthRate
            if i != blocks.count - 1 {
                layers.append(("transition\(i + 1)", try NamedSequential([
                    ("norm", BatchNorm2d(channels)), ("relu", ReLU()),
                    ("conv", Conv2d(channels, channels / 2, kernelSize: 1, bias: false)),
                    ("pool", AvgPool2d(kernelSize: 2, stride: 2)),
                ])))
                channels /= 2
            }
        }
        layers.append(("norm5", BatchNorm2d(channels)))
        features = try NamedSequential(layers)
        classifier = Linear(channels, classes)
        super.init()
        Initializer.reinitialize(self) { module, generator in
            if let conv = module as? Conv2d {
                Initializer.kaimingNormal(conv.weight, generator: &generator)
            } else if let linear = module as? Linear, let bias = linear.bias {
                Initializer.constant(bias, 0)
            }
        }
    }

    public func forward(_ x: Tensor) throws -> Tensor {
        try classifier(flatten(avgpool(relu(features(x)))))
    }
}

/// A dense block: `denselayer1…N`, each batch norm → ReLU → 1×1 convolution to
/// `bottleneckSize × growthRate` channels → batch norm → ReLU → 3×3 convolution to `growthRate`
/// channels, reading the concatenation of everything before it; the block returns the
/// concatenation of its input and every layer's output.
public final class DenseBlock: Module {
    public let layers: [NamedSequential]

    public init(layers count: Int, inChannels: Int, growthRate: Int, bottleneckSize: Int) {
        layers = (0..<count).map { i in
            let input = inChannels + i * growthRate, inner = bottleneckSize * growthRate
            // Names cannot repeat here, so the throwing check cannot fail.
            return try! NamedSequential([
                ("norm1", BatchNorm2d(input)), ("relu1", ReLU()), ("conv1", Conv2d(input, inner, kernelSize: 1, bias: false)),
                ("norm2", BatchNorm2d(inner)), ("relu2", ReLU()),
                ("conv2", Conv2d(inner, growthRate, kernelSize: 3, padding: 1, bias: false)),
            ])
        }
    }

    public override var children: [(name: String, module: Module)] {
        layers.enumerated().map { ("denselayer\($0.offset + 1)", $0.element) }
    }

    public func forward(_ x: Tensor) throws -> Tensor {
        var features = [x]
        for layer in layers { features.append(try layer(concat(features, dim: 1))) }
        return try concat(features, dim: 1)
    }
}
