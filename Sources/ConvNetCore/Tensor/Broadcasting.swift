/// NumPy/PyTorch broadcasting: shapes are aligned at their trailing dimensions, and a dimension
/// of 1 (or a missing one) stretches to match the other.
enum Broadcast {
    /// The broadcast shape of `a` and `b`.
    static func shape(_ a: [Int], _ b: [Int], op: String) throws -> [Int] {
        let rank = max(a.count, b.count)
        var out = [Int](repeating: 1, count: rank)
        for i in 0..<rank {
            let da = i < rank - a.count ? 1 : a[i - (rank - a.count)]
            let db = i < rank - b.count ? 1 : b[i - (rank - b.count)]
            try require(da == db || da == 1 || db == 1, op,
                        "shapes \(describe(a)) and \(describe(b)) cannot be broadcast (dimension \(i) is \(da) vs \(db); each pair must be equal or 1)")
            out[i] = da == 1 ? db : da
        }
        return out
    }

    /// Element strides of `shape` seen as `outShape` (0 where the dimension is broadcast).
    static func strides(of shape: [Int], in outShape: [Int]) -> [Int] {
        let rank = outShape.count
        var strides = [Int](repeating: 0, count: rank)
        var running = 1
        for i in stride(from: shape.count - 1, through: 0, by: -1) {
            let o = i + rank - shape.count
            strides[o] = shape[i] == 1 ? 0 : running
            running *= shape[i]
        }
        return strides
    }

    /// Calls `body(outIndex, aIndex, bIndex, runLength, aStep, bStep)` over runs of the innermost
    /// dimension of `outShape`, so kernels see long strided runs rather than single elements.
    @inline(__always)
    static func forEachRun(_ outShape: [Int], _ aStrides: [Int], _ bStrides: [Int],
                           _ body: (Int, Int, Int, Int, Int, Int) -> Void) {
        let rank = outShape.count
        if rank == 0 { body(0, 0, 0, 1, 0, 0); return }
        let inner = outShape[rank - 1]
        let outer = outShape.dropLast().reduce(1, *)
        var index = [Int](repeating: 0, count: rank)
        var ai = 0, bi = 0
        for run in 0..<outer {
            body(run * inner, ai, bi, inner, aStrides[rank - 1], bStrides[rank - 1])
            // Advance the multi-index over the outer dimensions.
            var d = rank - 2
            while d >= 0 {
                index[d] += 1
                ai += aStrides[d]
                bi += bStrides[d]
                if index[d] < outShape[d] { break }
                ai -= aStrides[d] * outShape[d]
                bi -= bStrides[d] * outShape[d]
                index[d] = 0
                d -= 1
            }
        }
    }
}

extension Tensor {
    /// Sums this tensor down to `target`, undoing a broadcast (the backward of broadcasting).
    func sumToShape(_ target: [Int]) -> Tensor {
        if target == shape { return self }
        let out = Tensor.zeros(target)
        let tStrides = Broadcast.strides(of: target, in: shape)
        let zero = [Int](repeating: 0, count: shape.count)
        let src = plainStorage().pointer, dst = out.plainStorage().pointer
        Broadcast.forEachRun(shape, tStrides, zero) { o, t, _, n, tStep, _ in
            if tStep == 0 {
                var s: Float = 0
                for j in 0..<n { s += src[o + j] }
                dst[t] += s
            } else {
                for j in 0..<n { dst[t + j * tStep] += src[o + j] }
            }
        }
        return out
    }
}
