import ConvNet
/// The shape arithmetic of the ONNX operators, shared by shape inference and the kernels: how
/// axes, slices, pads and reshapes resolve against an input shape. Each throws a message (without
/// the node, which the caller adds) when the operands disagree.
enum ONNXShapeRules {
    struct Mismatch: Error { let message: String }

    static func fail(_ message: String) -> Mismatch { Mismatch(message: message) }

    // MARK: - Checked sizes

    /// The largest dimension of any value, as of an initializer's dims (ONNX's own limit for
    /// tensors in one file): sums and products of a few dimensions then never overflow.
    static let maxDimension = Int(Int32.max)

    /// Throws unless every dimension of `shape` is in `0…maxDimension` and the non-zero ones
    /// multiply to a countable number. Every value of a graph is checked so (initializers, inputs,
    /// each inferred output): then any product over part of its shape (a stride, a flatten, a
    /// batch) is countable too, even where a zero elsewhere makes the tensor empty.
    static func requireCountable(_ shape: [Int]) throws {
        guard shape.allSatisfy({ $0 >= 0 && $0 <= maxDimension }) else {
            throw fail("has a value of shape \(list: shape): each dimension must be between 0 and 2^31 − 1")
        }
        guard MemoryBudget.product(shape.filter { $0 != 0 }) != nil else {
            throw fail("has a value of shape \(list: shape), more elements than can be counted (zeros aside)")
        }
    }

    /// The product of `dims`, checked.
    static func count<C: Collection<Int>>(_ dims: C) throws -> Int {
        guard let n = MemoryBudget.product(Array(dims)) else {
            throw fail("has a shape \(list: dims) with more elements than can be counted")
        }
        return n
    }

    /// The sum of `terms` (dimensions, pads), checked.
    static func sum(_ terms: [Int]) throws -> Int {
        guard let n = MemoryBudget.sum(terms) else { throw fail("adds sizes \(list: terms) past what can be counted") }
        return n
    }

    /// Row-major strides of `shape`, checked (a countable shape's never overflow).
    static func strides(_ shape: [Int]) throws -> [Int] {
        var strides = [Int](repeating: 1, count: shape.count)
        for d in stride(from: shape.count - 2, through: 0, by: -1) {
            guard let s = MemoryBudget.product([strides[d + 1], shape[d + 1]]) else {
                throw fail("has a shape \(list: shape) whose strides cannot be counted")
            }
            strides[d] = s
        }
        return strides
    }

    /// Where each element of a row-major result comes from, when index `i` along its dimension `d`
    /// contributes `terms[d][i]` to the flat source offset (−1: the element has no source, as in a
    /// constant pad, and comes out −1). Computed with an odometer — no recursion, so any rank
    /// works — in time linear in the result's size; nothing is visited for an empty result.
    static func offsets(_ terms: [[Int]]) -> [Int] {
        guard terms.allSatisfy({ !$0.isEmpty }) else { return [] }
        let rank = terms.count
        var index = [Int](repeating: 0, count: rank)
        var sum = 0, missing = 0
        for t in terms { if t[0] < 0 { missing += 1 } else { sum += t[0] } }
        var result: [Int] = []
        while true {
            result.append(missing == 0 ? sum : -1)
            var d = rank - 1
            while d >= 0 {
                let old = terms[d][index[d]]
                if old < 0 { missing -= 1 } else { sum -= old }
                index[d] += 1
                if index[d] == terms[d].count { index[d] = 0 }
                let new = terms[d][index[d]]
                if new < 0 { missing += 1 } else { sum += new }
                if index[d] != 0 { break }
                d -= 1
            }
            if d < 0 { return result }
        }
    }

    /// For each element of the row-major `target`, the flat index of the element of `shape`
    /// broadcast to it (NumPy's rules: leading dimensions added, dimensions of 1 repeated).
    static func broadcastSources(_ shape: [Int], to target: [Int]) throws -> [Int] {
        guard try count(target) > 0 else { return [] }
        let strides = try self.strides(shape), lead = target.count - shape.count
        return offsets(target.indices.map { d in
            let sd = d - lead
            guard sd >= 0, shape[sd] != 1 else { return [Int](repeating: 0, count: target[d]) }
            return (0..<target[d]).map { $0 * strides[sd] }
        })
    }

    // MARK: - Operator rules

    /// `axis` in `-rank..<rank` (or `...rank` with `inclusive`) made non-negative.
    static func axis(_ axis: Int, rank: Int, inclusive: Bool = false, what: String = "axis") throws -> Int {
        let limit = inclusive ? rank + 1 : rank
        let a = axis < 0 ? axis + rank : axis
        guard a >= 0 && a < limit else { throw fail("\(what) \(axis) is out of range for rank \(rank)") }
        return a
    }

