/// GoogLeNet / Inception v1 (Szegedy et al. 2014) in torchvision's layout, without the auxiliary
/// classifiers (6,624,904 parameters at 1000 classes). Each convolution is torchvision's
/// `BasicConv2d` (convolution without bias, batch norm with ε = 0.001, ReLU). As in torchvision,
/// the branch the paper gives a 5×5 convolution uses a 3×3 one (`branch3.1`), which is what the
/// published weights and parameter count correspond to. Input 3×224×224. Initialised as
/// torchvision initialises it: every convolution and linear weight from N(0, 0.01²) truncated to
/// [−2, 2], drawn after the layers' defaults, so from the same seed a model starts from
/// `googlenet(aux_logits=False, init_weights=True)`'s weights.
public final class GoogLeNet: Module {
    public let conv1 = BasicConv2d(3, 64, kernelSize: 7, stride: 2, padding: 3)
    public let maxpool1 = MaxPool2d(kernelSize: 3, stride: 2, ceilMode: true)
    public let conv2 = BasicConv2d(64, 64, kernelSize: 1)
    public let conv3 = BasicConv2d(64, 192, kernelSize: 3, padding: 1)
    public let maxpool2 = MaxPool2d(kernelSize: 3, stride: 2, ceilMode: true)
    public let inception3a = Inception(192, 64, 96, 128, 16, 32, 32)
    public let inception3b = Inception(256, 128, 128, 192, 32, 96, 64)
    public let maxpool3 = MaxPool2d(kernelSize: 3, stride: 2, ceilMode: true)
    public let inception4a = Inception(480, 192, 96, 208, 16, 48, 64)
    public let inception4b = Inception(512, 160, 112, 224, 24, 64, 64)
    public let inception4c = Inception(512, 128, 128, 256, 24, 64, 64)
    public let inception4d = Inception(512, 112, 144, 288, 32, 64, 64)
    public let inception4e = Inception(528, 256, 160, 320, 32, 128, 128)
    public let maxpool4 = MaxPool2d(kernelSize: 2, stride: 2, ceilMode: true)
    public let inception5a = Inception(832, 256, 160, 320, 32, 128, 128)
    public let inception5b = Inception(832, 384, 192, 384, 48, 128, 128)
    public let avgpool = AdaptiveAvgPool2d(outputSize: 1)
    public let dropout = Dropout(p: 0.2)
    public let fc: Linear

    public init(classes: Int = 1000) {
        fc = Linear(1024, classes)
        super.init()
        Initializer.reinitialize(self) { module, generator in
            if let weight = Initializer.convolutionOrLinearWeight(of: module) {
                Initializer.truncatedNormal(weight, std: 0.01, generator: &generator)
            }
        }
    }

    public func forward(_ x: Tensor) throws -> Tensor {
        var h = try maxpool1(conv1(x))
        h = try maxpool2(conv3(conv2(h)))
        h = try maxpool3(inception3b(inception3a(h)))
        h = try inception4e(inception4d(inception4c(inception4b(inception4a(h)))))
        h = try inception5b(inception5a(maxpool4(h)))
        return try fc(dropout(flatten(avgpool(h))))
    }
}

/// Convolution (no bias) → batch norm (ε = 0.001) → ReLU, torchvision's `BasicConv2d`.
public final class BasicConv2d: Module {
    public let conv: Conv2d
    public let bn: BatchNorm2d
    public let relu = ReLU()

    public init(_ inChannels: Int, _ outChannels: Int, kernelSize: Size2, stride: Size2 = 1, padding: Size2 = 0) {
        conv = Conv2d(inChannels, outChannels, kernelSize: kernelSize, stride: stride, padding: padding, bias: false)
        bn = BatchNorm2d(outChannels, eps: 0.001)
    }

    public func forward(_ x: Tensor) throws -> Tensor { try relu(bn(conv(x))) }
}

/// An Inception module: four branches on the same input, concatenated along channels —
/// 1×1; 1×1 → 3×3; 1×1 → "5×5" (3×3, as in torchvision); 3×3 max pool → 1×1 projection.
public final class Inception: Module {
    public let branch1: BasicConv2d
    public let branch2: Sequential
    public let branch3: Sequential
    public let branch4: Sequential

    public init(_ inChannels: Int, _ ch1x1: Int, _ ch3x3reduce: Int, _ ch3x3: Int, _ ch5x5reduce: Int, _ ch5x5: Int,
                _ poolProjection: Int) {
        branch1 = BasicConv2d(inChannels, ch1x1, kernelSize: 1)
        branch2 = Sequential(BasicConv2d(inChannels, ch3x3reduce, kernelSize: 1),
                             BasicConv2d(ch3x3reduce, ch3x3, kernelSize: 3, padding: 1))
        branch3 = Sequential(BasicConv2d(inChannels, ch5x5reduce, kernelSize: 1),
                             BasicConv2d(ch5x5reduce, ch5x5, kernelSize: 3, padding: 1))
        branch4 = Sequential(MaxPool2d(kernelSize: 3, stride: 1, padding: 1, ceilMode: true),
                             BasicConv2d(inChannels, poolProjection, kernelSize: 1))
    }

    public func forward(_ x: Tensor) throws -> Tensor {
        try concat([branch1(x), branch2(x), branch3(x), branch4(x)], dim: 1)
    }
}
