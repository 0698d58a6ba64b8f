/// Operations that move elements without computing new ones, for any rank: permuting dimensions,
/// strided slicing, constant padding; and clamping. Each is recorded for autodiff (the ONNX
/// importer runs graphs that use them, and a frozen model must see every call).
extension Tensor {
    /// Row-major strides of `shape`.
    static func contiguousStrides(_ shape: [Int]) -> [Int] {
        var strides = [Int](repeating: 1, count: shape.count)
        for d in stride(from: shape.count - 2, through: 0, by: -1) { strides[d] = strides[d + 1] * shape[d + 1] }
        return strides
    }

    /// Calls `body(outIndex, sourceOffset)` for every element of `outShape`, where the source
    /// offset starts at `base` and moves by `sourceStrides[d]` along output dimension `d`.
    static func forEachStrided(_ outShape: [Int], base: Int, sourceStrides: [Int], _ body: (Int, Int) -> Void) {
        let total = outShape.reduce(1, *)
        guard total > 0 else { return }
        var index = [Int](repeating: 0, count: outShape.count)
        var source = base
        for o in 0..<total {
            body(o, source)
            var d = outShape.count - 1
            while d >= 0 {
                index[d] += 1
                source += sourceStrides[d]
                if index[d] < outShape[d] { break }
                source -= sourceStrides[d] * outShape[d]
                index[d] = 0
                d -= 1
            }
        }
    }

    /// The dimensions reordered: output dimension `i` is input dimension `permutation[i]`
    /// (`torch.permute`, ONNX `Transpose`). Backward: the inverse permutation of dY.
    public func permuted(_ permutation: [Int]) throws -> Tensor {
        try require(permutation.count == rank && permutation.sorted() == Array(0..<rank), "permute",
                    "\(permutation) is not a permutation of the \(rank) dimensions of \(describe(shape))")
        return try apply(.permute(permutation), [self])
    }

    /// `chunks` equal consecutive parts along `dim` (`torch.chunk` where the size divides evenly),
    /// each copied through ``strided(start:step:count:)``, whose backward scatters into place.
    public func chunked(_ chunks: Int, dim: Int) throws -> [Tensor] {
        try require(dim >= 0 && dim < rank && chunks >= 1 && shape[dim] % chunks == 0, "chunk",
                    "\(chunks) equal chunks along dimension \(dim) of \(describe(shape))")
        let size = shape[dim] / chunks
        return try (0..<chunks).map { i in
            var start = [Int](repeating: 0, count: rank), count = shape
            start[dim] = i * size
            count[dim] = size
            return try strided(start: start, step: [Int](repeating: 1, count: rank), count: count)
        }
    }

    /// Elements `start[d], start[d] + step[d], …` (`count[d]` of them) along every dimension `d`,
    /// copied (NumPy's `x[a:b:s, …]` with the bounds already resolved; steps may be negative).
    /// Backward: dY scattered back to the positions read, zeros elsewhere.
    public func strided(start: [Int], step: [Int], count counts: [Int]) throws -> Tensor {
        let op = "strided_slice"
        try require(start.count == rank && step.count == rank && counts.count == rank, op,
                    "needs a start, step and count per dimension of \(describe(shape))")
        for d in 0..<rank where counts[d] > 0 {
            let (span, overflow) = (counts[d] - 1).multipliedReportingOverflow(by: step[d])
            let last = overflow ? -1 : start[d] &+ span
            try require(step[d] != 0 && start[d] >= 0 && start[d] < shape[d] && last >= 0 && last < shape[d], op,
                        "dimension \(d): start \(start[d]), step \(step[d]), count \(counts[d]) leave \(describe(shape))")
        }
        try require(counts.allSatisfy { $0 >= 0 }, op, "counts \(counts) must not be negative")
        return try apply(.stridedSlice(start: start, step: step, count: counts), [self])
    }

