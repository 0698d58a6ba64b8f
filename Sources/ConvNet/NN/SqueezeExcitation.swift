/// Squeeze-and-excitation (Hu et al. 2018; torchvision's `ops.SqueezeExcitation`): each channel of
/// the input scaled by a gate computed from the whole map,
/// `x · σ(fc2(δ(fc1(avgpool(x)))))`, with `fc1`, `fc2` 1×1 convolutions (with bias) through
/// `squeezeChannels`, δ the `activation` and σ the `scaleActivation`. The scale `[N, C, 1, 1]`
/// multiplies `[N, C, H, W]` by broadcasting, and its gradient sums over the map.
public final class SqueezeExcitation: Module {
    public let avgpool = AdaptiveAvgPool2d(outputSize: 1)
    public let fc1: Conv2d
    public let fc2: Conv2d
    public let activation: Module
    public let scaleActivation: Module

    /// - Parameters:
    ///   - activation: after `fc1` (torchvision's default: ReLU).
    ///   - scaleActivation: the gate (torchvision's default: sigmoid; MobileNetV3 uses hard sigmoid).
    public init(_ inputChannels: Int, _ squeezeChannels: Int, activation: Module = ReLU(), scaleActivation: Module = Sigmoid()) {
        fc1 = Conv2d(inputChannels, squeezeChannels, kernelSize: 1)
        fc2 = Conv2d(squeezeChannels, inputChannels, kernelSize: 1)
        self.activation = activation
        self.scaleActivation = scaleActivation
    }

    public func forward(_ x: Tensor) throws -> Tensor {
        let scale = try scaleActivation(fc2(activation(fc1(avgpool(x)))))
        return try scale * x
    }
}
