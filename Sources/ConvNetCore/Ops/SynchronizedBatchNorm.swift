/// Replaces a buffer by its element-wise sum over every replica of a data-parallel computation
/// (an allreduce with the sum); with one replica it leaves the buffer as it is.
///
/// Every replica must call it the same number of times, in the same order, with buffers of the
/// same length: ``synchronizedBatchNorm(_:weight:bias:runningMean:runningVar:momentum:eps:sumAcrossReplicas:)``
/// calls it twice in the forward pass and once in the backward pass. It is how the core reaches
/// the other replicas without knowing the transport (MPI, threads).
public typealias ReplicaSum = (UnsafeMutableBufferPointer<Double>) throws -> Void

/// The replicas a synchronized batch norm sums over, as an attribute of its ``Op``: two are the
/// same when they are the same object.
public final class ReplicaGroup: Hashable, @unchecked Sendable {
    /// The allreduce.
    let sum: ReplicaSum

    init(_ sum: @escaping ReplicaSum) { self.sum = sum }

    public static func == (a: ReplicaGroup, b: ReplicaGroup) -> Bool { a === b }
    public func hash(into hasher: inout Hasher) { hasher.combine(ObjectIdentifier(self)) }
}

/// Training-mode batch normalisation with statistics over the whole batch of every replica
/// (PyTorch's `nn.SyncBatchNorm`), for `[N, C]` or `[N, C, H, W]` input split across replicas.
///
/// Forward: the per-channel Σx and the local count are summed across replicas (`sumAcrossReplicas`)
/// to give the global mean μ, then Σ(x − μ)² is, to give the biased global variance σ² (two passes
/// and sums in `Double`, so the result is that of one batch norm over the whole batch, to rounding).
/// y = γ·(x − μ)/√(σ² + ε) + β. The running statistics are updated as ``batchNorm(_:weight:bias:runningMean:runningVar:training:momentum:eps:)``
/// does, with M the global count per channel: running_var ← (1 − m)·running_var + m·σ²·M/(M − 1).
///
/// Backward: with x̂ = (x − μ)/σ, the local Σdy and Σdy·x̂ per channel are summed across replicas,
/// and dx = γ/σ·(dy − Σdy/M − x̂·Σ(dy·x̂)/M), the gradient of the sum of every replica's loss.
/// dγ = Σdy·x̂ and dβ = Σdy stay local: a data-parallel trainer averages parameter gradients
/// across replicas afterwards, as for every other parameter.
///
/// Every replica must call this with the same channel count and run the backward pass through it
/// (see ``ReplicaSum``); on one replica with the identity for `sumAcrossReplicas` it equals
/// `batchNorm(…, training: true)`. A replica may hold an empty batch (N = 0).
///
/// - Parameters:
///   - weight, bias: γ and β, `[C]`; `nil` means 1 and 0.
///   - runningMean, runningVar: `[C]`, updated in place when given.
///   - sumAcrossReplicas: the allreduce; kept by the recorded backward pass.
/// - Throws: ``ConvNetError`` for a bad shape, for at most one value per channel over all
///   replicas, or whatever `sumAcrossReplicas` throws.
public func synchronizedBatchNorm(_ x: Tensor, weight: Tensor?, bias: Tensor?, runningMean: Tensor?, runningVar: Tensor?,
                                  momentum: Float = 0.1, eps: Float = 1e-5,
                                  sumAcrossReplicas: @escaping ReplicaSum) throws -> Tensor {
    let op = "sync_batchnorm"
    try require(x.rank == 2 || x.rank == 4, op, "input must be [N, C] or [N, C, H, W], got \(describe(x.shape))")
    let c = x.shape[1]
    for (name, t) in [("weight", weight), ("bias", bias), ("running_mean", runningMean), ("running_var", runningVar)] {
        if let t { try require(t.shape == [c], op, "\(name) \(describe(t.shape)) must be [\(c)] for input \(describe(x.shape))") }
    }
    let attributes = BatchNormAttributes(training: true, momentum: momentum, eps: eps, spatial: x.rank == 4)
    return try apply(.synchronizedBatchNorm(attributes, replicas: ReplicaGroup(sumAcrossReplicas)),
                     [x, weight, bias, runningMean, runningVar])
}

