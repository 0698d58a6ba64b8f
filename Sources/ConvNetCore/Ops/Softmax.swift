import Foundation

/// Softmax and log-softmax over one dimension, numerically stable (the row maximum is subtracted).
extension Tensor {
    /// Calls `body(rowStart, stride)` for every 1-D line along `dim`.
    @inline(__always)
    func forEachLine(along dim: Int, _ body: (Int, Int, Int) -> Void) {
        let (outer, size, inner) = split(at: dim)
        for o in 0..<outer { for i in 0..<inner { body(o * size * inner + i, inner, size) } }
    }

    /// log Σ_k e^(x_k) over the `n` values `x[start + k·step]`, computed as m + log Σ e^(x_k − m)
    /// with m the maximum, so large logits do not overflow.
    @inline(__always)
    static func logSumExp(_ x: UnsafePointer<Float>, start: Int, step: Int, count n: Int) -> Float {
        var m = -Float.infinity
        for k in 0..<n { m = Swift.max(m, x[start + k * step]) }
        var s: Float = 0
        for k in 0..<n { s += Foundation.exp(x[start + k * step] - m) }
        return m + Foundation.log(s)
    }

    /// softmax(x)_c = e^(x_c) / Σ_k e^(x_k) along `dim`.
    /// Backward: dX = y ⊙ (dY − Σ_c dY_c y_c).
    public func softmax(dim: Int = 1) throws -> Tensor {
        let d = try normalizedDim(dim, op: "softmax")
        return try apply(.softmax(dim: d), [self])
    }

    /// log softmax(x) = x − log Σ_k e^(x_k) along `dim`.
    /// Backward: dX = dY − softmax(x) · Σ_c dY_c.
    public func logSoftmax(dim: Int = 1) throws -> Tensor {
        let d = try normalizedDim(dim, op: "log_softmax")
        return try apply(.logSoftmax(dim: d), [self])
    }
}

extension Kernels {
    static func softmax(_ x: Tensor, dim d: Int) -> Computed {
        let y = Tensor(uninitializedShape: x.shape)
        let xp = x.plainStorage().pointer, yp = y.plainStorage().pointer
        x.forEachLine(along: d) { start, step, n in
            var m = -Float.infinity
            for k in 0..<n { m = Swift.max(m, xp[start + k * step]) }
            var s: Float = 0
            for k in 0..<n { let e = Foundation.exp(xp[start + k * step] - m); yp[start + k * step] = e; s += e }
            let inv = 1 / s
            for k in 0..<n { yp[start + k * step] *= inv }
        }
        return Computed(y) { g in
            let gx = Tensor(uninitializedShape: y.shape)
            let gp = g.plainStorage().pointer, gxp = gx.plainStorage().pointer
            y.forEachLine(along: d) { start, step, n in
                var dot: Float = 0
                for k in 0..<n { dot += gp[start + k * step] * yp[start + k * step] }
                for k in 0..<n { let j = start + k * step; gxp[j] = yp[j] * (gp[j] - dot) }
            }
            return [gx]
        }
    }

    static func logSoftmax(_ x: Tensor, dim d: Int) -> Computed {
        let y = Tensor(uninitializedShape: x.shape)
        let xp = x.plainStorage().pointer, yp = y.plainStorage().pointer
        x.forEachLine(along: d) { start, step, n in
            let lse = Tensor.logSumExp(xp, start: start, step: step, count: n)
            for k in 0..<n { yp[start + k * step] = xp[start + k * step] - lse }
        }
        return Computed(y) { g in
            let gx = Tensor(uninitializedShape: y.shape)
            let gp = g.plainStorage().pointer, gxp = gx.plainStorage().pointer
            y.forEachLine(along: d) { start, step, n in
                var total: Float = 0
                for k in 0..<n { total += gp[start + k * step] }
                for k in 0..<n { let j = start + k * step; gxp[j] = gp[j] - Foundation.exp(yp[j]) * total }
            }
            return [gx]
        }
    }
}
