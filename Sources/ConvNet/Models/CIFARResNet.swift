/// The CIFAR-10 ResNets of He et al. 2015 (§4.2): a 3×3 convolution with 16 filters, three stages
/// of n basic blocks each with 16, 32 and 64 filters (stride 2 at the start of stages 2 and 3),
/// global average pooling and `fc`; depth 6n + 2 (20, 32, 44, 56, 110). Shortcuts are identities,
/// padded with zero channels and subsampled where the shape changes (the paper's option A), so
/// they have no parameters. Input 3×32×32. Initialised He normal (fan_in, ReLU gain) for every
/// convolution and `fc.weight` ("we initialize the weights as in [13]", §3.4), drawn after the
/// layers' defaults as the widely used PyTorch reproduction does (`model.apply(_weights_init)`).
public final class CIFARResNet: Module {
    public let conv1 = Conv2d(3, 16, kernelSize: 3, padding: 1, bias: false)
    public let bn1 = BatchNorm2d(16)
    public let relu = ReLU()
    public let layer1: Sequential, layer2: Sequential, layer3: Sequential
    public let avgpool = AdaptiveAvgPool2d(outputSize: 1)
    public let fc: Linear

    public init(depth: Int, classes: Int = 10) throws {
        guard depth >= 8, (depth - 2) % 6 == 0 else {
            throw ConvNetError(op: "cifar resnet", "depth \(depth) is not 6n + 2 (20, 32, 44, 56, 110, …)")
        }
        let n = (depth - 2) / 6
        func stage(_ inChannels: Int, _ width: Int, stride: Int) -> Sequential {
            Sequential((0..<n).map { i in
                CIFARBasicBlock(inChannels: i == 0 ? inChannels : width, width: width, stride: i == 0 ? stride : 1)
            })
        }
        layer1 = stage(16, 16, stride: 1)
        layer2 = stage(16, 32, stride: 2)
        layer3 = stage(32, 64, stride: 2)
        fc = Linear(64, classes)
        super.init()
        Initializer.reinitialize(self) { module, generator in
            if let weight = Initializer.convolutionOrLinearWeight(of: module) {
                Initializer.kaimingNormal(weight, generator: &generator)
            }
        }
    }

    public func forward(_ x: Tensor) throws -> Tensor {
        let h = try layer3(layer2(layer1(relu(bn1(conv1(x))))))
        return try fc(flatten(avgpool(h)))
    }
}

/// A basic block whose shortcut is option A: x[:, :, ::s, ::s] with zero channels added equally
/// before and after when the width grows.
public final class CIFARBasicBlock: Module {
    public let conv1: Conv2d, bn1: BatchNorm2d
    public let relu = ReLU()
    public let conv2: Conv2d, bn2: BatchNorm2d
    public let shortcut: ZeroPadShortcut

    public init(inChannels: Int, width: Int, stride: Int) {
        conv1 = Conv2d(inChannels, width, kernelSize: 3, stride: Size2(stride), padding: 1, bias: false)
        bn1 = BatchNorm2d(width)
        conv2 = Conv2d(width, width, kernelSize: 3, padding: 1, bias: false)
        bn2 = BatchNorm2d(width)
        shortcut = ZeroPadShortcut(inChannels: inChannels, outChannels: width, stride: stride)
    }

    public func forward(_ x: Tensor) throws -> Tensor {
        let h = try bn2(conv2(relu(bn1(conv1(x)))))
        return try relu(h + shortcut(x))
    }
}

/// Option-A shortcut: spatial subsampling by `stride` and zero channels padded around the input's.
public final class ZeroPadShortcut: Module {
    public let inChannels: Int, outChannels: Int, stride: Int

    public init(inChannels: Int, outChannels: Int, stride: Int) {
        (self.inChannels, self.outChannels, self.stride) = (inChannels, outChannels, stride)
    }

    public func forward(_ x: Tensor) throws -> Tensor {
        guard stride != 1 || inChannels != outChannels else { return x }
        // x[:, :, ::s, ::s] is a 1×1 max pooling with stride s.
        let sub = stride == 1 ? x : try maxPool2d(x, kernel: 1, stride: Size2(stride))
        let extra = outChannels - inChannels
        guard extra > 0 else { return sub }
        let before = extra / 2
        var parts = [sub]
        if before > 0 { parts.insert(Tensor.zeros([sub.shape[0], before, sub.shape[2], sub.shape[3]]), at: 0) }
        if extra - before > 0 { parts.append(Tensor.zeros([sub.shape[0], extra - before, sub.shape[2], sub.shape[3]])) }
        return try concat(parts, dim: 1)
    }
}
