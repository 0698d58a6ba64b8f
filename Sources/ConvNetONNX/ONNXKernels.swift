import ConvNet
/// What each ``ONNXOperator`` computes, on the project's operators for float tensors (recorded,
/// so that a frozen model sees every call) and as plain integer arithmetic for shape values.
/// Errors are ``ONNXShapeRules/Mismatch`` or the operators' ``ConvNetError``s; the graph adds
/// the node's name.
enum ONNXKernels {
    typealias Fail = ONNXShapeRules

    static func float(_ v: ONNXValue?, _ what: String) throws -> Tensor {
        switch v {
        case .float(let t)?: return t
        case .int(let t)?: return try t.asFloat()
        case nil: throw Fail.fail("lacks its input \(what)")
        }
    }

    static func ints(_ v: ONNXValue?, _ what: String) throws -> ONNXIntTensor {
        switch v {
        case .int(let t)?: return t
        case .float?: throw Fail.fail("needs integers for \(what), got floats")
        case nil: throw Fail.fail("lacks its input \(what)")
        }
    }

    /// An optional float scalar input (Clip's bounds, Pad's value).
    static func scalar(_ v: ONNXValue?, _ what: String) throws -> Float? {
        guard let v else { return nil }
        let t = try float(v, what)
        guard t.count == 1, t.rank <= 1 else { throw Fail.fail("needs a scalar \(what), got shape \(list: t.shape)") }
        return try t.reshaped([]).item()
    }

    /// LayerNormalization as the core computes it: over the last dimension only, with Scale and B of its size.
    static func requireLastAxis(_ axis: Int, shape: [Int], scale: [Int]?, bias: [Int]?) throws {
        guard !shape.isEmpty, try ONNXShapeRules.axis(axis, rank: shape.count) == shape.count - 1 else {
            throw Fail.fail("normalises from axis \(axis) of \(list: shape), which is not supported (only the last axis)")
        }
        for (name, s) in [("Scale", scale), ("B", bias)] {
            if let s, s != [shape[shape.count - 1]] { throw Fail.fail("has \(name) \(list: s), expects [\(shape[shape.count - 1])]") }
        }
    }

    /// The operator applied to `x` (absent optional inputs nil); `fill` is ConstantOfShape's value.
    static func run(_ op: ONNXOperator, _ x: [ONNXValue?], fill: ONNXValue?) throws -> ONNXValue {
        // An empty result takes no work, however large its other dimensions: the loops of an
        // operator over its outer dimensions (a concatenation's, a softmax's) would walk them all.
        if x.contains(where: { $0.map { MemoryBudget.product($0.shape) == 0 } ?? false }) {
            let out = try ONNXShapeInference.infer(op, x.map { $0.map(ONNXStaticValue.init(constant:)) }, fill: fill)
            if MemoryBudget.product(out.shape) == 0 {
                return out.isInt ? .int(ONNXIntTensor(shape: out.shape, values: [])) : .float(Tensor.zeros(out.shape))
            }
        }
        return try compute(op, x, fill: fill)
    }