    /// `before[d]` elements of `value` in front of dimension `d` and `after[d]` behind it
    /// (`torch.nn.functional.pad` in constant mode, ONNX `Pad`). Backward: dY's interior.
    public func padded(before: [Int], after: [Int], value: Float = 0) throws -> Tensor {
        try require(before.count == rank && after.count == rank && (before + after).allSatisfy { $0 >= 0 }, "pad",
                    "needs a non-negative padding before and after each dimension of \(describe(shape)), got \(before) and \(after)")
        return try apply(.pad(before: before, after: after, value: value), [self])
    }

    /// Every element limited to `[min, max]` (`torch.clamp`; NaN stays NaN). dY/dX = 1 inside, else 0.
    public func clamped(min low: Float = -.infinity, max high: Float = .infinity) -> Tensor {
        applyTotal(.clamp(min: low, max: high), [self])
    }
}

extension Kernels {
    static func permute(_ x: Tensor, _ permutation: [Int]) -> Computed {
        let inStrides = Tensor.contiguousStrides(x.shape)
        let out = Tensor(uninitializedShape: permutation.map { x.shape[$0] })
        let src = x.plainStorage().pointer, dst = out.plainStorage().pointer
        Tensor.forEachStrided(out.shape, base: 0, sourceStrides: permutation.map { inStrides[$0] }) { dst[$0] = src[$1] }
        var inverse = [Int](repeating: 0, count: x.rank)
        for (i, p) in permutation.enumerated() { inverse[p] = i }
        return Computed(out) { g in [try g.permuted(inverse)] }
    }

    static func stridedSlice(_ x: Tensor, start: [Int], step: [Int], count counts: [Int]) -> Computed {
        let inStrides = Tensor.contiguousStrides(x.shape)
        let base = (0..<x.rank).reduce(0) { $0 + (counts[$1] > 0 ? start[$1] * inStrides[$1] : 0) }
        let sourceStrides = (0..<x.rank).map { counts[$0] > 1 ? step[$0] * inStrides[$0] : 0 }  // bounded: the checks above
        let out = Tensor(uninitializedShape: counts)
        let src = x.plainStorage().pointer, dst = out.plainStorage().pointer
        Tensor.forEachStrided(counts, base: base, sourceStrides: sourceStrides) { dst[$0] = src[$1] }
        return Computed(out) { [shape = x.shape] g in
            let gx = Tensor.zeros(shape)
            let gp = g.plainStorage().pointer, gxp = gx.plainStorage().pointer
            Tensor.forEachStrided(counts, base: base, sourceStrides: sourceStrides) { gxp[$1] += gp[$0] }
            return [gx]
        }
    }

    static func pad(_ x: Tensor, before: [Int], after: [Int], value: Float) -> Computed {
        let outShape = (0..<x.rank).map { x.shape[$0] + before[$0] + after[$0] }
        let out = Tensor.full(outShape, value)
        let outStrides = Tensor.contiguousStrides(outShape)
        let base = (0..<x.rank).reduce(0) { $0 + before[$1] * outStrides[$1] }
        let src = x.plainStorage().pointer, dst = out.plainStorage().pointer
        // Walk the input, writing each element at its place in the output.
        Tensor.forEachStrided(x.shape, base: base, sourceStrides: outStrides) { dst[$1] = src[$0] }
        return Computed(out) { [shape = x.shape] g in
            let gx = Tensor(uninitializedShape: shape)
            let gp = g.plainStorage().pointer, gxp = gx.plainStorage().pointer
            Tensor.forEachStrided(shape, base: base, sourceStrides: outStrides) { gxp[$0] = gp[$1] }
            return [gx]
        }
    }

    /// dY/dX = 1 inside `[min, max]`, else 0.
    static func clamp(_ x: Tensor, min low: Float, max high: Float) -> Computed {
        pointwise(x, { $0.isNaN ? $0 : Swift.min(Swift.max($0, low), high) }) { x, _ in x >= low && x <= high ? 1 : 0 }
    }
}
