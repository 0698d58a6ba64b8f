/// ShuffleNet V2 (Ma et al. 2018) ×0.5 and ×1.0 in torchvision's layout: `conv1` (3×3/2, batch
/// norm, ReLU), max pooling, `stage2…4` of shuffle units, `conv5` (1×1), global average pooling
/// and `fc`. Input 3×224×224; 1,366,792 (×0.5) and 2,278,604 (×1.0) parameters at 1000 classes.
/// torchvision gives it no initialisation of its own: every layer keeps PyTorch's default, so
/// from the same seed a model starts from torchvision's weights.
public final class ShuffleNetV2: Module {
    public enum Width: String, Sendable {
        case x0_5 = "x0_5", x1_0 = "x1_0"

        /// Output channels of conv1, the three stages and conv5.
        public var channels: [Int] {
            switch self {
            case .x0_5: [24, 48, 96, 192, 1024]
            case .x1_0: [24, 116, 232, 464, 1024]
            }
        }
    }

    /// Shuffle units per stage.
    public static let repeats = [4, 8, 4]

    public let conv1: Sequential
    public let maxpool = MaxPool2d(kernelSize: 3, stride: 2, padding: 1)
    public let stage2: Sequential, stage3: Sequential, stage4: Sequential
    public let conv5: Sequential
    public let avgpool = AdaptiveAvgPool2d(outputSize: 1)
    public let fc: Linear

    public init(_ width: Width, classes: Int = 1000) throws {
        let c = width.channels
        conv1 = Sequential(Conv2d(3, c[0], kernelSize: 3, stride: 2, padding: 1, bias: false), BatchNorm2d(c[0]), ReLU())
        var input = c[0]
        var stages: [Sequential] = []
        for (repeats, output) in zip(Self.repeats, c[1...3]) {
            var units: [Module] = [try ShuffleUnit(input, output, stride: 2)]
            for _ in 1..<repeats { units.append(try ShuffleUnit(output, output, stride: 1)) }
            stages.append(Sequential(units))
            input = output
        }
        (stage2, stage3, stage4) = (stages[0], stages[1], stages[2])
        conv5 = Sequential(Conv2d(input, c[4], kernelSize: 1, bias: false), BatchNorm2d(c[4]), ReLU())
        fc = Linear(c[4], classes)
    }

    public func forward(_ x: Tensor) throws -> Tensor {
        let h = try conv5(stage4(stage3(stage2(maxpool(conv1(x))))))
        return try fc(flatten(avgpool(h)))
    }
}

/// ShuffleNet V2's unit (torchvision's `InvertedResidual` of `shufflenetv2`). At stride 1 the
/// channels are split in two halves: one passes through, the other through `branch2` (1×1, 3×3
/// depthwise, 1×1); at stride 2 both `branch1` (3×3 depthwise/2, 1×1) and `branch2` read the whole
/// input. The two results are concatenated and their channels shuffled in 2 groups.
public final class ShuffleUnit: Module {
    public let stride: Int
    /// Empty (no modules) at stride 1, as torchvision's empty Sequential.
    public let branch1: Sequential
    public let branch2: Sequential

    public init(_ inChannels: Int, _ outChannels: Int, stride: Int) throws {
        guard stride == 1 || stride == 2, stride == 2 || inChannels == outChannels, outChannels % 2 == 0 else {
            throw ConvNetError(op: "ShuffleUnit", "stride \(stride) from \(inChannels) to \(outChannels) channels: stride 1 keeps an even channel count, stride 2 may change it")
        }
        self.stride = stride
        let half = outChannels / 2
        func depthwise(_ channels: Int) throws -> Conv2d {
            try Conv2d(channels, channels, kernelSize: 3, stride: Size2(stride), padding: 1, groups: channels, bias: false)
        }
        branch1 = stride > 1
            ? Sequential(try depthwise(inChannels), BatchNorm2d(inChannels),
                         Conv2d(inChannels, half, kernelSize: 1, bias: false), BatchNorm2d(half), ReLU())
            : Sequential([])
        branch2 = Sequential(Conv2d(stride > 1 ? inChannels : half, half, kernelSize: 1, bias: false), BatchNorm2d(half), ReLU(),
                             try depthwise(half), BatchNorm2d(half),
                             Conv2d(half, half, kernelSize: 1, bias: false), BatchNorm2d(half), ReLU())
    }

    public func forward(_ x: Tensor) throws -> Tensor {
        let joined: Tensor
        if stride == 1 {
            let halves = try x.chunked(2, dim: 1)
            joined = try concat([halves[0], branch2(halves[1])], dim: 1)
        } else {
            joined = try concat([branch1(x), branch2(x)], dim: 1)
        }
        return try channelShuffle(joined, groups: 2)
    }
}