    /// The operator applied to `x`, computed.
    private static func compute(_ op: ONNXOperator, _ x: [ONNXValue?], fill: ONNXValue?) throws -> ONNXValue {
        switch op {
        case .conv(let window, let group):
            return .float(try ONNXSpatial.conv(window, group: group, x: try float(x[0], "X"), w: try float(x[1], "W"),
                                               bias: x.count > 2 ? try x[2].map { try float($0, "B") } : nil))
        case .maxPool(let w):
            return .float(try ONNXSpatial.pool(w, x: try float(x[0], "X"), average: false, countIncludePad: false))
        case .averagePool(let w, let include):
            return .float(try ONNXSpatial.pool(w, x: try float(x[0], "X"), average: true, countIncludePad: include))
        case .globalAveragePool: return .float(try globalAvgPool2d(try float(x[0], "X")))
        case .batchNormalization(let eps):
            return .float(try batchNorm(try float(x[0], "X"), weight: try float(x[1], "scale"), bias: try float(x[2], "B"),
                                        runningMean: try float(x[3], "mean"), runningVar: try float(x[4], "var"),
                                        training: false, eps: eps))
        case .relu: return .float(try float(x[0], "X").relu())
        case .sigmoid: return .float(try float(x[0], "X").sigmoid())
        case .erf: return .float(try float(x[0], "X").erf())
        case .tanh: return .float(try float(x[0], "X").tanh())
        case .leakyRelu(let alpha): return .float(try float(x[0], "X").leakyRelu(negativeSlope: alpha))
        case .hardSwish: return .float(try float(x[0], "X").hardswish())
        case .hardSigmoid(let alpha, let beta):
            let t = try float(x[0], "X")
            // PyTorch's hardsigmoid is ONNX's with alpha 1/6 and beta 1/2 (as exported); others in basic ops.
            if alpha == Float(1.0 / 6.0) && beta == 0.5 { return .float(t.hardsigmoid()) }
            return .float((t * alpha + beta).clamped(min: 0, max: 1))
        case .clip(let low, let high):
            if case .int(let t)? = x[0] {
                // Integer data (opset ≥ 12): integer bounds from the inputs.
                guard low == nil && high == nil else { throw Fail.fail("clips integers with float bounds, which is not supported") }
                func bound(_ i: Int, _ what: String) throws -> Int? {
                    guard x.count > i, let v = x[i] else { return nil }
                    let b = try ints(v, what)
                    guard b.values.count == 1 else { throw Fail.fail("needs a scalar \(what), got shape \(list: b.shape)") }
                    return b.values[0]
                }
                let (lo, hi) = (try bound(1, "min") ?? .min, try bound(2, "max") ?? .max)
                return .int(ONNXIntTensor(shape: t.shape, values: t.values.map { Swift.min(Swift.max($0, lo), hi) }))
            }
            let lo = try low ?? scalar(x.count > 1 ? x[1] : nil, "min") ?? -.infinity
            let hi = try high ?? scalar(x.count > 2 ? x[2] : nil, "max") ?? .infinity
            // Clip(0, 6) is relu6 (as exported from PyTorch's ReLU6): the same values, and a graph that names it.
            if lo == 0 && hi == 6 { return .float(try float(x[0], "input").relu6()) }
            return .float(try float(x[0], "input").clamped(min: lo, max: hi))
        case .gemm(let alpha, let beta, let transA, let transB):
            let a = try float(x[0], "A"), b = try float(x[1], "B")
            let c = x.count > 2 ? try x[2].map { try float($0, "C") } : nil
            if !transA && transB && alpha == 1 && (c == nil || (beta == 1 && c!.shape == [b.shape[0]])) {
                return .float(try linear(a, weight: b, bias: c))  // PyTorch's nn.Linear, exported as Gemm(transB=1)
            }
            var y = try matmul(transA ? a.transposed() : a, transB ? b.transposed() : b)
            if alpha != 1 { y = y * alpha }
            if let c { y = try y + (beta == 1 ? c : c * beta) }
            return .float(y)
        case .matMul:
            return .float(try batchedMatmul(try float(x[0], "A"), try float(x[1], "B")))
        case .add, .sub, .mul, .div:
            if case .int(let a)? = x[0], case .int(let b)? = x[1] { return .int(try intArithmetic(op, a, b)) }
            let a = try float(x[0], "A"), b = try float(x[1], "B")
            switch op {
            case .add: return .float(try a + b)
            case .sub: return .float(try a - b)
            case .mul: return .float(try a * b)
            default: return .float(try a / b)
            }
        case .concat(let axis):
            let present = x.compactMap { $0 }
            if present.allSatisfy(\.isInt) { return .int(try intConcat(present.map { try ints($0, "inputs") }, axis: axis)) }
            let tensors = try present.map { try float($0, "inputs") }
            _ = try ONNXShapeRules.axis(axis, rank: tensors[0].rank)
            return .float(try ConvNetCore.concat(tensors, dim: axis))
        case .flatten(let axis):
            return try reshaped(x[0]!, try ONNXShapeRules.flatten(x[0]!.shape, axis: axis))
        case .reshape(let allowZero):
            let target = try ONNXShapeRules.reshape(x[0]!.shape, to: try ints(x[1], "shape").values, allowZero: allowZero)
            return try reshaped(x[0]!, target)
        case .softmax(let axis, let coerced), .logSoftmax(let axis, let coerced):
            let t = try float(x[0], "input")
            let log: Bool = if case .logSoftmax = op { true } else { false }
            if coerced {
                let flat = try t.reshaped(try ONNXShapeRules.flatten(t.shape, axis: axis))
                return .float(try (log ? flat.logSoftmax(dim: 1) : flat.softmax(dim: 1)).reshaped(t.shape))
            }
            let a = try ONNXShapeRules.axis(axis, rank: t.rank)
            return .float(try log ? t.logSoftmax(dim: a) : t.softmax(dim: a))
        case .identity: return x[0]!
        case .dropout:
            guard try scalar(x[2], "training_mode") == 0 else { throw Fail.fail("has training_mode true, which is not supported (inference only)") }
            return x[0]!
        case .layerNormalization(let axis, let epsilon):
            let t = try float(x[0], "X"), scale = try float(x[1], "Scale")
            let bias = x.count > 2 ? try x[2].map { try float($0, "B") } : nil
            try requireLastAxis(axis, shape: t.shape, scale: scale.shape, bias: bias?.shape)
            return .float(try layerNorm(t, axis: -1, weight: scale, bias: bias, eps: epsilon))
        case .lrn(let size, let alpha, let beta, let bias):
            let t = try float(x[0], "X")
            guard size % 2 == 0 else { return .float(try localResponseNorm(t, size: size, alpha: alpha, beta: beta, k: bias)) }
            // An even window: ONNX's spans [c − (n/2 − 1), c + n/2], PyTorch's [c − n/2, c + n/2 − 1], its mirror
            // image: so the channels are reversed, normalised, and put back in order.
            var start = [Int](repeating: 0, count: t.rank), step = [Int](repeating: 1, count: t.rank)
            (start[1], step[1]) = (t.shape[1] - 1, -1)
            let y = try localResponseNorm(try t.strided(start: start, step: step, count: t.shape), size: size, alpha: alpha, beta: beta, k: bias)
            return .float(try y.strided(start: start, step: step, count: t.shape))
        case .constant: return fill!
        case .shape(let start, let end):
            let shape = x[0]!.shape
            return .int(ONNXIntTensor(Array(shape[ONNXShapeRules.shapeRange(rank: shape.count, start: start, end: end)])))
        case .gather(let axis):
            let indices = try ints(x[1], "indices")
            switch x[0]! {
            case .int(let data):
                let g = try gather(data.shape, data.values, indices, axis: axis)
                return .int(ONNXIntTensor(shape: g.shape, values: g.values))
            case .float(let data):
                let g = try gather(data.shape, data.withUnsafeBufferPointer(Array.init), indices, axis: axis)
                return .float(try Tensor(shape: g.shape, scalars: g.values))
            }
        case .unsqueeze(let axes):
            let axes = try axes ?? ints(x[1], "axes").values
            return try reshaped(x[0]!, try ONNXShapeRules.unsqueeze(x[0]!.shape, axes: axes))
        case .squeeze(let axes):
            let axes = try axes ?? (x.count > 1 && x[1] != nil ? ints(x[1], "axes").values : nil)
            return try reshaped(x[0]!, try ONNXShapeRules.squeeze(x[0]!.shape, axes: axes))
        case .slice(let starts, let ends, let axes):
            func optional(_ i: Int, _ what: String) throws -> [Int]? { x.count > i && x[i] != nil ? try ints(x[i], what).values : nil }
            let s = try ONNXShapeRules.slice(x[0]!.shape, starts: try starts ?? ints(x[1], "starts").values,
                                             ends: try ends ?? ints(x[2], "ends").values,
                                             axes: try axes ?? optional(3, "axes"), steps: try optional(4, "steps"))
            switch x[0]! {
            case .float(let t): return .float(try t.strided(start: s.start, step: s.step, count: s.count))
            case .int(let t):
                let indices = try ONNXShapeRules.stridedIndices(t.shape, start: s.start, step: s.step, count: s.count)
                return .int(ONNXIntTensor(shape: s.count, values: indices.map { t.values[$0] }))
            }
        case .pad(let pads, let value, let mode):
            let amounts = try pads ?? ints(x[1], "pads").values
            let fillValue = try pads != nil ? value : (scalar(x.count > 2 ? x[2] : nil, "constant_value") ?? 0)
            let axes = try x.count > 3 && x[3] != nil ? ints(x[3], "axes").values : nil
            let (before, after) = try ONNXShapeRules.pads(x[0]!.shape, amounts, axes: axes, mode: mode)
            if case .int(let data)? = x[0] {
                guard pads == nil || (value.isFinite && value.rounded(.towardZero) == value && abs(value) < 9.2e18) else {
                    throw Fail.fail("pads integers with value \(value), which is not an integer")
                }
                let fill = try pads != nil ? Int(value) : (x.count > 2 && x[2] != nil ? ints(x[2], "constant_value").values.first ?? 0 : 0)
                return .int(try intPadded(data, before: before, after: after, mode: mode, fill: fill))
            }
            let t = try float(x[0], "data")
            guard mode != .constant else { return .float(try t.padded(before: before, after: after, value: fillValue)) }
            return .float(try padded(t, before: before, after: after, mode: mode))
        case .transpose(let perm):
            let p = try ONNXShapeRules.permutation(perm, rank: x[0]!.shape.count)
            switch x[0]! {
            case .float(let t): return .float(try t.permuted(p))
            case .int(let t):
                let outShape = p.map { t.shape[$0] }
                guard try Fail.count(outShape) > 0 else { return .int(ONNXIntTensor(shape: outShape, values: [])) }
                let strides = try Fail.strides(t.shape)
                let sources = Fail.offsets(p.indices.map { d in (0..<outShape[d]).map { $0 * strides[p[d]] } })
                return .int(ONNXIntTensor(shape: outShape, values: sources.map { t.values[$0] }))
            }
        case .cast(let toFloat):
            switch x[0]! {
            case .float(let t): return toFloat ? .float(t) : .int(try t.asONNXInts(op: "Cast"))
            case .int(let t): return toFloat ? .float(try t.asFloat()) : .int(t)
            }
        case .constantOfShape:
            let shape = try ints(x[0], "input").values
            guard let count = MemoryBudget.product(shape) else { throw Fail.fail("has shape \(shape), not a tensor size") }
            try MemoryBudget.require(MemoryBudget.product([count, 8]) ?? .max, op: "onnx", what: "ConstantOfShape \(shape)")
            switch fill {
            case .int(let v)?: return .int(ONNXIntTensor(shape: shape, values: [Int](repeating: v.values.first ?? 0, count: count)))
            case .float(let v)?: return .float(Tensor.full(shape, try v.reshaped([]).item()))
            case nil: return .float(Tensor.zeros(shape))
            }
        }
    }

