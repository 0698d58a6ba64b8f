/// Adaptive average pooling to a fixed output size (`torch.nn.functional.adaptive_avg_pool2d`):
/// output cell (i, j) averages input rows ⌊i·H/h⌋ ..< ⌈(i+1)·H/h⌉ and the matching columns, so
/// any input size maps to `[N, C, h, w]` (windows overlap when the input is smaller than the output).
///
/// Backward: each input pixel of cell (i, j) receives dY[i, j] / (cell area).
public func adaptiveAvgPool2d(_ x: Tensor, outputSize: Size2) throws -> Tensor {
    let op = "adaptive_avgpool2d"
    try require(x.rank == 4, op, "input must be [N, C, H, W], got \(describe(x.shape))")
    let (h, w) = (outputSize.height, outputSize.width)
    try require(h > 0 && w > 0, op, "output size \(outputSize) must be positive")
    let (inH, inW) = (x.shape[2], x.shape[3])
    try require(inH > 0 && inW > 0, op, "input \(describe(x.shape)) has an empty plane")
    if inH == h && inW == w { return x }
    return try apply(.adaptiveAvgPool2d(outputSize: outputSize), [x])
}

extension Kernels {
    static func adaptiveAvgPool2d(_ x: Tensor, outputSize: Size2) -> Computed {
        let (h, w) = (outputSize.height, outputSize.width)
        let (planes, inH, inW) = (x.shape[0] * x.shape[1], x.shape[2], x.shape[3])
        // Window bounds of each output row and column.
        let rows = (0..<h).map { i in (i * inH / h, ((i + 1) * inH + h - 1) / h) }
        let cols = (0..<w).map { j in (j * inW / w, ((j + 1) * inW + w - 1) / w) }
        let y = Tensor(uninitializedShape: [x.shape[0], x.shape[1], h, w])
        let xp = x.plainStorage().pointer, yp = y.plainStorage().pointer
        for p in 0..<planes {
            let src = xp + p * inH * inW
            for (i, (r0, r1)) in rows.enumerated() {
                for (j, (c0, c1)) in cols.enumerated() {
                    var s: Float = 0
                    for r in r0..<r1 { for c in c0..<c1 { s += src[r * inW + c] } }
                    yp[(p * h + i) * w + j] = s / Float((r1 - r0) * (c1 - c0))
                }
            }
        }
        return Computed(y) { [shape = x.shape] dy in
            let dx = Tensor.zeros(shape)
            let gp = dy.plainStorage().pointer, dp = dx.plainStorage().pointer
            for p in 0..<planes {
                let dst = dp + p * inH * inW
                for (i, (r0, r1)) in rows.enumerated() {
                    for (j, (c0, c1)) in cols.enumerated() {
                        let share = gp[(p * h + i) * w + j] / Float((r1 - r0) * (c1 - c0))
                        for r in r0..<r1 { for c in c0..<c1 { dst[r * inW + c] += share } }
                    }
                }
            }
            return [dx]
        }
    }
}