extension Kernels {
    static func synchronizedBatchNorm(_ a: BatchNormAttributes, replicas: ReplicaGroup, _ x: Tensor, weight: Tensor?,
                                      bias: Tensor?, runningMean: Tensor?, runningVar: Tensor?) throws -> Computed {
        let op = "sync_batchnorm"
        let (n, c) = (x.shape[0], x.shape[1])
        let (momentum, eps, sumAcrossReplicas) = (a.momentum, a.eps, replicas.sum)
        let s = x.count / max(n * c, 1)
        let storage = x.plainStorage()
        let xp = UnsafePointer(storage.pointer)

        // Pass 1: [Σx per channel, local count] → global count M and mean μ.
        var sums = [Double](repeating: 0, count: c + 1)
        for b in 0..<n { for ch in 0..<c { sums[ch] += planeSum(xp + (b * c + ch) * s, s) } }
        sums[c] = Double(n * s)
        try sums.withUnsafeMutableBufferPointer { try sumAcrossReplicas($0) }
        let total = sums[c]
        try require(total > 1, op, "training needs more than one value per channel over all replicas, got \(Int(exactly: total).map(String.init) ?? String(total)) (input \(describe(x.shape)) on this replica)")
        let mean = sums[0..<c].map { $0 / total }

        // Pass 2: Σ(x − μ)² per channel → biased global variance σ².
        var squares = [Double](repeating: 0, count: c)
        for b in 0..<n { for ch in 0..<c { squares[ch] += planeSquares(xp + (b * c + ch) * s, s, mean[ch]) } }
        try squares.withUnsafeMutableBufferPointer { try sumAcrossReplicas($0) }
        let variance = squares.map { Float($0 / total) }
        let meanF = mean.map { Float($0) }
        let invStd = variance.map { 1 / ($0 + eps).squareRoot() }

        let gammas = weight?.scalars ?? [Float](repeating: 1, count: c)
        let betas = bias?.scalars ?? [Float](repeating: 0, count: c)
        let y = Tensor(uninitializedShape: x.shape)
        let yp = y.plainStorage().pointer
        for b in 0..<n {
            for ch in 0..<c {
                let (mu, k, ga, be) = (meanF[ch], invStd[ch], gammas[ch], betas[ch]), o = (b * c + ch) * s
                for i in 0..<s { yp[o + i] = ga * ((xp[o + i] - mu) * k) + be }
            }
        }

        if let runningMean, let runningVar {
            let unbias = Float(total / (total - 1))
            let rm = runningMean.plainStorage().pointer, rv = runningVar.plainStorage().pointer
            for ch in 0..<c {
                rm[ch] = (1 - momentum) * rm[ch] + momentum * meanF[ch]
                rv[ch] = (1 - momentum) * rv[ch] + momentum * variance[ch] * unbias
            }
        }

        let shape = x.shape
        return Computed(y) { dy in
            try withExtendedLifetime(storage) {
                try synchronizedBatchNormBackward(dy, xp: xp, shape: shape, mean: meanF, invStd: invStd, gammas: gammas,
                                                  total: total, sumAcrossReplicas: sumAcrossReplicas) + [nil, nil]
            }
        }
    }
}