    /// Pad of an integer tensor in any mode: each output element's source index found per dimension.
    static func intPadded(_ t: ONNXIntTensor, before: [Int], after: [Int], mode: ONNXOperator.PadMode, fill: Int) throws -> ONNXIntTensor {
        let shape = try t.shape.indices.map { try Fail.sum([t.shape[$0], before[$0], after[$0]]) }
        guard try Fail.count(shape) > 0 else { return ONNXIntTensor(shape: shape, values: []) }
        let strides = try Fail.strides(t.shape)
        func source(_ o: Int, _ d: Int) -> Int? {
            let n = t.shape[d], i = o - before[d]
            if i >= 0 && i < n { return i }
            switch mode {
            case .constant: return nil
            case .edge: return i < 0 ? 0 : n - 1
            case .reflect: return i < 0 ? -i : 2 * (n - 1) - i  // within range: pads are at most n − 1
            case .wrap: return ((i % n) + n) % n
            }
        }
        let sources = Fail.offsets(shape.indices.map { d in (0..<shape[d]).map { o in source(o, d).map { $0 * strides[d] } ?? -1 } })
        return ONNXIntTensor(shape: shape, values: sources.map { $0 < 0 ? fill : t.values[$0] })
    }

    /// Pad in edge, reflect or wrap mode, one dimension after another (as NumPy's `pad`): the
    /// slices to add cut from `t` (reversed for reflect) and concatenated on either side.
    static func padded(_ t: Tensor, before: [Int], after: [Int], mode: ONNXOperator.PadMode) throws -> Tensor {
        var y = t
        for d in 0..<t.rank where before[d] > 0 || after[d] > 0 {
            let n = y.shape[d]
            func slice(_ start: Int, _ step: Int, _ count: Int) throws -> Tensor {
                var s = [Int](repeating: 0, count: y.rank), st = [Int](repeating: 1, count: y.rank), c = y.shape
                (s[d], st[d], c[d]) = (start, step, count)
                return try y.strided(start: s, step: st, count: c)
            }
            func side(_ p: Int, atEnd: Bool) throws -> Tensor? {
                guard p > 0 else { return nil }
                switch mode {
                case .edge:
                    var repeated = y.shape
                    repeated[d] = p
                    return try slice(atEnd ? n - 1 : 0, 1, 1) + Tensor.zeros(repeated)  // broadcast along d
                case .reflect: return try atEnd ? slice(n - 2, -1, p) : slice(p, -1, p)
                default: return try atEnd ? slice(0, 1, p) : slice(n - p, 1, p)
                }
            }
            let parts = [try side(before[d], atEnd: false), y, try side(after[d], atEnd: true)].compactMap { $0 }
            y = try ConvNetCore.concat(parts, dim: d)
        }
        return y
    }

