/// Everything that fixes the shape of one 2-D pooling; the key of cached oneDNN primitives.
public struct Pool2dGeometry: Hashable, Sendable {
    public var batch, channels, height, width: Int
    public var kernelHeight, kernelWidth, strideHeight, strideWidth, padHeight, padWidth: Int

    /// ⌊(H + 2p − K)/s⌋ + 1 (PyTorch's default, `ceil_mode=False`).
    public var outHeight: Int { (height + 2 * padHeight - kernelHeight) / strideHeight + 1 }
    public var outWidth: Int { (width + 2 * padWidth - kernelWidth) / strideWidth + 1 }
    public var inputShape: [Int] { [batch, channels, height, width] }
    public var outputShape: [Int] { [batch, channels, outHeight, outWidth] }

    /// The geometry of pooling an `[N, C, H, W]` input.
    public init(inputShape s: [Int], kernel: Size2, stride: Size2, padding: Size2) {
        batch = s[0]; channels = s[1]; height = s[2]; width = s[3]
        kernelHeight = kernel.height; kernelWidth = kernel.width
        strideHeight = stride.height; strideWidth = stride.width
        padHeight = padding.height; padWidth = padding.width
    }

    func validate(op: String) throws {
        try require(kernelHeight > 0 && kernelWidth > 0, op, "kernel (\(kernelHeight), \(kernelWidth)) must be positive")
        try require(strideHeight > 0 && strideWidth > 0, op, "stride (\(strideHeight), \(strideWidth)) must be positive")
        try require(padHeight >= 0 && padWidth >= 0, op, "padding (\(padHeight), \(padWidth)) must not be negative")
        try require(2 * padHeight <= kernelHeight && 2 * padWidth <= kernelWidth, op,
                    "padding (\(padHeight), \(padWidth)) must be at most half the kernel (\(kernelHeight), \(kernelWidth)), as in PyTorch")
        try require(height + 2 * padHeight >= kernelHeight && width + 2 * padWidth >= kernelWidth, op,
                    "kernel \(kernelHeight)×\(kernelWidth) is larger than the padded input \(height + 2 * padHeight)×\(width + 2 * padWidth) (input \(describe(inputShape)))")
    }
}
