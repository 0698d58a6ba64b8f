/// Reductions: sum, mean, max and argmax, over everything or one dimension.
extension Tensor {
    /// Splits the shape around `dim` into (outer, size of dim, inner) for strided loops.
    func split(at dim: Int) -> (outer: Int, size: Int, inner: Int) {
        (shape[..<dim].reduce(1, *), shape[dim], shape[(dim + 1)...].reduce(1, *))
    }

    /// Resolves a possibly negative dimension index (`-1` is the last).
    func normalizedDim(_ dim: Int, op: String) throws -> Int {
        let d = dim < 0 ? dim + rank : dim
        try require(d >= 0 && d < Swift.max(rank, 1) && rank > 0, op,
                    "dimension \(dim) is out of range for a tensor of shape \(describe(shape)) (rank \(rank))")
        return d
    }

    /// The sum of all elements, as a 0-dimensional tensor.
    public func sum() -> Tensor { applyTotal(.sum, [self]) }

    /// The mean of all elements, as a 0-dimensional tensor.
    public func mean() -> Tensor { applyTotal(.mean, [self]) }

    /// Sums over dimension `dim`; `keepDims` leaves it in place with size 1.
    public func sum(dim: Int, keepDims: Bool = false) throws -> Tensor {
        let d = try normalizedDim(dim, op: "sum")
        return try apply(.sumAlong(dim: d, keepDims: keepDims), [self])
    }

    /// Mean over dimension `dim`.
    public func mean(dim: Int, keepDims: Bool = false) throws -> Tensor {
        let d = try normalizedDim(dim, op: "mean")
        return try sum(dim: d, keepDims: keepDims) * (1 / Float(Swift.max(shape[d], 1)))
    }

    /// Maximum over dimension `dim`, with the index of the first maximum (`torch.max(x, dim)`).
    /// The gradient flows to that index.
    public func max(dim: Int, keepDims: Bool = false) throws -> (values: Tensor, indices: [Int]) {
        let d = try reducedDim(dim)
        return (try apply(.maxAlong(dim: d, keepDims: keepDims), [self]), Kernels.maxIndices(self, dim: d))
    }

    /// Index of the maximum along `dim` (the first one on ties), e.g. predicted classes of logits:
    /// one scan, no recorded operation.
    public func argmax(dim: Int) throws -> [Int] { Kernels.maxIndices(self, dim: try reducedDim(dim)) }

    /// `dim` resolved for ``max(dim:keepDims:)`` and ``argmax(dim:)``, which need a non-empty dimension.
    private func reducedDim(_ dim: Int) throws -> Int {
        let d = try normalizedDim(dim, op: "max")
        try require(shape[d] > 0, "max", "cannot reduce an empty dimension \(dim) of \(describe(shape))")
        return d
    }

    /// The largest element.
    public func max() throws -> Float {
        try require(count > 0, "max", "tensor of shape \(describe(shape)) is empty")
        return withUnsafeBufferPointer { $0.max()! }
    }
}

extension Kernels {
    static func sum(_ x: Tensor) -> Computed {
        var s: Float = 0
        x.withUnsafeBufferPointer { b in for v in b { s += v } }
        return Computed(Tensor(s)) { [shape = x.shape] g in [Tensor.full(shape, g.plainStorage().pointer[0])] }
    }

    static func mean(_ x: Tensor) -> Computed {
        let n = Float(Swift.max(x.count, 1))
        var s: Float = 0
        x.withUnsafeBufferPointer { b in for v in b { s += v } }
        return Computed(Tensor(s / n)) { [shape = x.shape] g in [Tensor.full(shape, g.plainStorage().pointer[0] / n)] }
    }

    /// Every input element along `dim` receives the gradient of its sum.
    static func sumAlong(_ x: Tensor, dim d: Int, keepDims: Bool) -> Computed {
        let (outer, size, inner) = x.split(at: d)
        var outShape = x.shape
        if keepDims { outShape[d] = 1 } else { outShape.remove(at: d) }
        let out = Tensor.zeros(outShape)
        let src = x.plainStorage().pointer, dst = out.plainStorage().pointer
        for o in 0..<outer {
            for k in 0..<size {
                let row = src + (o * size + k) * inner
                for i in 0..<inner { dst[o * inner + i] += row[i] }
            }
        }
        return Computed(out) { [shape = x.shape] g in
            let gx = Tensor(uninitializedShape: shape)
            let gp = g.plainStorage().pointer, xp = gx.plainStorage().pointer
            for o in 0..<outer {
                for k in 0..<size { (xp + (o * size + k) * inner).update(from: gp + o * inner, count: inner) }
            }
            return [gx]
        }
    }

    /// The index along `dim` of each line's first maximum (a NaN wins, as in PyTorch).
    static func maxIndices(_ x: Tensor, dim d: Int) -> [Int] {
        let (outer, size, inner) = x.split(at: d)
        var indices = [Int](repeating: 0, count: outer * inner)
        let src = x.plainStorage().pointer
        for o in 0..<outer {
            for i in 0..<inner {
                var best = src[o * size * inner + i], bestK = 0
                for k in 1..<Swift.max(size, 1) {
                    let v = src[(o * size + k) * inner + i]
                    if v > best || v.isNaN { best = v; bestK = k; if v.isNaN { break } }
                }
                indices[o * inner + i] = bestK
            }
        }
        return indices
    }

    /// The gradient flows to the index of each maximum.
    static func maxAlong(_ x: Tensor, dim d: Int, keepDims: Bool) -> Computed {
        let (outer, size, inner) = x.split(at: d)
        var outShape = x.shape
        if keepDims { outShape[d] = 1 } else { outShape.remove(at: d) }
        let indices = maxIndices(x, dim: d)
        let out = Tensor(uninitializedShape: outShape)
        let src = x.plainStorage().pointer, dst = out.plainStorage().pointer
        for o in 0..<outer {
            for i in 0..<inner { dst[o * inner + i] = src[(o * size + indices[o * inner + i]) * inner + i] }
        }
        return Computed(out) { [shape = x.shape] g in
            let gx = Tensor.zeros(shape)
            let gp = g.plainStorage().pointer, xp = gx.plainStorage().pointer
            for o in 0..<outer {
                for i in 0..<inner { xp[(o * size + indices[o * inner + i]) * inner + i] = gp[o * inner + i] }
            }
            return [gx]
        }
    }
}
