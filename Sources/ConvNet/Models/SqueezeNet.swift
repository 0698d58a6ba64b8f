/// SqueezeNet (Iandola et al. 2016) 1.0 and 1.1 in torchvision's layout: `features` (a stem
/// convolution, max pooling with ceil mode, eight Fire modules) and `classifier` (dropout 0.5, a
/// 1×1 convolution to the classes, ReLU, global average pooling) — no linear layer. 1.1 starts
/// with a 3×3 convolution and pools earlier, for 2.4× less computation at the same accuracy.
/// Input 3×224×224; 1,248,424 (1.0) and 1,235,496 (1.1) parameters at 1000 classes. Initialised as
/// torchvision does: He uniform (fan_in) for every convolution but the last, N(0, 0.01) for it,
/// zero biases.
public final class SqueezeNet: Module {
    public enum Version: String, Sendable { case v1_0 = "1_0", v1_1 = "1_1" }

    public let features: Sequential
    public let classifier: Sequential

    public init(_ version: Version, classes: Int = 1000, dropout: Float = 0.5) throws {
        func pool() -> MaxPool2d { MaxPool2d(kernelSize: 3, stride: 2, ceilMode: true) }
        switch version {
        case .v1_0:
            features = Sequential(
                Conv2d(3, 96, kernelSize: 7, stride: 2), ReLU(), pool(),
                Fire(96, 16, 64, 64), Fire(128, 16, 64, 64), Fire(128, 32, 128, 128), pool(),
                Fire(256, 32, 128, 128), Fire(256, 48, 192, 192), Fire(384, 48, 192, 192), Fire(384, 64, 256, 256), pool(),
                Fire(512, 64, 256, 256))
        case .v1_1:
            features = Sequential(
                Conv2d(3, 64, kernelSize: 3, stride: 2), ReLU(), pool(),
                Fire(64, 16, 64, 64), Fire(128, 16, 64, 64), pool(),
                Fire(128, 32, 128, 128), Fire(256, 32, 128, 128), pool(),
                Fire(256, 48, 192, 192), Fire(384, 48, 192, 192), Fire(384, 64, 256, 256), Fire(512, 64, 256, 256))
        }
        let finalConv = Conv2d(512, classes, kernelSize: 1)
        classifier = Sequential(Dropout(p: dropout), finalConv, ReLU(), AdaptiveAvgPool2d(outputSize: 1))
        super.init()
        Initializer.reinitialize(self) { module, generator in
            guard let conv = module as? Conv2d else { return }
            if conv === finalConv {
                Initializer.normal(conv.weight, std: 0.01, generator: &generator)
            } else {
                Initializer.kaimingUniform(conv.weight, generator: &generator)
            }
            if let bias = conv.bias { Initializer.constant(bias, 0) }
        }
    }

    public func forward(_ x: Tensor) throws -> Tensor {
        try flatten(classifier(features(x)))
    }
}

/// SqueezeNet's Fire module: a 1×1 "squeeze" convolution with ReLU, then 1×1 and 3×3 "expand"
/// convolutions with ReLU side by side, concatenated along channels.
public final class Fire: Module {
    public let squeeze: Conv2d
    public let squeezeActivation = ReLU()
    public let expand1x1: Conv2d
    public let expand1x1Activation = ReLU()
    public let expand3x3: Conv2d
    public let expand3x3Activation = ReLU()

    public init(_ inChannels: Int, _ squeezeChannels: Int, _ expand1x1Channels: Int, _ expand3x3Channels: Int) {
        squeeze = Conv2d(inChannels, squeezeChannels, kernelSize: 1)
        expand1x1 = Conv2d(squeezeChannels, expand1x1Channels, kernelSize: 1)
        expand3x3 = Conv2d(squeezeChannels, expand3x3Channels, kernelSize: 3, padding: 1)
    }

    public func forward(_ x: Tensor) throws -> Tensor {
        let s = try squeezeActivation(squeeze(x))
        return try concat([expand1x1Activation(expand1x1(s)), expand3x3Activation(expand3x3(s))], dim: 1)
    }
}
