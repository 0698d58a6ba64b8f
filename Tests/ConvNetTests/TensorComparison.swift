import ConvNet

// Shared by the frozen-model, activation-memory and ONNX round-trip tests.

/// Random running statistics and affine parameters for every batch norm of `model`.
func randomizeBatchNorms(_ model: Module, seed: UInt64) {
    var gen = RandomGenerator(seed: seed)
    for (name, tensor) in model.stateDict() {
        let values: Tensor
        if name.hasSuffix("running_var") {
            values = Tensor.uniform(tensor.shape, low: 0.5, high: 1.5, generator: &gen)
        } else if name.hasSuffix("running_mean") {
            values = Tensor.randn(tensor.shape, std: 0.1, generator: &gen)
        } else if tensor.rank == 1, name.contains("bn") || name.contains("downsample.1") || name.contains("features") {
            // γ of batch norms around 1, β around 0 (biases of convolutions and linear layers too; harmless).
            values = name.hasSuffix("weight") ? Tensor.uniform(tensor.shape, low: 0.5, high: 1.5, generator: &gen)
                : Tensor.randn(tensor.shape, std: 0.1, generator: &gen)
        } else {
            continue
        }
        try? tensor.assign(values)
    }
}

/// max |a − b| / max(1, max |b|).
func relativeDifference(_ a: Tensor, _ b: Tensor) -> Float {
    let (x, y) = (a.scalars, b.scalars)
    let scale = max(1, y.map(abs).max() ?? 0)
    return (zip(x, y).map { abs($0 - $1) }.max() ?? 0) / scale
}
