// Pieces torchvision's mobile and efficient families share (MobileNetV2/V3, EfficientNet).

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
