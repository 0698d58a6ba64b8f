import Foundation

/// EfficientNet B0–B3 (Tan & Le 2019) and EfficientNetV2-S (Tan & Le 2021) in torchvision's
/// layout: `features` (a 3×3/2 stem with SiLU, one Sequential per stage of MBConv blocks — or, in
/// V2's first stages, FusedMBConv blocks — and a 1×1 convolution), global average pooling and
/// `classifier` (dropout, linear). B1–B3 scale B0's channels (rounded to multiples of 8) and
/// blocks per stage (rounded up); residual branches are dropped by stochastic depth, its
/// probability rising linearly from 0 to 0.2 over the blocks. Initialised as torchvision
/// initialises it (He normal, fan_out, for convolutions; U(±1/√out) for the linear layer).
public final class EfficientNet: Module {
    /// One stage: fused (V2's FusedMBConv) or not, expansion, kernel, first stride, input and
    /// output channels, blocks (before width and depth scaling).
    public typealias Stage = (fused: Bool, expansion: Int, kernel: Int, stride: Int, input: Int, output: Int, blocks: Int)

    /// The variants in the zoo.
    public enum Variant: String, Sendable, CaseIterable {
        case b0, b1, b2, b3, v2S = "v2_s"

        /// The image side torchvision evaluates its weights at (their `crop_size`).
        public var inputSize: Int {
            switch self {
            case .b0: 224
            case .b1: 240
            case .b2: 288
            case .b3: 300
            case .v2S: 384
            }
        }

        /// Width and depth multipliers, classifier dropout, batch norm eps, the last convolution's
        /// channels (nil: 4× the last stage's) and the stages.
        var configuration: (width: Double, depth: Double, dropout: Float, eps: Float, last: Int?, stages: [Stage]) {
            let v1: [Stage] = [(false, 1, 3, 1, 32, 16, 1), (false, 6, 3, 2, 16, 24, 2), (false, 6, 5, 2, 24, 40, 2),
                               (false, 6, 3, 2, 40, 80, 3), (false, 6, 5, 1, 80, 112, 3), (false, 6, 5, 2, 112, 192, 4),
                               (false, 6, 3, 1, 192, 320, 1)]
            switch self {
            case .b0: return (1.0, 1.0, 0.2, 1e-5, nil, v1)
            case .b1: return (1.0, 1.1, 0.2, 1e-5, nil, v1)
            case .b2: return (1.1, 1.2, 0.3, 1e-5, nil, v1)
            case .b3: return (1.2, 1.4, 0.3, 1e-5, nil, v1)
            case .v2S:
                return (1.0, 1.0, 0.2, 1e-3, 1280,
                        [(true, 1, 3, 1, 24, 24, 2), (true, 4, 3, 2, 24, 48, 4), (true, 4, 3, 2, 48, 64, 4),
                         (false, 4, 3, 2, 64, 128, 6), (false, 6, 3, 1, 128, 160, 9), (false, 6, 3, 2, 160, 256, 15)])
            }
        }
    }

    public let features: Sequential
    public let avgpool = AdaptiveAvgPool2d(outputSize: 1)
    public let classifier: Sequential

    public init(_ variant: Variant, classes: Int = 1000, stochasticDepth: Double = 0.2) throws {
        let c = variant.configuration
        let norm = (eps: c.eps, momentum: Float(0.1))
        let stages = c.stages.map { s -> Stage in
            (s.fused, s.expansion, s.kernel, s.stride, makeDivisible(Double(s.input) * c.width),
             makeDivisible(Double(s.output) * c.width), Int((Double(s.blocks) * c.depth).rounded(.up)))
        }
        let total = stages.reduce(0) { $0 + $1.blocks }
        var layers: [Module] = [try convNormActivation(3, stages[0].input, kernelSize: 3, stride: 2, norm: norm, activation: SiLU())]
        var index = 0
        for stage in stages {
            var blocks: [Module] = []
            for i in 0..<stage.blocks {
                let input = i == 0 ? stage.input : stage.output, stride = i == 0 ? stage.stride : 1
                let drop = stochasticDepth * Double(index) / Double(total)
                blocks.append(try MBConv(input, stage.output, expansion: stage.expansion, kernel: stage.kernel, stride: stride,
                                         fused: stage.fused, norm: norm, stochasticDepth: drop))
                index += 1
            }
            layers.append(Sequential(blocks))
        }
        let lastInput = stages[stages.count - 1].output, last = c.last ?? 4 * lastInput
        layers.append(try convNormActivation(lastInput, last, kernelSize: 1, norm: norm, activation: SiLU()))
        features = Sequential(layers)
        classifier = Sequential(Dropout(p: c.dropout), Linear(last, classes))
        super.init()
        Initializer.reinitialize(self) { module, generator in
            if let linear = module as? Linear {
                Initializer.uniform(linear.weight, bound: 1 / Double(linear.weight.shape[0]).squareRoot(), generator: &generator)
                if let bias = linear.bias { Initializer.constant(bias, 0) }
            } else {
                Initializer.torchvisionMobile(module, &generator)
            }
        }
    }

    public func forward(_ x: Tensor) throws -> Tensor {
        try classifier(flatten(avgpool(features(x))))
    }
}

/// EfficientNet's block (torchvision's `MBConv`, or `FusedMBConv` when `fused`), its `block`
/// Sequential: MBConv is a 1×1 expansion (absent at expansion 1), a depthwise convolution carrying
/// the stride, squeeze-and-excitation (to a quarter of the input channels, SiLU, sigmoid gate) and
/// a 1×1 linear projection; FusedMBConv replaces the expansion and depthwise pair by one full
/// convolution (and has no gate). All activations are SiLU. Where the shape is unchanged, the
/// branch passes through stochastic depth and the input is added back.
public final class MBConv: Module {
    public let block: Sequential
    public let stochasticDepth: StochasticDepth
    /// Whether the input is added to the block's result (stride 1, same channels).
    public let residual: Bool

    public init(_ input: Int, _ output: Int, expansion: Int, kernel: Int, stride: Int, fused: Bool = false,
                norm: (eps: Float, momentum: Float) = (1e-5, 0.1), stochasticDepth p: Double) throws {
        let expanded = makeDivisible(Double(input * expansion))
        var layers: [Module] = []
        if fused {
            if expanded != input {
                layers.append(try convNormActivation(input, expanded, kernelSize: kernel, stride: stride, norm: norm, activation: SiLU()))
                layers.append(try convNormActivation(expanded, output, kernelSize: 1, norm: norm, activation: nil))
            } else {
                layers.append(try convNormActivation(input, output, kernelSize: kernel, stride: stride, norm: norm, activation: SiLU()))
            }
        } else {
            if expanded != input {
                layers.append(try convNormActivation(input, expanded, kernelSize: 1, norm: norm, activation: SiLU()))
            }
            layers.append(try convNormActivation(expanded, expanded, kernelSize: kernel, stride: stride, groups: expanded,
                                                 norm: norm, activation: SiLU()))
            layers.append(SqueezeExcitation(expanded, max(1, input / 4), activation: SiLU()))
            layers.append(try convNormActivation(expanded, output, kernelSize: 1, norm: norm, activation: nil))
        }
        block = Sequential(layers)
        stochasticDepth = try StochasticDepth(p: p, mode: .row)
        residual = stride == 1 && input == output
    }

    public func forward(_ x: Tensor) throws -> Tensor {
        let branch = try block(x)
        return try residual ? stochasticDepth(branch) + x : branch
    }
}