    /// NumPy's `matmul`: a 1-D operand is a row (A) or column (B) vector, dropped from the result;
    /// the dimensions before the last two broadcast, and each pair of matrices is multiplied.
    static func batchedMatmul(_ a: Tensor, _ b: Tensor) throws -> Tensor {
        let out = try ONNXShapeRules.matmul(a.shape, b.shape)
        // Nothing to multiply (an empty result, or inner dimensions of 0): no work however large the other dims.
        guard try Fail.count(out) > 0, a.count > 0, b.count > 0 else { return Tensor.zeros(out) }
        if a.rank == 2 && b.rank == 2 { return try matmul(a, b) }
        let a3 = a.rank == 1 ? [1, 1, a.shape[0]] : [try Fail.count(a.shape.dropLast(2))] + a.shape.suffix(2)
        let b3 = b.rank == 1 ? [1, b.shape[0], 1] : [try Fail.count(b.shape.dropLast(2))] + b.shape.suffix(2)
        let (m, k, n) = (a3[1], a3[2], b3[2])
        if b.rank <= 2 {
            // One right-hand matrix: the left's matrices stacked into one.
            return try matmul(try a.reshaped([try Fail.count([a3[0], m]), k]), try b.reshaped([k, n])).reshaped(out)
        }
        let batchA = a.rank == 1 ? [] : Array(a.shape.dropLast(2)), batchB = Array(b.shape.dropLast(2))
        let batch = try ONNXShapeRules.broadcast(batchA, batchB)
        let (sa, sb) = (try a.reshaped(a3), try b.reshaped(b3))
        func matrix(_ t: Tensor, _ i: Int) throws -> Tensor {
            try t.strided(start: [i, 0, 0], step: [1, 1, 1], count: [1, t.shape[1], t.shape[2]]).reshaped([t.shape[1], t.shape[2]])
        }
        let (fromA, fromB) = (try Fail.broadcastSources(batchA, to: batch), try Fail.broadcastSources(batchB, to: batch))
        let products = try zip(fromA, fromB).map { i, j in
            try matmul(try matrix(sa, i), try matrix(sb, j)).reshaped([1, m, n])
        }
        return try ConvNetCore.concat(products, dim: 0).reshaped(out)
    }

