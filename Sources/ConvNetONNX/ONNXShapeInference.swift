import ConvNet
/// What is known of a value before the graph runs: its shape and kind, and its contents when
/// they can be computed ahead (initializers, Constant nodes, shape arithmetic).
struct ONNXStaticValue {
    var shape: [Int]
    var isInt: Bool
    /// The contents, when known: always for constants; for shape values computed from the
    /// input's shape, known for the shape being inferred only (so never folded).
    var known: ONNXValue?
    var isConstant: Bool

    init(shape: [Int], isInt: Bool, known: ONNXValue? = nil, isConstant: Bool = false) {
        self.shape = shape
        self.isInt = isInt
        self.known = known
        self.isConstant = isConstant
    }

    init(constant value: ONNXValue) {
        self.init(shape: value.shape, isInt: value.isInt, known: value, isConstant: true)
    }
}

/// Shape inference: each operator's output shape from its inputs' shapes (and the contents of
/// its shape-like inputs), without computing anything, so that shapes that disagree anywhere in
/// the graph are found before it runs.
enum ONNXShapeInference {
    typealias Fail = ONNXShapeRules

    private static func knownInts(_ v: ONNXStaticValue?, _ what: String) throws -> [Int] {
        guard let v else { throw Fail.fail("lacks its input \(what)") }
        guard case .int(let t)? = v.known else {
            throw Fail.fail(v.isInt ? "has \(what) computed from values only known when running, which is not supported"
                                    : "needs integers for \(what), got floats")
        }
        return t.values
    }

    private static func shape(_ v: ONNXStaticValue?, _ what: String) throws -> [Int] {
        guard let v else { throw Fail.fail("lacks its input \(what)") }
        return v.shape
    }

    /// Throws unless `s` has one of `ranks`; `limited`: ONNX allows other ranks, which are not supported here.
    private static func rank(_ s: [Int], _ ranks: Set<Int>, _ what: String, _ layout: String, limited: Bool = false) throws {
        guard ranks.contains(s.count) else {
            throw Fail.fail(limited ? "has \(what) of shape \(list: s), which is not supported (only \(layout))" : "needs \(what) of shape \(layout), got \(list: s)")
        }
    }

