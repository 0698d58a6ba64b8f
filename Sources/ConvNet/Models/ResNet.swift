/// ResNet (He et al. 2015) in torchvision's layout: a 7×7/2 stem with max pooling, four stages
/// of residual blocks (`layer1` … `layer4`, widths 64-128-256-512, stride 2 from the second
/// stage on, projection shortcuts `downsample.0/1` where the shape changes), global average
/// pooling and `fc`. Input 3×224×224. Initialised as torchvision initialises it: He normal
/// (fan_out, ReLU gain) for every convolution, drawn after the layers' defaults, so from the same
/// seed a model starts from torchvision's `resnetNN()` weights.
public final class ResNet: Module {
    public let conv1: Conv2d
    public let bn1: BatchNorm2d
    public let relu = ReLU()
    public let maxpool = MaxPool2d(kernelSize: 3, stride: 2, padding: 1)
    public let layer1: Sequential, layer2: Sequential, layer3: Sequential, layer4: Sequential
    public let avgpool = AdaptiveAvgPool2d(outputSize: 1)
    public let fc: Linear

    /// Blocks per stage and block type for depth 18, 34, 50, 101, 152.
    public static func configuration(depth: Int) throws -> (blocks: [Int], bottleneck: Bool) {
        switch depth {
        case 18: ([2, 2, 2, 2], false)
        case 34: ([3, 4, 6, 3], false)
        case 50: ([3, 4, 6, 3], true)
        case 101: ([3, 4, 23, 3], true)
        case 152: ([3, 8, 36, 3], true)
        default: throw ConvNetError(op: "resnet", "depth \(depth) is not one of 18, 34, 50, 101, 152")
        }
    }

    /// - Parameters:
    ///   - groups, widthPerGroup: the bottleneck's 3×3 convolution in `groups` groups of
    ///     `widthPerGroup` channels per 64 of the stage's width: ResNeXt-50 32×4d is (32, 4), Wide
    ///     ResNet-50-2 (1, 128); plain ResNet (1, 64). Basic blocks (depth 18, 34) take only (1, 64).
    public init(depth: Int, classes: Int = 1000, groups: Int = 1, widthPerGroup: Int = 64) throws {
        let (blocks, bottleneck) = try Self.configuration(depth: depth)
        guard groups >= 1, widthPerGroup >= 1, bottleneck || (groups == 1 && widthPerGroup == 64) else {
            throw ConvNetError(op: "resnet", "groups \(groups) and width per group \(widthPerGroup): basic blocks take only 1 and 64, bottlenecks positive values")
        }
        conv1 = Conv2d(3, 64, kernelSize: 7, stride: 2, padding: 3, bias: false)
        bn1 = BatchNorm2d(64)
        var channels = 64
        func stage(_ width: Int, _ count: Int, stride: Int) throws -> Sequential {
            var layers: [Module] = []
            for i in 0..<count {
                let s = i == 0 ? stride : 1
                let block: Module = bottleneck
                    ? try Bottleneck(inChannels: channels, width: width, stride: s, groups: groups, widthPerGroup: widthPerGroup)
                    : BasicBlock(inChannels: channels, width: width, stride: s)
                layers.append(block)
                channels = width * (bottleneck ? Bottleneck.expansion : 1)
            }
            return Sequential(layers)
        }
        layer1 = try stage(64, blocks[0], stride: 1)
        layer2 = try stage(128, blocks[1], stride: 2)
        layer3 = try stage(256, blocks[2], stride: 2)
        layer4 = try stage(512, blocks[3], stride: 2)
        fc = Linear(channels, classes)
        super.init()
        // Batch norm keeps γ = 1, β = 0 and `fc` its default, as in torchvision.
        Initializer.reinitialize(self) { module, generator in
            if let conv = module as? Conv2d { Initializer.kaimingNormal(conv.weight, mode: .fanOut, generator: &generator) }
        }
    }

    public func forward(_ x: Tensor) throws -> Tensor {
        var h = try maxpool(relu(bn1(conv1(x))))
        h = try layer4(layer3(layer2(layer1(h))))
        return try fc(flatten(avgpool(h)))
    }
}

/// The projection shortcut of torchvision: 1×1 convolution with stride, then batch norm.
func projection(_ inChannels: Int, _ outChannels: Int, stride: Int) -> Sequential {
    Sequential(Conv2d(inChannels, outChannels, kernelSize: 1, stride: Size2(stride), bias: false), BatchNorm2d(outChannels))
}

/// Two 3×3 convolutions with batch norm; out = ReLU(F(x) + shortcut(x)).
public final class BasicBlock: Module {
    public let conv1: Conv2d, bn1: BatchNorm2d
    public let relu = ReLU()
    public let conv2: Conv2d, bn2: BatchNorm2d
    /// Projection when the shape changes (torchvision's `downsample`), else identity.
    public let downsample: Sequential?

    public init(inChannels: Int, width: Int, stride: Int = 1) {
        conv1 = Conv2d(inChannels, width, kernelSize: 3, stride: Size2(stride), padding: 1, bias: false)
        bn1 = BatchNorm2d(width)
        conv2 = Conv2d(width, width, kernelSize: 3, padding: 1, bias: false)
        bn2 = BatchNorm2d(width)
        downsample = stride != 1 || inChannels != width ? projection(inChannels, width, stride: stride) : nil
    }

    public func forward(_ x: Tensor) throws -> Tensor {
        let h = try bn2(conv2(relu(bn1(conv1(x)))))
        return try relu(h + (downsample.map { try $0(x) } ?? x))
    }
}

/// 1×1 reduce, 3×3 (carrying the stride, torchvision's "v1.5"; grouped in ResNeXt), 1×1 expand to
/// 4 × `width`, with batch norm. The inner width is ⌊width · widthPerGroup / 64⌋ · groups.
public final class Bottleneck: Module {
    public static let expansion = 4
    public let conv1: Conv2d, bn1: BatchNorm2d
    public let conv2: Conv2d, bn2: BatchNorm2d
    public let conv3: Conv2d, bn3: BatchNorm2d
    public let relu = ReLU()
    public let downsample: Sequential?

    public init(inChannels: Int, width: Int, stride: Int = 1, groups: Int = 1, widthPerGroup: Int = 64) throws {
        let out = width * Self.expansion
        let inner = Int(Double(width) * (Double(widthPerGroup) / 64)) * groups
        conv1 = Conv2d(inChannels, inner, kernelSize: 1, bias: false)
        bn1 = BatchNorm2d(inner)
        conv2 = try Conv2d(inner, inner, kernelSize: 3, stride: Size2(stride), padding: 1, groups: groups, bias: false)
        bn2 = BatchNorm2d(inner)
        conv3 = Conv2d(inner, out, kernelSize: 1, bias: false)
        bn3 = BatchNorm2d(out)
        downsample = stride != 1 || inChannels != out ? projection(inChannels, out, stride: stride) : nil
    }

    public func forward(_ x: Tensor) throws -> Tensor {
        var h = try relu(bn1(conv1(x)))
        h = try relu(bn2(conv2(h)))
        h = try bn3(conv3(h))
        return try relu(h + (downsample.map { try $0(x) } ?? x))
    }
}