    /// The same elements under `shape` (a view for floats).
    static func reshaped(_ v: ONNXValue, _ shape: [Int]) throws -> ONNXValue {
        switch v {
        case .float(let t): .float(try t.reshaped(shape))
        case .int(let t): .int(ONNXIntTensor(shape: shape, values: t.values))
        }
    }

    static func intArithmetic(_ op: ONNXOperator, _ a: ONNXIntTensor, _ b: ONNXIntTensor) throws -> ONNXIntTensor {
        let shape = try ONNXShapeRules.broadcast(a.shape, b.shape)
        let (fromA, fromB) = (try Fail.broadcastSources(a.shape, to: shape), try Fail.broadcastSources(b.shape, to: shape))
        let values = try zip(fromA, fromB).map { i, j -> Int in
            let (p, q) = (a.values[i], b.values[j])
            switch op {
            case .add: return p &+ q
            case .sub: return p &- q
            case .mul: return p &* q
            default:
                guard q != 0, !(p == Int.min && q == -1) else { throw Fail.fail("divides \(p) by \(q), which has no integer result") }
                return p / q
            }
        }
        return ONNXIntTensor(shape: shape, values: values)
    }

    static func intConcat(_ parts: [ONNXIntTensor], axis: Int) throws -> ONNXIntTensor {
        let rank = parts[0].shape.count
        let a = try ONNXShapeRules.axis(axis, rank: rank)
        for p in parts where p.shape.count != rank || (0..<rank).contains(where: { $0 != a && p.shape[$0] != parts[0].shape[$0] }) {
            throw Fail.fail("cannot concatenate \(list: parts.map { ONNXErrorText.list($0.shape) }) along axis \(axis)")
        }
        var shape = parts[0].shape
        shape[a] = try Fail.sum(parts.map { $0.shape[a] })
        guard try Fail.count(shape) > 0 else { return ONNXIntTensor(shape: shape, values: []) }
        // Each part's slab per outer index; empty parts left out, so the work is the result's size.
        let outer = try Fail.count(parts[0].shape[..<a])
        let slabs = try parts.map { ($0, try Fail.count($0.shape[a...])) }.filter { $0.1 > 0 }
        var values: [Int] = []
        for o in 0..<outer {
            for (p, chunk) in slabs { values += p.values[(o * chunk)..<((o + 1) * chunk)] }
        }
        return ONNXIntTensor(shape: shape, values: values)
    }

    /// ONNX Gather: `indices` (negative counting from the end) pick slices of `data` along `axis`.
    static func gather<T>(_ shape: [Int], _ data: [T], _ indices: ONNXIntTensor, axis: Int) throws -> (shape: [Int], values: [T]) {
        let a = try ONNXShapeRules.axis(axis, rank: shape.count)
        let n = shape[a]
        let resolved = try indices.values.map { i -> Int in
            let r = i < 0 ? i + n : i
            guard r >= 0 && r < n else { throw Fail.fail("index \(i) is out of range for dimension \(a) of \(list: shape)") }
            return r
        }
        let outShape = Array(shape[..<a]) + indices.shape + Array(shape[(a + 1)...])
        // An empty result takes no work, however large its other dimensions.
        guard try Fail.count(outShape) > 0 else { return (outShape, []) }
        let inner = try Fail.count(shape[(a + 1)...]), outer = try Fail.count(shape[..<a])
        var values: [T] = []
        for o in 0..<outer {
            for r in resolved { values += data[((o * n + r) * inner)..<((o * n + r + 1) * inner)] }
        }
        return (outShape, values)
    }
}
