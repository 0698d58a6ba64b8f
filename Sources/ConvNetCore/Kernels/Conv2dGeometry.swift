/// Everything that fixes the shape of one 2-D convolution; the key of cached oneDNN primitives.
///
/// With `groups` = G the input's C_in channels and the output's C_out channels are split into G
/// equal consecutive ranges, and output group g sees only input group g (weight
/// `[C_out, C_in/G, K_h, K_w]`); G = C_in is a depthwise convolution. With dilation d the kernel's
/// taps are d pixels apart, so a K-tap kernel spans d·(K − 1) + 1 pixels (PyTorch's conventions).
public struct Conv2dGeometry: Hashable, Sendable {
    public var batch, inChannels, height, width: Int
    public var outChannels, kernelHeight, kernelWidth: Int
    public var strideHeight, strideWidth, padHeight, padWidth: Int
    /// The distance between kernel taps (1: adjacent, an ordinary convolution).
    public var dilationHeight, dilationWidth: Int
    /// The number of channel groups (1: every output channel sees every input channel).
    public var groups: Int

    /// The rows an output pixel's window spans: d_h·(K_h − 1) + 1.
    public var effectiveKernelHeight: Int { dilationHeight * (kernelHeight - 1) + 1 }
    /// The columns an output pixel's window spans: d_w·(K_w − 1) + 1.
    public var effectiveKernelWidth: Int { dilationWidth * (kernelWidth - 1) + 1 }

    /// Output height: ⌊(H + 2p − d·(K − 1) − 1)/s⌋ + 1.
    public var outHeight: Int { (height + 2 * padHeight - effectiveKernelHeight) / strideHeight + 1 }
    /// Output width: ⌊(W + 2p − d·(K − 1) − 1)/s⌋ + 1.
    public var outWidth: Int { (width + 2 * padWidth - effectiveKernelWidth) / strideWidth + 1 }

    /// Input channels of one group, C_in/G.
    public var inChannelsPerGroup: Int { inChannels / max(groups, 1) }
    /// Output channels of one group, C_out/G.
    public var outChannelsPerGroup: Int { outChannels / max(groups, 1) }

    public var inputShape: [Int] { [batch, inChannels, height, width] }
    /// `[C_out, C_in/G, K_h, K_w]`.
    public var weightShape: [Int] { [outChannels, inChannelsPerGroup, kernelHeight, kernelWidth] }
    public var outputShape: [Int] { [batch, outChannels, outHeight, outWidth] }

    /// Multiply-adds ×2 of the forward pass: 2·N·C_out·H_out·W_out·(C_in/G)·K_h·K_w.
    public var forwardFlops: Double {
        2.0 * Double(batch) * Double(outChannels) * Double(outHeight) * Double(outWidth)
            * Double(inChannelsPerGroup) * Double(kernelHeight) * Double(kernelWidth)
    }

    /// The geometry of a convolution of `[batch, inChannels, height, width]` input to `outChannels`.
    public init(batch: Int, inChannels: Int, height: Int, width: Int, outChannels: Int,
                kernel: Size2, stride: Size2 = 1, padding: Size2 = 0, dilation: Size2 = 1, groups: Int = 1) {
        self.batch = batch; self.inChannels = inChannels; self.height = height; self.width = width
        self.outChannels = outChannels
        kernelHeight = kernel.height; kernelWidth = kernel.width
        strideHeight = stride.height; strideWidth = stride.width
        padHeight = padding.height; padWidth = padding.width
        dilationHeight = dilation.height; dilationWidth = dilation.width
        self.groups = groups
    }

    /// Checks the geometry, naming the op and the rule broken. Every size is checked to be below
    /// 2³¹ (and signs are checked) before any sum or product of them is formed, so none overflows.
    public func validate(op: String = "conv2d") throws {
        let sizes = [batch, inChannels, height, width, outChannels, kernelHeight, kernelWidth, strideHeight, strideWidth,
                     padHeight, padWidth, dilationHeight, dilationWidth, groups]
        try require(sizes.allSatisfy { $0 <= Int(Int32.max) }, op, "sizes \(sizes) must each be below 2^31")
        try require(strideHeight > 0 && strideWidth > 0, op,
                    "stride (\(strideHeight), \(strideWidth)) must be positive")
        try require(padHeight >= 0 && padWidth >= 0, op,
                    "padding (\(padHeight), \(padWidth)) must not be negative")
        try require(kernelHeight > 0 && kernelWidth > 0, op,
                    "kernel (\(kernelHeight), \(kernelWidth)) must be positive")
        try require(dilationHeight > 0 && dilationWidth > 0, op,
                    "dilation (\(dilationHeight), \(dilationWidth)) must be positive")
        try require(groups > 0, op, "groups \(groups) must be positive")
        try require(inChannels % groups == 0, op,
                    "input channels \(inChannels) must be divisible by groups \(groups)")
        try require(outChannels % groups == 0, op,
                    "output channels \(outChannels) must be divisible by groups \(groups)")
        // Below 2³¹ each, so d·(K − 1) + 1 < 2⁶² and H + 2p < 2³³.
        let (spanH, spanW) = (effectiveKernelHeight, effectiveKernelWidth)
        let (paddedH, paddedW) = (height + 2 * padHeight, width + 2 * padWidth)
        let dilated = dilationHeight == 1 && dilationWidth == 1 ? "" : " (kernel \(kernelHeight)×\(kernelWidth) with dilation (\(dilationHeight), \(dilationWidth)))"
        try require(paddedH >= spanH && paddedW >= spanW, op,
                    "kernel \(spanH)×\(spanW)\(dilated) is larger than the padded input \(paddedH)×\(paddedW) (input \(describe(inputShape)), padding (\(padHeight), \(padWidth)))")
    }
}
