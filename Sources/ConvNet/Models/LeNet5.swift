/// LeNet-5 as trained on MNIST today (LeCun et al. 1998, with ReLU and max pooling):
/// conv 6@5×5 pad 2 → ReLU → max pool 2 → conv 16@5×5 → ReLU → max pool 2 → FC 400→120→84→10.
/// Input `[N, 1, 28, 28]`; parameters `conv1.*`, `conv2.*`, `fc1.*`, `fc2.*`, `fc3.*`.
public final class LeNet5: Module {
    public let conv1 = Conv2d(1, 6, kernelSize: 5, padding: 2)
    public let conv2 = Conv2d(6, 16, kernelSize: 5)
    public let fc1 = Linear(400, 120)
    public let fc2 = Linear(120, 84)
    public let fc3: Linear

    public init(classes: Int = 10) {
        fc3 = Linear(84, classes)
    }

    public override func forward(_ x: Tensor) throws -> Tensor {
        var h = try maxPool2d(conv1(x).relu(), kernel: 2)
        h = try maxPool2d(conv2(h).relu(), kernel: 2)
        h = try fc1(flatten(h)).relu()
        h = try fc2(h).relu()
        return try fc3(h)
    }
}
