import Foundation

/// Local response normalisation across channels (AlexNet), PyTorch's definition:
///
///     d_c = k + (α/n) Σ_{c' ∈ W(c)} x_{c'}²,   W(c) = [c − ⌊n/2⌋, c + ⌊(n−1)/2⌋] ∩ [0, C)
///     y_c = x_c · d_c^(−β)
///
/// Backward: dX_j = dY_j·d_j^(−β) − (2αβ/n)·x_j · Σ_{c : j ∈ W(c)} dY_c·x_c·d_c^(−β−1).
public func localResponseNorm(_ x: Tensor, size n: Int, alpha: Float = 1e-4, beta: Float = 0.75, k: Float = 1) throws -> Tensor {
    let op = "local_response_norm"
    try require(x.rank >= 3, op, "input must be [N, C, ...] with spatial dimensions, got \(describe(x.shape))")
    try require(n >= 1, op, "size \(n) must be at least 1")
    return try apply(.localResponseNorm(size: n, alpha: alpha, beta: beta, k: k), [x])
}

extension Kernels {
    static func localResponseNorm(_ x: Tensor, size n: Int, alpha: Float, beta: Float, k: Float) -> Computed {
        let (batch, c) = (x.shape[0], x.shape[1])
        let s = x.count / max(batch * c, 1)
        let before = n / 2, after = (n - 1) / 2
        let denom = Tensor(uninitializedShape: x.shape), y = Tensor(uninitializedShape: x.shape)
        let xp = x.plainStorage().pointer, dp = denom.plainStorage().pointer, yp = y.plainStorage().pointer
        let a = alpha / Float(n)
        for b in 0..<batch {
            for ch in 0..<c {
                let lo = max(0, ch - before), hi = min(c - 1, ch + after)
                let o = (b * c + ch) * s
                for i in 0..<s {
                    var sq: Float = 0
                    for cc in lo...hi { let v = xp[(b * c + cc) * s + i]; sq += v * v }
                    let d = k + a * sq
                    dp[o + i] = d
                    yp[o + i] = xp[o + i] * powf(d, -beta)
                }
            }
        }
        return Computed(y) { [denom] dy in
            let dp = denom.plainStorage().pointer
            let dx = Tensor(uninitializedShape: x.shape)
            let gp = dy.plainStorage().pointer, gxp = dx.plainStorage().pointer
            // t_c = dY_c · x_c · d_c^(−β−1), shared by every j in W(c).
            var t = [Float](repeating: 0, count: c)
            for b in 0..<batch {
                for i in 0..<s {
                    for ch in 0..<c { let o = (b * c + ch) * s + i; t[ch] = gp[o] * xp[o] * powf(dp[o], -beta - 1) }
                    for j in 0..<c {
                        // j ∈ W(c)  ⇔  c ∈ [j − ⌊(n−1)/2⌋, j + ⌊n/2⌋]
                        let lo = max(0, j - after), hi = min(c - 1, j + before)
                        var sum: Float = 0
                        for cc in lo...hi { sum += t[cc] }
                        let o = (b * c + j) * s + i
                        gxp[o] = gp[o] * powf(dp[o], -beta) - 2 * a * beta * xp[o] * sum
                    }
                }
            }
            return [dx]
        }
    }
}
