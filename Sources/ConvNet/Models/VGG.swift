/// VGG (Simonyan & Zisserman 2014) in torchvision's layout: `features` (3×3 convolutions, each
/// optionally followed by batch norm, then ReLU; "M" = 2×2 max pooling), adaptive average
/// pooling to 7×7, and a classifier 25088 → 4096 → 4096 → classes with dropout. Initialised as
/// torchvision initialises it: convolutions He normal (fan_out, ReLU gain) with zero bias, linear
/// layers N(0, 0.01²) with zero bias, drawn after the layers' defaults, so from the same seed a
/// model starts from torchvision's `vggNN()` weights.
public final class VGG: Module {
    /// One entry per layer of `features`: output channels of a 3×3 convolution, or a max pool.
    public enum Layer: Sendable { case conv(Int), pool }

    /// Configurations A, B, D, E of the paper: VGG-11, -13, -16, -19.
    public static func configuration(depth: Int) throws -> [Layer] {
        let blocks: [[Int]]
        switch depth {
        case 11: blocks = [[64], [128], [256, 256], [512, 512], [512, 512]]
        case 13: blocks = [[64, 64], [128, 128], [256, 256], [512, 512], [512, 512]]
        case 16: blocks = [[64, 64], [128, 128], [256, 256, 256], [512, 512, 512], [512, 512, 512]]
        case 19: blocks = [[64, 64], [128, 128], [256, 256, 256, 256], [512, 512, 512, 512], [512, 512, 512, 512]]
        default: throw ConvNetError(op: "vgg", "depth \(depth) is not one of 11, 13, 16, 19")
        }
        return blocks.flatMap { $0.map(Layer.conv) + [.pool] }
    }

    public let features: Sequential
    public let avgpool = AdaptiveAvgPool2d(outputSize: 7)
    public let classifier: Sequential

    public init(depth: Int, batchNorm: Bool = false, classes: Int = 1000, dropout: Float = 0.5) throws {
        var layers: [Module] = []
        var channels = 3
        for layer in try Self.configuration(depth: depth) {
            switch layer {
            case .pool:
                layers.append(MaxPool2d(kernelSize: 2, stride: 2))
            case let .conv(out):
                layers.append(Conv2d(channels, out, kernelSize: 3, padding: 1))
                if batchNorm { layers.append(BatchNorm2d(out)) }
                layers.append(ReLU())
                channels = out
            }
        }
        features = Sequential(layers)
        classifier = Sequential(
            Linear(512 * 7 * 7, 4096), ReLU(), Dropout(p: dropout),
            Linear(4096, 4096), ReLU(), Dropout(p: dropout),
            Linear(4096, classes))
        super.init()
        Initializer.reinitialize(self) { module, generator in
            if let conv = module as? Conv2d {
                Initializer.kaimingNormal(conv.weight, mode: .fanOut, generator: &generator)
                conv.bias.map { Initializer.constant($0, 0) }
            } else if let linear = module as? Linear {
                Initializer.normal(linear.weight, std: 0.01, generator: &generator)
                linear.bias.map { Initializer.constant($0, 0) }
            }
        }
    }

    public func forward(_ x: Tensor) throws -> Tensor {
        try classifier(flatten(avgpool(features(x))))
    }
}