/// dx (from the globally summed Σdy and Σdy·x̂), and the local dγ and dβ; x̂ is recomputed from x
/// exactly as the forward pass computed it.
private func synchronizedBatchNormBackward(_ dy: Tensor, xp: UnsafePointer<Float>, shape: [Int], mean: [Float],
                                           invStd: [Float], gammas: [Float], total: Double,
                                           sumAcrossReplicas: ReplicaSum) throws -> [Tensor?] {
    let (n, c) = (shape[0], shape[1])
    let s = dy.count / max(n * c, 1)
    let gp = UnsafePointer(dy.plainStorage().pointer)
    // [Σdy per channel, Σdy·x̂ per channel], summed in Double.
    var sums = [Double](repeating: 0, count: 2 * c)
    for b in 0..<n {
        for ch in 0..<c {
            let o = (b * c + ch) * s
            let (g, d) = planeGradientSums(xp + o, gp + o, s, mean[ch], invStd[ch])
            sums[ch] += g
            sums[c + ch] += d
        }
    }
    let dBeta = try Tensor(shape: [c], scalars: sums[0..<c].map { Float($0) })
    let dGamma = try Tensor(shape: [c], scalars: sums[c...].map { Float($0) })
    try sums.withUnsafeMutableBufferPointer { try sumAcrossReplicas($0) }

    let dx = Tensor(uninitializedShape: shape)
    let dp = dx.plainStorage().pointer
    for b in 0..<n {
        for ch in 0..<c {
            let (mu, k) = (mean[ch], invStd[ch])
            let meanDy = Float(sums[ch] / total), meanDyXhat = Float(sums[c + ch] / total)
            let scale = gammas[ch] * k, o = (b * c + ch) * s
            for i in 0..<s {
                let h = (xp[o + i] - mu) * k
                dp[o + i] = scale * (gp[o + i] - meanDy - h * meanDyXhat)
            }
        }
    }
    return [dx, dGamma, dBeta]
}

/// Σ p[i] in `Double`, four accumulators so the adds overlap.
@inline(__always)
private func planeSum(_ p: UnsafePointer<Float>, _ s: Int) -> Double {
    var (a0, a1, a2, a3) = (0.0, 0.0, 0.0, 0.0)
    var i = 0
    while i + 4 <= s {
        a0 += Double(p[i]); a1 += Double(p[i + 1]); a2 += Double(p[i + 2]); a3 += Double(p[i + 3])
        i += 4
    }
    while i < s { a0 += Double(p[i]); i += 1 }
    return (a0 + a1) + (a2 + a3)
}

/// Σ (p[i] − μ)² in `Double`.
@inline(__always)
private func planeSquares(_ p: UnsafePointer<Float>, _ s: Int, _ mu: Double) -> Double {
    var (a0, a1, a2, a3) = (0.0, 0.0, 0.0, 0.0)
    var i = 0
    while i + 4 <= s {
        let d0 = Double(p[i]) - mu, d1 = Double(p[i + 1]) - mu, d2 = Double(p[i + 2]) - mu, d3 = Double(p[i + 3]) - mu
        a0 += d0 * d0; a1 += d1 * d1; a2 += d2 * d2; a3 += d3 * d3
        i += 4
    }
    while i < s { let d = Double(p[i]) - mu; a0 += d * d; i += 1 }
    return (a0 + a1) + (a2 + a3)
}

/// (Σ dy, Σ dy·x̂) over one plane in `Double`, with x̂ = (x − μ)·invStd computed in `Float` as the
/// forward pass does.
@inline(__always)
private func planeGradientSums(_ xp: UnsafePointer<Float>, _ gp: UnsafePointer<Float>, _ s: Int, _ mu: Float,
                               _ k: Float) -> (Double, Double) {
    var (g0, g1, d0, d1) = (0.0, 0.0, 0.0, 0.0)
    var i = 0
    while i + 2 <= s {
        let (y0, y1) = (Double(gp[i]), Double(gp[i + 1]))
        g0 += y0; g1 += y1
        d0 += y0 * Double((xp[i] - mu) * k); d1 += y1 * Double((xp[i + 1] - mu) * k)
        i += 2
    }
    while i < s { let y0 = Double(gp[i]); g0 += y0; d0 += y0 * Double((xp[i] - mu) * k); i += 1 }
    return (g0 + g1, d0 + d1)
}
