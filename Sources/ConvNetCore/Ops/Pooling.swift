/// Checks a pooling input and builds its geometry; `stride` defaults to the kernel, as in PyTorch.
private func poolGeometry(_ op: String, _ x: Tensor, _ kernel: Size2, _ stride: Size2?, _ padding: Size2,
                          ceilMode: Bool = false) throws -> Pool2dGeometry {
    try require(x.rank == 4, op, "input must be [N, C, H, W], got \(describe(x.shape))")
    let g = Pool2dGeometry(inputShape: x.shape, kernel: kernel, stride: stride ?? kernel, padding: padding, ceilMode: ceilMode)
    try g.validate(op: op)
    return g
}

/// Max pooling: y = max over each K_h×K_w window (padding never wins).
/// Backward: the upstream gradient goes to the position of each window's maximum.
/// With `ceilMode` the output size rounds up, as PyTorch's `ceil_mode=True` (see ``Pool2dGeometry/ceilMode``).
public func maxPool2d(_ x: Tensor, kernel: Size2, stride: Size2? = nil, padding: Size2 = 0,
                      ceilMode: Bool = false) throws -> Tensor {
    let g = try poolGeometry("maxpool2d", x, kernel, stride, padding, ceilMode: ceilMode)
    return try apply(.maxPool2d(g), [x])
}

/// Average pooling: y = (window sum)/(K_h·K_w), padded zeros counted (PyTorch's default
/// `count_include_pad=True`); with `countIncludePad: false` the divisor is the number of input
/// pixels inside the window. Backward: each input of a window receives dY/divisor.
/// With `ceilMode` the output size rounds up as for ``maxPool2d(_:kernel:stride:padding:ceilMode:)``;
/// a last, partial window then divides by the part of it inside the padded input, as PyTorch does.
public func avgPool2d(_ x: Tensor, kernel: Size2, stride: Size2? = nil, padding: Size2 = 0,
                      countIncludePad: Bool = true, ceilMode: Bool = false) throws -> Tensor {
    let g = try poolGeometry("avgpool2d", x, kernel, stride, padding, ceilMode: ceilMode)
    return try apply(.avgPool2d(g, countIncludePad: countIncludePad), [x])
}

/// Global average pooling: `[N, C, H, W]` → `[N, C, 1, 1]`, the mean of each channel plane
/// (`adaptive_avg_pool2d(x, 1)`). Backward: dX = dY/(H·W) everywhere.
public func globalAvgPool2d(_ x: Tensor) throws -> Tensor {
    try require(x.rank == 4, "global_avgpool", "input must be [N, C, H, W], got \(describe(x.shape))")
    try require(x.shape[2] * x.shape[3] > 0, "global_avgpool", "input \(describe(x.shape)) has an empty plane")
    return try apply(.globalAvgPool2d, [x])
}

extension Kernels {
    static func maxPool2d(_ g: Pool2dGeometry, _ x: Tensor, wantsGradient: Bool) throws -> Computed {
        let r = try Backend.current.pooling.maxPool(g, x: x, needsBackward: wantsGradient)
        return Computed(r.output) { dy in [try r.backward!(dy)] }
    }

    static func avgPool2d(_ g: Pool2dGeometry, countIncludePad: Bool, _ x: Tensor, wantsGradient: Bool) throws -> Computed {
        let r = try Backend.current.pooling.avgPool(g, x: x, countIncludePad: countIncludePad, needsBackward: wantsGradient)
        return Computed(r.output) { dy in [try r.backward!(dy)] }
    }

    static func globalAvgPool2d(_ x: Tensor) -> Computed {
        let (planes, size) = (x.shape[0] * x.shape[1], x.shape[2] * x.shape[3])
        let y = Tensor(uninitializedShape: [x.shape[0], x.shape[1], 1, 1])
        let xp = x.plainStorage().pointer, yp = y.plainStorage().pointer
        let inv = 1 / Float(size)
        for p in 0..<planes {
            var s: Float = 0
            for i in 0..<size { s += xp[p * size + i] }
            yp[p] = s * inv
        }
        return Computed(y) { [shape = x.shape] dy in
            let dx = Tensor(uninitializedShape: shape)
            let dp = dx.plainStorage().pointer, gp = dy.plainStorage().pointer
            for p in 0..<planes { (dp + p * size).update(repeating: gp[p] * inv, count: size) }
            return [dx]
        }
    }
}
