/// Shape operations: reshape, flatten, transpose, concatenation and batch slicing.
extension Tensor {
    /// The same elements under a new shape (a view; one dimension may be `-1` to be inferred).
    /// - Throws: ``ConvNetError`` if the element counts differ or more than one dimension is `-1`.
    public func reshaped(_ newShape: [Int]) throws -> Tensor { try reshaped(newShape, recordedAs: nil) }

    /// ``reshaped(_:)``, recorded as `op` (a flatten) rather than as a reshape when given.
    func reshaped(_ newShape: [Int], recordedAs: Op?) throws -> Tensor {
        var target = newShape
        let inferred = target.indices.filter { target[$0] == -1 }
        try require(inferred.count <= 1 && target.allSatisfy { $0 >= -1 }, "reshape",
                    "shape \(describe(newShape)) may contain at most one -1 and no other negative size")
        if let i = inferred.first {
            let known = target.filter { $0 != -1 }.reduce(1, *)
            try require(known > 0 && count % known == 0, "reshape",
                        "cannot infer -1 in \(describe(newShape)) for \(count) elements of \(describe(shape))")
            target[i] = count / known
        }
        try require(target.reduce(1, *) == count, "reshape",
                    "cannot view \(describe(shape)) (\(count) elements) as \(describe(newShape))")
        return try apply(recordedAs ?? .reshape(shape: target), [self])
    }

    /// Collapses dimensions `startDim…` into one: `[N, C, H, W]` → `[N, C·H·W]` for the default 1.
    public func flattened(startDim: Int = 1) throws -> Tensor {
        let d = try normalizedDim(startDim, op: "flatten")
        return try reshaped(Kernels.flattenedShape(shape, startDim: d), recordedAs: .flatten(startDim: d))
    }

    /// The transpose of a 2-D tensor.
    public func transposed() throws -> Tensor {
        try require(rank == 2, "transpose", "expects a 2-D tensor, got shape \(describe(shape))")
        return try apply(.transpose, [self])
    }

    /// Writes the transpose of a rows×cols row-major matrix.
    static func transpose(_ src: UnsafePointer<Float>, rows: Int, cols: Int, into dst: UnsafeMutablePointer<Float>) {
        let block = 32
        for i0 in stride(from: 0, to: rows, by: block) {
            for j0 in stride(from: 0, to: cols, by: block) {
                for i in i0..<Swift.min(i0 + block, rows) {
                    for j in j0..<Swift.min(j0 + block, cols) { dst[j * rows + i] = src[i * cols + j] }
                }
            }
        }
    }

    /// Rows `range` of dimension 0 (a batch slice), copied.
    public func slice(_ range: Range<Int>) throws -> Tensor {
        try require(rank >= 1 && range.lowerBound >= 0 && range.upperBound <= shape[0], "slice",
                    "range \(range) is outside dimension 0 of \(describe(shape))")
        return try apply(.slice(range), [self])
    }
}

/// Concatenates tensors along `dim` (`torch.cat`); for NCHW images `dim: 1` is channel concat,
/// as in an Inception module. All other dimensions must agree. Runs on ``Backend/current`` (the
/// oneDNN backend joins channel slices in its own layout).
public func concat(_ tensors: [Tensor], dim: Int = 1) throws -> Tensor {
    try require(!tensors.isEmpty, "concat", "needs at least one tensor")
    let first = tensors[0]
    let d = try first.normalizedDim(dim, op: "concat")
    for t in tensors {
        try require(t.rank == first.rank && t.shape.enumerated().allSatisfy { $0.offset == d || $0.element == first.shape[$0.offset] },
                    "concat", "shapes \(tensors.map { describe($0.shape) }.joined(separator: ", ")) differ outside dimension \(d)")
    }
    return try apply(.concat(dim: d), tensors)
}

extension Kernels {
    /// The same storage viewed as `shape` (a reshape or flatten); dX is dY viewed back.
    static func view(_ x: Tensor, as shape: [Int]) -> Computed {
        Computed(Tensor(shape: shape, storage: x.plainStorage())) { [shape = x.shape] g in
            [Tensor(shape: shape, storage: g.plainStorage())]
        }
    }

    /// The shape `.flatten(startDim:)` gives `shape`.
    static func flattenedShape(_ shape: [Int], startDim d: Int) -> [Int] { Array(shape[..<d]) + [shape[d...].reduce(1, *)] }

    static func transpose(_ x: Tensor) -> Computed {
        let (r, c) = (x.shape[0], x.shape[1])
        let out = Tensor(uninitializedShape: [c, r])
        Tensor.transpose(x.plainStorage().pointer, rows: r, cols: c, into: out.plainStorage().pointer)
        return Computed(out) { g in
            let gx = Tensor(uninitializedShape: [r, c])
            Tensor.transpose(g.plainStorage().pointer, rows: c, cols: r, into: gx.plainStorage().pointer)
            return [gx]
        }
    }

    static func slice(_ x: Tensor, _ range: Range<Int>) -> Computed {
        let rowSize = x.shape.dropFirst().reduce(1, *)
        let out = Tensor(uninitializedShape: [range.count] + x.shape.dropFirst())
        out.plainStorage().pointer.update(from: x.plainStorage().pointer + range.lowerBound * rowSize, count: range.count * rowSize)
        return Computed(out) { [shape = x.shape] g in
            let gx = Tensor.zeros(shape)
            (gx.plainStorage().pointer + range.lowerBound * rowSize).update(from: g.plainStorage().pointer, count: g.count)
            return [gx]
        }
    }

    /// Concatenation on ``Backend/current``; each input's gradient is its slice of dY.
    static func concat(_ tensors: [Tensor], dim d: Int) throws -> Computed {
        let first = tensors[0]
        let sizes = tensors.map { $0.shape[d] }
        var outShape = first.shape
        outShape[d] = sizes.reduce(0, +)
        let outer = first.shape[..<d].reduce(1, *), inner = first.shape[(d + 1)...].reduce(1, *)
        let total = outShape[d] * inner
        let out = try Backend.current.concatenation.concat(tensors, dim: d, outputShape: outShape)
        return Computed(out) { g in
            var grads: [Tensor?] = []
            var offset = 0
            for (t, size) in zip(tensors, sizes) {
                let chunk = size * inner
                if t.requiresGrad {
                    let gt = Tensor(uninitializedShape: t.shape)
                    let (gtp, gp) = (gt.plainStorage().pointer, g.plainStorage().pointer)
                    for o in 0..<outer { (gtp + o * chunk).update(from: gp + o * total + offset, count: chunk) }
                    grads.append(gt)
                } else {
                    grads.append(nil)
                }
                offset += chunk
            }
            return grads
        }
    }
}
