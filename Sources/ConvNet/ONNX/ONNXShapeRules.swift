/// The shape arithmetic of the ONNX operators, shared by shape inference and the kernels: how
/// axes, slices, pads and reshapes resolve against an input shape. Each throws a message (without
/// the node, which the caller adds) when the operands disagree.
enum ONNXShapeRules {
    struct Mismatch: Error { let message: String }

    static func fail(_ message: String) -> Mismatch { Mismatch(message: message) }

    /// `axis` in `-rank..<rank` (or `...rank` with `inclusive`) made non-negative.
    static func axis(_ axis: Int, rank: Int, inclusive: Bool = false, what: String = "axis") throws -> Int {
        let limit = inclusive ? rank + 1 : rank
        let a = axis < 0 ? axis + rank : axis
        guard a >= 0 && a < limit else { throw fail("\(what) \(axis) is out of range for rank \(rank)") }
        return a
    }

    /// NumPy broadcasting of two shapes.
    static func broadcast(_ a: [Int], _ b: [Int]) throws -> [Int] {
        let rank = max(a.count, b.count)
        return try (0..<rank).map { i in
            let da = i < rank - a.count ? 1 : a[i - (rank - a.count)]
            let db = i < rank - b.count ? 1 : b[i - (rank - b.count)]
            guard da == db || da == 1 || db == 1 else {
                throw fail("cannot broadcast shapes \(a) and \(b) (dimension \(i): \(da) against \(db))")
            }
            return da == 1 ? db : da
        }
    }

    /// NumPy `matmul`'s result shape: 1-D operands promoted (and their dimension dropped after),
    /// the batch dimensions broadcast, the inner dimensions equal.
    static func matmul(_ a: [Int], _ b: [Int]) throws -> [Int] {
        guard !a.isEmpty && !b.isEmpty else { throw fail("multiplies \(a) by \(b): scalars cannot be multiplied as matrices") }
        let a2 = a.count == 1 ? [1] + a : a, b2 = b.count == 1 ? b + [1] : b
        let (k, k2) = (a2[a2.count - 1], b2[b2.count - 2])
        guard k == k2 else { throw fail("multiplies \(a) by \(b): inner dimensions \(k) and \(k2) differ") }
        var out = try broadcast(Array(a2.dropLast(2)), Array(b2.dropLast(2)))
        if a.count > 1 { out.append(a2[a2.count - 2]) }
        if b.count > 1 { out.append(b2[b2.count - 1]) }
        return out
    }

    /// Reshape's target: 0 copies the input's dimension (unless `allowZero`), −1 is inferred.
    static func reshape(_ shape: [Int], to requested: [Int], allowZero: Bool) throws -> [Int] {
        var target = try requested.enumerated().map { i, d -> Int in
            if d == 0 && !allowZero {
                guard i < shape.count else { throw fail("shape \(requested) copies dimension \(i), which \(shape) lacks") }
                return shape[i]
            }
            guard d >= -1 else { throw fail("shape \(requested) has a negative size") }
            return d
        }
        let count = MemoryBudget.product(shape) ?? -1
        let inferred = target.indices.filter { target[$0] == -1 }
        guard inferred.count <= 1 else { throw fail("shape \(requested) has more than one -1") }
        let known = MemoryBudget.product(target.filter { $0 != -1 })
        if let i = inferred.first {
            guard let known, known > 0, count % known == 0 else { throw fail("cannot reshape \(shape) to \(requested)") }
            target[i] = count / known
        }
        guard MemoryBudget.product(target) == count else { throw fail("cannot reshape \(shape) (\(count) elements) to \(requested)") }
        return target
    }

    /// Flatten's `[∏ d<axis, ∏ d≥axis]`.
    static func flatten(_ shape: [Int], axis: Int) throws -> [Int] {
        let a = try self.axis(axis, rank: shape.count, inclusive: true)
        return [shape[..<a].reduce(1, *), shape[a...].reduce(1, *)]
    }

    static func unsqueeze(_ shape: [Int], axes: [Int]) throws -> [Int] {
        let rank = shape.count + axes.count
        let resolved = try axes.map { try axis($0, rank: rank) }
        guard Set(resolved).count == resolved.count else { throw fail("axes \(axes) repeat") }
        var out: [Int] = [], rest = shape[...]
        for d in 0..<rank {
            if resolved.contains(d) { out.append(1) } else { out.append(rest.removeFirst()) }
        }
        return out
    }

    static func squeeze(_ shape: [Int], axes: [Int]?) throws -> [Int] {
        guard let axes else { return shape.filter { $0 != 1 } }
        let resolved = try axes.map { try axis($0, rank: shape.count) }
        for a in resolved where shape[a] != 1 { throw fail("cannot squeeze dimension \(a) of \(shape), which is not 1") }
        return shape.enumerated().filter { !resolved.contains($0.offset) }.map(\.element)
    }

    /// Slice's start, step and count per dimension, clamped as ONNX says.
    static func slice(_ shape: [Int], starts: [Int], ends: [Int], axes: [Int]?, steps: [Int]?) throws
        -> (start: [Int], step: [Int], count: [Int]) {
        let axes = axes ?? Array(0..<starts.count)
        let steps = steps ?? [Int](repeating: 1, count: starts.count)
        guard starts.count == ends.count && axes.count == starts.count && steps.count == starts.count else {
            throw fail("starts \(starts), ends \(ends), axes \(axes) and steps \(steps) differ in length")
        }
        var start = [Int](repeating: 0, count: shape.count), step = [Int](repeating: 1, count: shape.count), count = shape
        var seen = Set<Int>()
        for i in starts.indices {
            let a = try axis(axes[i], rank: shape.count)
            guard seen.insert(a).inserted else { throw fail("axes \(axes) repeat") }
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
        guard pads.count == 2 * axes.count else { throw fail("pads \(pads) must hold \(2 * axes.count) values for \(shape)") }
        guard pads.allSatisfy({ $0 >= 0 && $0 < 1 << 31 }) else { throw fail("pads \(pads) are negative (cropping is not supported) or too large") }
        var before = [Int](repeating: 0, count: shape.count), after = before
        for (i, a) in axes.enumerated() { before[a] = pads[i]; after[a] = pads[i + axes.count] }
        for d in shape.indices where before[d] > 0 || after[d] > 0 {
            let limit = switch mode { case .constant: Int.max; case .edge: shape[d] > 0 ? Int.max : 0; case .reflect: shape[d] - 1; case .wrap: shape[d] }
            guard max(before[d], after[d]) <= limit else {
                throw fail("pads \(pads) in mode \(mode.rawValue) reach past dimension \(d) of \(shape), which is not supported")
            }
        }
        return (before, after)
    }

    static func permutation(_ perm: [Int]?, rank: Int) throws -> [Int] {
        let p = perm ?? Array((0..<rank).reversed())
        guard p.sorted() == Array(0..<rank) else { throw fail("perm \(p) is not a permutation of \(rank) dimensions") }
        return p
    }

    /// The flat source index of every element of a strided view of a row-major `shape`.
    static func stridedIndices(_ shape: [Int], start: [Int], step: [Int], count: [Int]) -> [Int] {
        var strides = [Int](repeating: 1, count: shape.count)
        for d in stride(from: shape.count - 2, through: 0, by: -1) { strides[d] = strides[d + 1] * shape[d + 1] }
        var result: [Int] = []
        func walk(_ d: Int, _ offset: Int) {
            if d == shape.count { result.append(offset); return }
            for i in 0..<count[d] { walk(d + 1, offset + (start[d] + i * step[d]) * strides[d]) }
        }
        walk(0, 0)
        return result
    }
}