    /// The dimensions Shape returns for `start` and `end` (clamped as ONNX says; nil `end` is the rank).
    static func shapeRange(rank: Int, start: Int, end: Int?) -> Range<Int> {
        func clamp(_ a: Int) -> Int { min(max(a < 0 ? a + rank : a, 0), rank) }
        let (s, e) = (clamp(start), clamp(end ?? rank))
        return s < e ? s..<e : s..<s
    }

    /// NumPy broadcasting of two shapes.
    static func broadcast(_ a: [Int], _ b: [Int]) throws -> [Int] {
        let rank = max(a.count, b.count)
        return try (0..<rank).map { i in
            let da = i < rank - a.count ? 1 : a[i - (rank - a.count)]
            let db = i < rank - b.count ? 1 : b[i - (rank - b.count)]
            guard da == db || da == 1 || db == 1 else {
                throw fail("cannot broadcast shapes \(list: a) and \(list: b) (dimension \(i): \(da) against \(db))")
            }
            return da == 1 ? db : da
        }
    }

    /// NumPy `matmul`'s result shape: 1-D operands promoted (and their dimension dropped after),
    /// the batch dimensions broadcast, the inner dimensions equal.
    static func matmul(_ a: [Int], _ b: [Int]) throws -> [Int] {
        guard !a.isEmpty && !b.isEmpty else { throw fail("multiplies \(list: a) by \(list: b): scalars cannot be multiplied as matrices") }
        let a2 = a.count == 1 ? [1] + a : a, b2 = b.count == 1 ? b + [1] : b
        let (k, k2) = (a2[a2.count - 1], b2[b2.count - 2])
        guard k == k2 else { throw fail("multiplies \(list: a) by \(list: b): inner dimensions \(k) and \(k2) differ") }
        var out = try broadcast(Array(a2.dropLast(2)), Array(b2.dropLast(2)))
        if a.count > 1 { out.append(a2[a2.count - 2]) }
        if b.count > 1 { out.append(b2[b2.count - 1]) }
        return out
    }

    /// Reshape's target: 0 copies the input's dimension (unless `allowZero`), −1 is inferred.
    static func reshape(_ shape: [Int], to requested: [Int], allowZero: Bool) throws -> [Int] {
        var target = try requested.enumerated().map { i, d -> Int in
            if d == 0 && !allowZero {
                guard i < shape.count else { throw fail("shape \(list: requested) copies dimension \(i), which \(list: shape) lacks") }
                return shape[i]
            }
            guard d >= -1 else { throw fail("shape \(list: requested) has a negative size") }
            return d
        }
        let count = MemoryBudget.product(shape) ?? -1
        let inferred = target.indices.filter { target[$0] == -1 }
        guard inferred.count <= 1 else { throw fail("shape \(list: requested) has more than one -1") }
        let known = MemoryBudget.product(target.filter { $0 != -1 })
        if let i = inferred.first {
            guard let known, known > 0, count % known == 0 else { throw fail("cannot reshape \(list: shape) to \(list: requested)") }
            target[i] = count / known
        }
        guard MemoryBudget.product(target) == count else { throw fail("cannot reshape \(list: shape) (\(count) elements) to \(list: requested)") }
        return target
    }

    /// Flatten's `[∏ d<axis, ∏ d≥axis]`.
    static func flatten(_ shape: [Int], axis: Int) throws -> [Int] {
        let a = try self.axis(axis, rank: shape.count, inclusive: true)
        return [try count(shape[..<a]), try count(shape[a...])]
    }

    /// `axes` resolved against `rank`, as a mask over the dimensions (linear in their number).
    private static func axisMask(_ axes: [Int], rank: Int) throws -> [Bool] {
        var mask = [Bool](repeating: false, count: rank)
        for a in axes {
            let r = try axis(a, rank: rank)
            guard !mask[r] else { throw fail("axes \(list: axes) repeat") }
            mask[r] = true
        }
        return mask
    }

    static func unsqueeze(_ shape: [Int], axes: [Int]) throws -> [Int] {
        let mask = try axisMask(axes, rank: shape.count + axes.count)
        var out: [Int] = [], next = 0
        out.reserveCapacity(mask.count)
        for inserted in mask {
            if inserted { out.append(1) } else { out.append(shape[next]); next += 1 }
        }
        return out
    }

