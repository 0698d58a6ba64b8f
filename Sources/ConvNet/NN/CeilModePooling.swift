/// Max pooling with PyTorch's `ceil_mode`: the output size is ⌈(H + 2p − k)/s⌉ + 1, less one when
/// the last window would start in the right padding. Computed as floor-mode pooling of the input
/// extended on the bottom and right by −∞ rows and columns, which never win a window.
public func maxPool2d(_ x: Tensor, kernel: Size2, stride: Size2? = nil, padding: Size2 = 0, ceilMode: Bool) throws -> Tensor {
    guard ceilMode, x.rank == 4 else { return try maxPool2d(x, kernel: kernel, stride: stride, padding: padding) }
    let s = stride ?? kernel
    guard s.height > 0, s.width > 0 else { throw ConvNetError(op: "maxpool2d", "stride \(s) must be positive") }
    func extra(_ size: Int, _ k: Int, _ s: Int, _ p: Int) -> Int {
        var out = (size + 2 * p - k + s - 1) / s + 1
        if (out - 1) * s >= size + p { out -= 1 }
        return max(0, (out - 1) * s + k - (size + 2 * p))
    }
    let extraRows = extra(x.shape[2], kernel.height, s.height, padding.height)
    let extraCols = extra(x.shape[3], kernel.width, s.width, padding.width)
    var h = x
    if extraRows > 0 {
        h = try concat([h, Tensor.full([h.shape[0], h.shape[1], extraRows, h.shape[3]], -.infinity)], dim: 2)
    }
    if extraCols > 0 {
        h = try concat([h, Tensor.full([h.shape[0], h.shape[1], h.shape[2], extraCols], -.infinity)], dim: 3)
    }
    return try maxPool2d(h, kernel: kernel, stride: s, padding: padding)
}
