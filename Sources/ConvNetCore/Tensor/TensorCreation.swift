extension Tensor {
    /// A tensor of zeros.
    public static func zeros(_ shape: [Int], requiresGrad: Bool = false) -> Tensor {
        full(shape, 0, requiresGrad: requiresGrad)
    }

    /// A tensor of ones.
    public static func ones(_ shape: [Int], requiresGrad: Bool = false) -> Tensor {
        full(shape, 1, requiresGrad: requiresGrad)
    }

    /// A tensor with every element set to `value`.
    public static func full(_ shape: [Int], _ value: Float, requiresGrad: Bool = false) -> Tensor {
        Tensor(shape: shape, storage: TensorStorage(count: shape.reduce(1, *), repeating: value), requiresGrad: requiresGrad)
    }

    /// Samples from N(mean, std²), reproducible for a given generator state (PyTorch's
    /// `torch.randn(shape) * std + mean` drawn as `normal_(mean, std)`).
    public static func randn(_ shape: [Int], mean: Float = 0, std: Float = 1,
                             generator: inout RandomGenerator, requiresGrad: Bool = false) -> Tensor {
        let t = Tensor(uninitializedShape: shape)
        t.withUnsafeMutableBufferPointer { generator.fillNormal($0, mean: mean, std: std) }
        t.requiresGrad = requiresGrad
        return t
    }

    /// Samples from U[low, high), reproducible for a given generator state (PyTorch's `uniform_(low, high)`).
    public static func uniform(_ shape: [Int], low: Float = 0, high: Float = 1,
                               generator: inout RandomGenerator, requiresGrad: Bool = false) -> Tensor {
        let t = Tensor(uninitializedShape: shape)
        t.withUnsafeMutableBufferPointer { generator.fillUniform($0, from: low, to: high) }
        t.requiresGrad = requiresGrad
        return t
    }

    /// `0, 1, …, n-1` as floats.
    public static func arange(_ n: Int) -> Tensor {
        let t = Tensor(uninitializedShape: [n])
        t.withUnsafeMutableBufferPointer { b in for i in 0..<n { b[i] = Float(i) } }
        return t
    }
}
