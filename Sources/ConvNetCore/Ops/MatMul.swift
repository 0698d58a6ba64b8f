/// Matrix product of 2-D tensors, `a[m×k] · b[k×n]`, on the current backend's GEMM.
///
/// Backward: dA = dY · Bᵀ, dB = Aᵀ · dY.
public func matmul(_ a: Tensor, _ b: Tensor) throws -> Tensor {
    try require(a.rank == 2 && b.rank == 2 && a.shape[1] == b.shape[0], "matmul",
                "cannot multiply \(describe(a.shape)) by \(describe(b.shape)) (needs [m, k] · [k, n])")
    return try apply(.matmul, [a, b])
}

/// A fully connected layer, `y = x · Wᵀ + b`, with `weight` shaped `[out, in]` like PyTorch.
///
/// Backward: dX = dY · W, dW = dYᵀ · X, db = Σ_batch dY.
public func linear(_ x: Tensor, weight: Tensor, bias: Tensor? = nil) throws -> Tensor {
    try require(x.rank == 2 && weight.rank == 2 && x.shape[1] == weight.shape[1], "linear",
                "input \(describe(x.shape)) does not match weight \(describe(weight.shape)) (needs x [N, in] and weight [out, in])")
    let outF = weight.shape[0]
    if let bias {
        try require(bias.shape == [outF], "linear", "bias \(describe(bias.shape)) must be [\(outF)] for weight \(describe(weight.shape))")
    }
    return try apply(.linear, [x, weight, bias])
}

extension Kernels {
    /// Backward: dA = dY · Bᵀ, dB = Aᵀ · dY.
    static func matmul(_ a: Tensor, _ b: Tensor) throws -> Computed {
        let (m, k, n) = (a.shape[0], a.shape[1], b.shape[1])
        let gemm = Backend.current.gemm
        let out = Tensor(uninitializedShape: [m, n])
        try gemm.multiply(m: m, n: n, k: k, a: a.plainStorage().pointer, lda: k, b: b.plainStorage().pointer, ldb: n,
                          c: out.plainStorage().pointer, ldc: n)
        return Computed(out) { g in
            var ga: Tensor?, gb: Tensor?
            if a.requiresGrad {
                let t = Tensor(uninitializedShape: [m, k])
                try gemm.multiply(transB: true, m: m, n: k, k: n, a: g.plainStorage().pointer, lda: n, b: b.plainStorage().pointer, ldb: n,
                                  c: t.plainStorage().pointer, ldc: k)
                ga = t
            }
            if b.requiresGrad {
                let t = Tensor(uninitializedShape: [k, n])
                try gemm.multiply(transA: true, m: k, n: n, k: m, a: a.plainStorage().pointer, lda: k, b: g.plainStorage().pointer, ldb: n,
                                  c: t.plainStorage().pointer, ldc: n)
                gb = t
            }
            return [ga, gb]
        }
    }

    /// Backward: dX = dY · W, dW = dYᵀ · X, db = Σ_batch dY.
    static func linear(_ x: Tensor, weight: Tensor, bias: Tensor?) throws -> Computed {
        let (batch, inF, outF) = (x.shape[0], x.shape[1], weight.shape[0])
        let gemm = Backend.current.gemm
        let out = Tensor(uninitializedShape: [batch, outF])
        let y = out.plainStorage().pointer
        if let bias {
            for r in 0..<batch { (y + r * outF).update(from: bias.plainStorage().pointer, count: outF) }
        }
        try gemm.multiply(transB: true, m: batch, n: outF, k: inF, a: x.plainStorage().pointer, lda: inF,
                          b: weight.plainStorage().pointer, ldb: inF, accumulate: bias != nil, c: y, ldc: outF)
        return Computed(out) { g in
            let gp = g.plainStorage().pointer
            var gx: Tensor?, gw: Tensor?, gb: Tensor?
            if x.requiresGrad {
                let t = Tensor(uninitializedShape: [batch, inF])
                try gemm.multiply(m: batch, n: inF, k: outF, a: gp, lda: outF, b: weight.plainStorage().pointer, ldb: inF,
                                  c: t.plainStorage().pointer, ldc: inF)
                gx = t
            }
            if weight.requiresGrad {
                let t = Tensor(uninitializedShape: [outF, inF])
                try gemm.multiply(transA: true, m: outF, n: inF, k: batch, a: gp, lda: outF, b: x.plainStorage().pointer, ldb: inF,
                                  c: t.plainStorage().pointer, ldc: inF)
                gw = t
            }
            if let bias, bias.requiresGrad {
                let t = Tensor.zeros([outF])
                let tp = t.plainStorage().pointer
                for r in 0..<batch { for j in 0..<outF { tp[j] += gp[r * outF + j] } }
                gb = t
            }
            return [gx, gw, gb]
        }
    }
}