    /// The output of `op` on `x`: shape and kind (`isInt`).
    static func infer(_ op: ONNXOperator, _ x: [ONNXStaticValue?], fill: ONNXValue?) throws -> ONNXStaticValue {
        func float(_ s: [Int]) -> ONNXStaticValue { ONNXStaticValue(shape: s, isInt: false) }
        if case .constant = op, let fill { return ONNXStaticValue(constant: fill) }
        let s0 = try shape(x.first ?? nil, "0")
        if op.computesOnFloats, x[0]!.isInt {
            throw Fail.fail("has an integer input, which is not supported (computed on float tensors only)")
        }
        switch op {
        case .conv(let window, let group):
            let w = try shape(x[1], "W")
            let out = try ONNXSpatial.convShape(window, group: group, x: s0, w: w)
            if x.count > 2, let b = x[2], b.shape != [w[0]] { throw Fail.fail("has bias \(list: b.shape), expects [\(w[0])] for weight \(list: w)") }
            return float(out)
        case .maxPool(let w), .averagePool(let w, _):
            return float(try ONNXSpatial.poolShape(w, x: s0))
        case .globalAveragePool:
            try rank(s0, [4], "X", "[N, C, H, W]: 2-D pooling", limited: true)
            return float([s0[0], s0[1], 1, 1])
        case .batchNormalization:
            try rank(s0, [2, 4], "X", "[N, C] or [N, C, H, W]", limited: true)
            for (i, name) in ["scale", "B", "mean", "var"].enumerated() where try shape(x[i + 1], name) != [s0[1]] {
                throw Fail.fail("has \(name) \(list: x[i + 1]!.shape), expects [\(s0[1])] for input \(list: s0)")
            }
            return float(s0)
        case .relu, .sigmoid, .tanh, .erf, .leakyRelu, .hardSwish, .hardSigmoid:
            return float(s0)
        case .clip:
            for i in 1..<x.count { if let b = x[i], try Fail.count(b.shape) != 1 || b.shape.count > 1 { throw Fail.fail("needs scalar bounds, got \(list: b.shape)") } }
            for i in 1..<x.count { if let b = x[i], b.isInt != x[0]!.isInt { throw Fail.fail("mixes integer and float inputs, which is not supported") } }
            return ONNXStaticValue(shape: s0, isInt: x[0]!.isInt)
        case .identity:
            return x[0]!
        case .dropout:
            return ONNXStaticValue(shape: s0, isInt: x[0]!.isInt, known: x[0]!.known)
        case .layerNormalization(let axis, _):
            try ONNXKernels.requireLastAxis(axis, shape: s0, scale: x[1]?.shape, bias: x.count > 2 ? x[2]?.shape : nil)
            return float(s0)
        case .lrn:
            try rank(s0, [3, 4, 5], "X", "[N, C, D1, …] with 1 to 3 spatial dimensions", limited: true)
            return float(s0)
        case .softmax(let axis, let coerced), .logSoftmax(let axis, let coerced):
            _ = try ONNXShapeRules.axis(axis, rank: s0.count, inclusive: s0.isEmpty)
            if coerced { try ONNXShapeRules.requireCountable(try ONNXShapeRules.flatten(s0, axis: axis)) }  // computed on this 2-D view
            return float(s0)
        case .gemm(_, _, let transA, let transB):
            let b = try shape(x[1], "B")
            try rank(s0, [2], "A", "[M, K]")
            try rank(b, [2], "B", "[K, N]")
            let (m, k) = transA ? (s0[1], s0[0]) : (s0[0], s0[1])
            let (k2, n) = transB ? (b[1], b[0]) : (b[0], b[1])
            guard k == k2 else { throw Fail.fail("multiplies A \(list: s0)\(transA ? "ᵀ" : "") by B \(list: b)\(transB ? "ᵀ" : ""): inner dimensions \(k) and \(k2) differ") }
            if x.count > 2, let c = x[2], try ONNXShapeRules.broadcast(c.shape, [m, n]) != [m, n] {
                throw Fail.fail("has C \(list: c.shape), which does not broadcast to [\(m), \(n)]")
            }
            return float([m, n])
        case .matMul:
            return float(try ONNXShapeRules.matmul(s0, try shape(x[1], "B")))
        case .add, .sub, .mul, .div:
            let b = try shape(x[1], "B")
            guard x[0]!.isInt == x[1]!.isInt else { throw Fail.fail("mixes integer and float inputs, which is not supported") }
            return ONNXStaticValue(shape: try ONNXShapeRules.broadcast(s0, b), isInt: x[0]!.isInt && x[1]!.isInt)
        case .concat(let axis):
            let parts = x.compactMap { $0 }
            guard Set(parts.map(\.isInt)).count == 1 else { throw Fail.fail("mixes integer and float inputs, which is not supported") }
            let a = try ONNXShapeRules.axis(axis, rank: s0.count)
            for p in parts where p.shape.count != s0.count || (0..<s0.count).contains(where: { $0 != a && p.shape[$0] != s0[$0] }) {
                throw Fail.fail("cannot concatenate \(list: parts.map { ONNXErrorText.list($0.shape) }) along axis \(axis): other dimensions differ")
            }
            var out = s0
            out[a] = try Fail.sum(parts.map { $0.shape[a] })
            return ONNXStaticValue(shape: out, isInt: parts.allSatisfy(\.isInt))
        case .flatten(let axis):
            return ONNXStaticValue(shape: try ONNXShapeRules.flatten(s0, axis: axis), isInt: x[0]!.isInt)
        case .reshape(let allowZero):
            let target = try ONNXShapeRules.reshape(s0, to: try knownInts(x[1], "shape"), allowZero: allowZero)
            return ONNXStaticValue(shape: target, isInt: x[0]!.isInt)
        case .unsqueeze(let axes):
            return ONNXStaticValue(shape: try ONNXShapeRules.unsqueeze(s0, axes: try axes ?? knownInts(x[1], "axes")), isInt: x[0]!.isInt)
        case .squeeze(let axes):
            let given = try axes ?? (x.count > 1 && x[1] != nil ? knownInts(x[1], "axes") : nil)
            return ONNXStaticValue(shape: try ONNXShapeRules.squeeze(s0, axes: given), isInt: x[0]!.isInt)
        case .slice(let starts, let ends, let axes):
            func optional(_ i: Int, _ what: String) throws -> [Int]? { x.count > i && x[i] != nil ? try knownInts(x[i], what) : nil }
            let s = try ONNXShapeRules.slice(s0, starts: try starts ?? knownInts(x[1], "starts"), ends: try ends ?? knownInts(x[2], "ends"),
                                             axes: try axes ?? optional(3, "axes"), steps: try optional(4, "steps"))
            return ONNXStaticValue(shape: s.count, isInt: x[0]!.isInt)
        case .pad(let pads, _, let mode):
            let axes = try x.count > 3 && x[3] != nil ? knownInts(x[3], "axes") : nil
            let (before, after) = try ONNXShapeRules.pads(s0, try pads ?? knownInts(x[1], "pads"), axes: axes, mode: mode)
            if x.count > 2, let v = x[2], try Fail.count(v.shape) != 1 { throw Fail.fail("needs a scalar constant_value, got \(list: v.shape)") }
            if x.count > 2, let v = x[2], v.isInt != x[0]!.isInt { throw Fail.fail("mixes integer and float inputs, which is not supported") }
            return ONNXStaticValue(shape: try s0.indices.map { try Fail.sum([s0[$0], before[$0], after[$0]]) }, isInt: x[0]!.isInt)
        case .transpose(let perm):
            let p = try ONNXShapeRules.permutation(perm, rank: s0.count)
            return ONNXStaticValue(shape: p.map { s0[$0] }, isInt: x[0]!.isInt)
        case .cast(let toFloat):
            return ONNXStaticValue(shape: s0, isInt: !toFloat)
        case .shape(let start, let end):
            return ONNXStaticValue(shape: [ONNXShapeRules.shapeRange(rank: s0.count, start: start, end: end).count], isInt: true)
        case .gather(let axis):
            let a = try ONNXShapeRules.axis(axis, rank: s0.count)
            let i = try shape(x[1], "indices")
            guard x[1]!.isInt else { throw Fail.fail("needs integer indices") }
            return ONNXStaticValue(shape: Array(s0[..<a]) + i + Array(s0[(a + 1)...]), isInt: x[0]!.isInt)
        case .constantOfShape:
            let target = try knownInts(x[0], "shape")
            guard MemoryBudget.product(target) != nil else { throw Fail.fail("has shape \(list: target), not a tensor size") }
            return ONNXStaticValue(shape: target, isInt: fill?.isInt ?? false)
        case .constant:
            return ONNXStaticValue(constant: fill!)
        }
    }
}

extension ONNXOperator {
    /// Whether the operator is computed on float tensors only (an integer input would come back as floats).
    var computesOnFloats: Bool {
        switch self {
        case .conv, .maxPool, .averagePool, .globalAveragePool, .batchNormalization, .relu, .sigmoid, .tanh, .erf, .leakyRelu,
             .hardSwish, .hardSigmoid, .layerNormalization, .gemm, .matMul, .lrn, .softmax, .logSoftmax: true
        default: false
        }
    }
}
