/// Batch normalisation as plain loops over x viewed as [N, C, S].
///
/// Forward: x̂ = (x − μ_c)/√(σ²_c + ε), y = γ_c x̂ + β_c.
/// Backward (training, M = N·S values per channel):
///   dβ = Σ dY,  dγ = Σ dY·x̂,  dX = γ/(M·√(σ²+ε)) · (M·dY − dβ − x̂·dγ).
/// In inference μ, σ² are constants, so dX = γ/√(σ²+ε) · dY.
enum ReferenceBatchNorm: BatchNormKernels {
    static func training(x: Tensor, channels c: Int, gamma: Tensor, beta: Tensor, eps: Float,
                         needsBackward: Bool) throws -> (KernelResult<BatchNormGradients>, BatchStatistics) {
        let (n, s) = (x.shape[0], x.count / max(x.shape[0] * c, 1))
        let m = Float(n * s)
        var mean = [Float](repeating: 0, count: c), variance = mean
        let xp = x.plainStorage().pointer
        for ch in 0..<c {
            var sum: Double = 0
            for b in 0..<n { let p = xp + (b * c + ch) * s; for i in 0..<s { sum += Double(p[i]) } }
            let mu = sum / Double(m)
            var sq: Double = 0
            for b in 0..<n { let p = xp + (b * c + ch) * s; for i in 0..<s { let d = Double(p[i]) - mu; sq += d * d } }
            mean[ch] = Float(mu)
            variance[ch] = Float(sq / Double(m))
        }
        let invStd = variance.map { 1 / (($0 + eps).squareRoot()) }
        let (y, xhat) = normalize(x, c: c, mean: mean, invStd: invStd, gamma: gamma, beta: beta)
        var result = KernelResult<BatchNormGradients>(output: y)
        if needsBackward {
            result.backward = { dy in
                let (dGamma, dBeta) = parameterGradients(dy, xhat: xhat, c: c)
                let dx = Tensor(uninitializedShape: x.shape)
                let gp = dy.plainStorage().pointer, hp = xhat.plainStorage().pointer, dp = dx.plainStorage().pointer
                let (gammas, dBetas, dGammas) = (gamma.scalars, dBeta.scalars, dGamma.scalars)
                for ch in 0..<c {
                    let k = gammas[ch] * invStd[ch] / m
                    let (db, dg) = (dBetas[ch], dGammas[ch])
                    for b in 0..<n {
                        let o = (b * c + ch) * s
                        for i in 0..<s { dp[o + i] = k * (m * gp[o + i] - db - hp[o + i] * dg) }
                    }
                }
                return BatchNormGradients(input: dx, weight: dGamma, bias: dBeta)
            }
        }
        return (result, BatchStatistics(mean: mean, variance: variance))
    }

    static func inference(x: Tensor, channels c: Int, gamma: Tensor, beta: Tensor, mean: Tensor, variance: Tensor,
                          eps: Float, needsBackward: Bool) throws -> KernelResult<BatchNormGradients> {
        let invStd = variance.scalars.map { 1 / (($0 + eps).squareRoot()) }
        let (y, xhat) = normalize(x, c: c, mean: mean.scalars, invStd: invStd, gamma: gamma, beta: beta)
        var result = KernelResult<BatchNormGradients>(output: y)
        if needsBackward {
            result.backward = { dy in
                let (dGamma, dBeta) = parameterGradients(dy, xhat: xhat, c: c)
                let s = x.count / max(x.shape[0] * c, 1)
                let dx = Tensor(uninitializedShape: x.shape)
                let gp = dy.plainStorage().pointer, dp = dx.plainStorage().pointer
                let gammas = gamma.scalars
                for b in 0..<x.shape[0] {
                    for ch in 0..<c {
                        let k = gammas[ch] * invStd[ch], o = (b * c + ch) * s
                        for i in 0..<s { dp[o + i] = k * gp[o + i] }
                    }
                }
                return BatchNormGradients(input: dx, weight: dGamma, bias: dBeta)
            }
        }
        return result
    }

    /// y = γ x̂ + β with x̂ = (x − μ)·invStd; returns both.
    private static func normalize(_ x: Tensor, c: Int, mean: [Float], invStd: [Float], gamma: Tensor,
                                  beta: Tensor) -> (Tensor, Tensor) {
        let n = x.shape[0], s = x.count / max(n * c, 1)
        let y = Tensor(uninitializedShape: x.shape), xhat = Tensor(uninitializedShape: x.shape)
        let xp = x.plainStorage().pointer, yp = y.plainStorage().pointer, hp = xhat.plainStorage().pointer
        let (gammas, betas) = (gamma.scalars, beta.scalars)
        for b in 0..<n {
            for ch in 0..<c {
                let (mu, k, ga, be) = (mean[ch], invStd[ch], gammas[ch], betas[ch])
                let o = (b * c + ch) * s
                for i in 0..<s { let h = (xp[o + i] - mu) * k; hp[o + i] = h; yp[o + i] = ga * h + be }
            }
        }
        return (y, xhat)
    }

    /// dγ_c = Σ dY·x̂, dβ_c = Σ dY.
    private static func parameterGradients(_ dy: Tensor, xhat: Tensor, c: Int) -> (Tensor, Tensor) {
        let n = dy.shape[0], s = dy.count / max(n * c, 1)
        let dGamma = Tensor.zeros([c]), dBeta = Tensor.zeros([c])
        let gp = dy.plainStorage().pointer, hp = xhat.plainStorage().pointer
        let dgp = dGamma.plainStorage().pointer, dbp = dBeta.plainStorage().pointer
        for b in 0..<n {
            for ch in 0..<c {
                let o = (b * c + ch) * s
                var sg: Float = 0, sb: Float = 0
                for i in 0..<s { sg += gp[o + i] * hp[o + i]; sb += gp[o + i] }
                dgp[ch] += sg
                dbp[ch] += sb
            }
        }
        return (dGamma, dBeta)
    }
}