    static func squeeze(_ shape: [Int], axes: [Int]?) throws -> [Int] {
        guard let axes else { return shape.filter { $0 != 1 } }
        let mask = try axisMask(axes, rank: shape.count)
        for a in shape.indices where mask[a] && shape[a] != 1 {
            throw fail("cannot squeeze dimension \(a) of \(list: shape), which is not 1")
        }
        return shape.indices.filter { !mask[$0] }.map { shape[$0] }
    }

    /// Slice's start, step and count per dimension, clamped as ONNX says.
    static func slice(_ shape: [Int], starts: [Int], ends: [Int], axes: [Int]?, steps: [Int]?) throws
        -> (start: [Int], step: [Int], count: [Int]) {
        let axes = axes ?? Array(0..<starts.count)
        let steps = steps ?? [Int](repeating: 1, count: starts.count)
        guard starts.count == ends.count && axes.count == starts.count && steps.count == starts.count else {
            throw fail("starts \(list: starts), ends \(list: ends), axes \(list: axes) and steps \(list: steps) differ in length")
        }
        var start = [Int](repeating: 0, count: shape.count), step = [Int](repeating: 1, count: shape.count), count = shape
        var seen = Set<Int>()
        for i in starts.indices {
            let a = try axis(axes[i], rank: shape.count)
            guard seen.insert(a).inserted else { throw fail("axes \(list: axes) repeat") }
            let n = shape[a], s = steps[i]
            guard s != 0 else { throw fail("step 0 on axis \(a)") }
            func resolve(_ v: Int) -> Int { v < 0 ? v + n : v }
            var b = resolve(starts[i]), e = resolve(ends[i])
            // Written so that no step from the file (up to ±2⁶³) can overflow.
            if s > 0 {
                b = min(max(b, 0), n); e = min(max(e, 0), n)
                count[a] = e > b ? 1 + (e - b - 1) / s : 0
            } else {
                b = min(max(b, -1), n - 1); e = min(max(e, -1), n - 1)
                count[a] = b > e ? 1 + (b - e - 1) / (s == Int.min ? Int.max : -s) : 0
            }
            start[a] = count[a] > 0 ? b : 0
            step[a] = count[a] > 1 ? s : 1
        }
        return (start, step, count)
    }

    /// Pad's amounts before and after each dimension, from ONNX's `[x1_begin, x2_begin, …, x1_end, x2_end, …]`.
    /// Edge needs a non-empty dimension; reflect at most `n − 1` and wrap at most `n` on each side.
    static func pads(_ shape: [Int], _ pads: [Int], axes: [Int]?, mode: ONNXOperator.PadMode = .constant) throws -> (before: [Int], after: [Int]) {
        let axes = try (axes ?? Array(0..<shape.count)).map { try axis($0, rank: shape.count) }
        guard pads.count == 2 * axes.count else { throw fail("pads \(list: pads) must hold \(2 * axes.count) values for \(list: shape)") }
        guard pads.allSatisfy({ $0 >= 0 && $0 < 1 << 31 }) else { throw fail("pads \(list: pads) are negative (cropping is not supported) or too large") }
        var before = [Int](repeating: 0, count: shape.count), after = before
        for (i, a) in axes.enumerated() { before[a] = pads[i]; after[a] = pads[i + axes.count] }
        for d in shape.indices where before[d] > 0 || after[d] > 0 {
            let limit = switch mode { case .constant: Int.max; case .edge: shape[d] > 0 ? Int.max : 0; case .reflect: shape[d] - 1; case .wrap: shape[d] }
            guard max(before[d], after[d]) <= limit else {
                throw fail("pads \(list: pads) in mode \(mode.rawValue) reach past dimension \(d) of \(list: shape), which is not supported")
            }
        }
        return (before, after)
    }

    static func permutation(_ perm: [Int]?, rank: Int) throws -> [Int] {
        let p = perm ?? Array((0..<rank).reversed())
        let refused = fail("perm \(list: p) is not a permutation of \(rank) dimensions")
        guard p.count == rank else { throw refused }
        var seen = [Bool](repeating: false, count: rank)
        for a in p {
            guard a >= 0 && a < rank && !seen[a] else { throw refused }
            seen[a] = true
        }
        return p
    }

    /// The flat source offset of every element of a strided view of a row-major `shape`
    /// (empty for an empty view, whatever its other dimensions).
    static func stridedIndices(_ shape: [Int], start: [Int], step: [Int], count: [Int]) throws -> [Int] {
        guard try self.count(count) > 0 else { return [] }
        let strides = try self.strides(shape)
        // Each index is inside the view, so each term is below the input's size.
        return offsets(count.indices.map { d in (0..<count[d]).map { (start[d] + $0 * step[d]) * strides[d] } })
    }
}
