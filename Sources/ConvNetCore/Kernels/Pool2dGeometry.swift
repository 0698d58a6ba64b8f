/// Everything that fixes the shape of one 2-D pooling; the key of cached oneDNN primitives.
public struct Pool2dGeometry: Hashable, Sendable {
    public var batch, channels, height, width: Int
    public var kernelHeight, kernelWidth, strideHeight, strideWidth, padHeight, padWidth: Int
    /// PyTorch's `ceil_mode`: round the output size up, so that a last, partial window still
    /// yields an output (it reaches into padding at the bottom or right, which never contributes).
    public var ceilMode: Bool

    /// ⌊(H + 2p − K)/s⌋ + 1 (PyTorch's default, `ceil_mode=False`); with ``ceilMode``
    /// ⌈(H + 2p − K)/s⌉ + 1, less one when the last window would start in the right padding.
    public var outHeight: Int { Self.outputSize(height, kernelHeight, strideHeight, padHeight, ceilMode) }
    public var outWidth: Int { Self.outputSize(width, kernelWidth, strideWidth, padWidth, ceilMode) }
    public var inputShape: [Int] { [batch, channels, height, width] }
    public var outputShape: [Int] { [batch, channels, outHeight, outWidth] }

    /// Padding at the bottom and right that the last window reaches: `padHeight`/`padWidth`,
    /// or in ceil mode as much more as the last, partial window needs.
    public var padBottom: Int { ceilMode ? max(padHeight, (outHeight - 1) * strideHeight + kernelHeight - height - padHeight) : padHeight }
    public var padRight: Int { ceilMode ? max(padWidth, (outWidth - 1) * strideWidth + kernelWidth - width - padWidth) : padWidth }

    /// The geometry of pooling an `[N, C, H, W]` input.
    public init(inputShape s: [Int], kernel: Size2, stride: Size2, padding: Size2, ceilMode: Bool = false) {
        batch = s[0]; channels = s[1]; height = s[2]; width = s[3]
        kernelHeight = kernel.height; kernelWidth = kernel.width
        strideHeight = stride.height; strideWidth = stride.width
        padHeight = padding.height; padWidth = padding.width
        self.ceilMode = ceilMode
    }

    private static func outputSize(_ size: Int, _ k: Int, _ s: Int, _ p: Int, _ ceil: Bool) -> Int {
        let span = size + 2 * p - k
        guard ceil else { return span / s + 1 }
        var out = (span + s - 1) / s + 1
        if (out - 1) * s >= size + p { out -= 1 }
        return out
    }

    func validate(op: String) throws {
        let sizes = inputShape + [kernelHeight, kernelWidth, strideHeight, strideWidth, padHeight, padWidth]
        try require(sizes.allSatisfy { $0 <= Int(Int32.max) }, op, "sizes \(sizes) must each be below 2^31")
        try require(kernelHeight > 0 && kernelWidth > 0, op, "kernel (\(kernelHeight), \(kernelWidth)) must be positive")
        try require(strideHeight > 0 && strideWidth > 0, op, "stride (\(strideHeight), \(strideWidth)) must be positive")
        try require(padHeight >= 0 && padWidth >= 0, op, "padding (\(padHeight), \(padWidth)) must not be negative")
        try require(2 * padHeight <= kernelHeight && 2 * padWidth <= kernelWidth, op,
                    "padding (\(padHeight), \(padWidth)) must be at most half the kernel (\(kernelHeight), \(kernelWidth)), as in PyTorch")
        try require(height + 2 * padHeight >= kernelHeight && width + 2 * padWidth >= kernelWidth, op,
                    "kernel \(kernelHeight)×\(kernelWidth) is larger than the padded input \(height + 2 * padHeight)×\(width + 2 * padWidth) (input \(describe(inputShape)))")
    }
}
