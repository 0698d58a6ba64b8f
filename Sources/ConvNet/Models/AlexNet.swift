/// AlexNet in torchvision's layout (`torchvision.models.alexnet`, 61,100,840 parameters at 1000
/// classes): five convolutions 64-192-384-256-256, adaptive average pooling to 6×6, three fully
/// connected layers with dropout. Input 3×224×224.
public final class AlexNet: Module {
    public let features: Sequential
    public let avgpool = AdaptiveAvgPool2d(outputSize: 6)
    public let classifier: Sequential

    public init(classes: Int = 1000, dropout: Float = 0.5) {
        features = Sequential(
            Conv2d(3, 64, kernelSize: 11, stride: 4, padding: 2), ReLU(), MaxPool2d(kernelSize: 3, stride: 2),
            Conv2d(64, 192, kernelSize: 5, padding: 2), ReLU(), MaxPool2d(kernelSize: 3, stride: 2),
            Conv2d(192, 384, kernelSize: 3, padding: 1), ReLU(),
            Conv2d(384, 256, kernelSize: 3, padding: 1), ReLU(),
            Conv2d(256, 256, kernelSize: 3, padding: 1), ReLU(), MaxPool2d(kernelSize: 3, stride: 2))
        classifier = Sequential(
            Dropout(p: dropout), Linear(256 * 6 * 6, 4096), ReLU(),
            Dropout(p: dropout), Linear(4096, 4096), ReLU(),
            Linear(4096, classes))
    }

    public func forward(_ x: Tensor) throws -> Tensor {
        try classifier(flatten(avgpool(features(x))))
    }
}

/// AlexNet as published (Krizhevsky, Sutskever & Hinton 2012), on one device (ungrouped):
/// 96-256-384-384-256 convolutions, local response normalisation (n = 5, α = 1e-4, β = 0.75,
/// k = 2) after the first two, overlapping 3×3/2 max pooling; 227×227 input; 62,378,344
/// parameters at 1000 classes.
public final class AlexNet2012: Module {
    public let features: Sequential
    public let classifier: Sequential

    public init(classes: Int = 1000, dropout: Float = 0.5) {
        features = Sequential(
            Conv2d(3, 96, kernelSize: 11, stride: 4), ReLU(), LocalResponseNorm(size: 5, alpha: 1e-4, beta: 0.75, k: 2),
            MaxPool2d(kernelSize: 3, stride: 2),
            Conv2d(96, 256, kernelSize: 5, padding: 2), ReLU(), LocalResponseNorm(size: 5, alpha: 1e-4, beta: 0.75, k: 2),
            MaxPool2d(kernelSize: 3, stride: 2),
            Conv2d(256, 384, kernelSize: 3, padding: 1), ReLU(),
            Conv2d(384, 384, kernelSize: 3, padding: 1), ReLU(),
            Conv2d(384, 256, kernelSize: 3, padding: 1), ReLU(), MaxPool2d(kernelSize: 3, stride: 2))
        classifier = Sequential(
            Dropout(p: dropout), Linear(256 * 6 * 6, 4096), ReLU(),
            Dropout(p: dropout), Linear(4096, 4096), ReLU(),
            Linear(4096, classes))
    }

    public func forward(_ x: Tensor) throws -> Tensor {
        try classifier(flatten(features(x)))
    }
}
