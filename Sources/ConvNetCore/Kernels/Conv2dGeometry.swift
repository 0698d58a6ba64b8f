/// Everything that fixes the shape of one 2-D convolution; the key of cached oneDNN primitives.
public struct Conv2dGeometry: Hashable, Sendable {
    public var batch, inChannels, height, width: Int
    public var outChannels, kernelHeight, kernelWidth: Int
    public var strideHeight, strideWidth, padHeight, padWidth: Int

    /// Output height: ⌊(H + 2p − K)/s⌋ + 1.
    public var outHeight: Int { (height + 2 * padHeight - kernelHeight) / strideHeight + 1 }
    /// Output width: ⌊(W + 2p − K)/s⌋ + 1.
    public var outWidth: Int { (width + 2 * padWidth - kernelWidth) / strideWidth + 1 }

    public var inputShape: [Int] { [batch, inChannels, height, width] }
    public var weightShape: [Int] { [outChannels, inChannels, kernelHeight, kernelWidth] }
    public var outputShape: [Int] { [batch, outChannels, outHeight, outWidth] }

    /// Multiply-adds ×2 of the forward pass.
    public var forwardFlops: Double {
        2.0 * Double(batch * outChannels * outHeight * outWidth) * Double(inChannels * kernelHeight * kernelWidth)
    }

    /// The geometry of a convolution of `[batch, inChannels, height, width]` input to `outChannels`.
    public init(batch: Int, inChannels: Int, height: Int, width: Int, outChannels: Int,
                kernel: Size2, stride: Size2 = 1, padding: Size2 = 0) {
        self.batch = batch; self.inChannels = inChannels; self.height = height; self.width = width
        self.outChannels = outChannels
        kernelHeight = kernel.height; kernelWidth = kernel.width
        strideHeight = stride.height; strideWidth = stride.width
        padHeight = padding.height; padWidth = padding.width
    }

    /// Checks the geometry, naming the op and the rule broken.
    public func validate(op: String = "conv2d") throws {
        let sizes = [batch, inChannels, height, width, outChannels, kernelHeight, kernelWidth, strideHeight, strideWidth,
                     padHeight, padWidth]
        try require(sizes.allSatisfy { $0 <= Int(Int32.max) }, op, "sizes \(sizes) must each be below 2^31")
        try require(strideHeight > 0 && strideWidth > 0, op,
                    "stride (\(strideHeight), \(strideWidth)) must be positive")
        try require(padHeight >= 0 && padWidth >= 0, op,
                    "padding (\(padHeight), \(padWidth)) must not be negative")
        try require(kernelHeight > 0 && kernelWidth > 0, op,
                    "kernel (\(kernelHeight), \(kernelWidth)) must be positive")
        try require(height + 2 * padHeight >= kernelHeight && width + 2 * padWidth >= kernelWidth, op,
                    "kernel \(kernelHeight)×\(kernelWidth) is larger than the padded input \(height + 2 * padHeight)×\(width + 2 * padWidth) (input \(describe(inputShape)), padding (\(padHeight), \(padWidth)))")
    }
}
