import Foundation

/// Layer normalisation over dimension `axis` at every position of the other dimensions, as
/// `torch.nn.functional.layer_norm` over one dimension: with axis 1 of `[N, C, H, W]` it is
/// ConvNeXt's `LayerNorm2d` (the channels of each pixel), with axis −1 the channels-last form.
///
/// y = x̂ · γ + β with x̂ = (x − μ) / σ: μ and the biased variance v are taken over the `n` values
/// along `axis`, and σ = √(v + eps). Backward, per line along `axis` with ĝ = dY · γ:
/// dX = (1/σ)(ĝ − mean(ĝ) − x̂ · mean(ĝ · x̂)); dγ = Σ dY · x̂ and dβ = Σ dY over every other position.
///
/// - Parameters:
///   - axis: the normalised dimension; negative counts from the end.
///   - weight, bias: γ and β, `[n]` (one per position along `axis`); `nil` means 1 and 0.
///   - eps: added to the variance before its square root.
public func layerNorm(_ x: Tensor, axis: Int, weight: Tensor? = nil, bias: Tensor? = nil, eps: Float = 1e-5) throws -> Tensor {
    let d = try x.normalizedDim(axis, op: "layer_norm")
    let n = x.shape[d]
    for (name, t) in [("weight", weight), ("bias", bias)] {
        if let t {
            try require(t.shape == [n], "layer_norm",
                        "\(name) \(describe(t.shape)) must be [\(n)] for axis \(axis) of input \(describe(x.shape))")
        }
    }
    return try apply(.layerNorm(axis: d, eps: eps), [x, weight, bias])
}

extension Kernels {
    static func layerNorm(_ x: Tensor, axis d: Int, eps: Float, weight: Tensor?, bias: Tensor?) -> Computed {
        let n = x.shape[d]
        let y = Tensor(uninitializedShape: x.shape), xHat = Tensor(uninitializedShape: x.shape)
        let lines = n == 0 ? 0 : x.count / n
        var rstd = [Float](repeating: 0, count: lines)
        let xp = x.plainStorage().pointer, yp = y.plainStorage().pointer, hp = xHat.plainStorage().pointer
        let gamma = weight?.plainStorage().pointer, beta = bias?.plainStorage().pointer
        var line = 0
        x.forEachLine(along: d) { start, step, count in
            var sum = 0.0
            for k in 0..<count { sum += Double(xp[start + k * step]) }
            let mean = sum / Double(count)
            var squares = 0.0
            for k in 0..<count { let c = Double(xp[start + k * step]) - mean; squares += c * c }
            let r = 1 / (squares / Double(count) + Double(eps)).squareRoot()
            rstd[line] = Float(r)
            line += 1
            for k in 0..<count {
                let j = start + k * step
                let h = Float((Double(xp[j]) - mean) * r)
                hp[j] = h
                yp[j] = h * (gamma?[k] ?? 1) + (beta?[k] ?? 0)
            }
        }
        return Computed(y) { [rstd, xHat] g in
            let hp = xHat.plainStorage().pointer, gamma = weight?.plainStorage().pointer
            let gx = Tensor(uninitializedShape: x.shape)
            var gGamma = [Double](repeating: 0, count: n), gBeta = [Double](repeating: 0, count: n)
            let gp = g.plainStorage().pointer, gxp = gx.plainStorage().pointer
            var line = 0
            x.forEachLine(along: d) { start, step, count in
                var meanG = 0.0, meanGH = 0.0
                for k in 0..<count {
                    let j = start + k * step
                    let gg = Double(gp[j]) * Double(gamma?[k] ?? 1)
                    meanG += gg
                    meanGH += gg * Double(hp[j])
                    gGamma[k] += Double(gp[j]) * Double(hp[j])
                    gBeta[k] += Double(gp[j])
                }
                meanG /= Double(count)
                meanGH /= Double(count)
                let r = Double(rstd[line])
                line += 1
                for k in 0..<count {
                    let j = start + k * step
                    let gg = Double(gp[j]) * Double(gamma?[k] ?? 1)
                    gxp[j] = Float(r * (gg - meanG - Double(hp[j]) * meanGH))
                }
            }
            func vector(_ values: [Double]) -> Tensor {
                let t = Tensor(uninitializedShape: [n])
                let p = t.plainStorage().pointer
                for k in 0..<n { p[k] = Float(values[k]) }
                return t
            }
            return [gx, weight.map { _ in vector(gGamma) }, bias.map { _ in vector(gBeta) }]
        }
    }
}

/// ShuffleNet's channel shuffle, as `torch.nn.functional.channel_shuffle`: the channels of
/// `[N, C, …]` viewed as `[N, groups, C/groups, …]`, dimensions 1 and 2 swapped, and flattened
/// back, so output channel `j·groups + i` is input channel `i·(C/groups) + j`.
///
/// Backward is the inverse shuffle (a shuffle with C/groups groups): dX[i·(C/groups) + j] = dY[j·groups + i].
public func channelShuffle(_ x: Tensor, groups: Int) throws -> Tensor {
    try require(x.rank >= 3, "channel_shuffle", "input must be [N, C, …] with at least 3 dimensions, got \(describe(x.shape))")
    let c = x.shape[1]
    try require(groups > 0 && c % groups == 0, "channel_shuffle",
                "groups \(groups) must be positive and divide the \(c) channels of \(describe(x.shape))")
    return try apply(.channelShuffle(groups: groups), [x])
}

extension Kernels {
    static func channelShuffle(_ x: Tensor, groups: Int) -> Computed {
        let c = x.shape[1]
        let perGroup = c / groups, plane = x.shape[2...].reduce(1, *), batch = x.shape[0]
        /// Copies channel `i·perGroup + j` of `src` to channel `j·groups + i` of `dst` (or back when `inverse`).
        func shuffle(_ src: UnsafeMutablePointer<Float>, _ dst: UnsafeMutablePointer<Float>, inverse: Bool) {
            for b in 0..<batch {
                let base = b * c * plane
                for i in 0..<groups {
                    for j in 0..<perGroup {
                        let from = base + (i * perGroup + j) * plane, to = base + (j * groups + i) * plane
                        if inverse { (dst + from).update(from: src + to, count: plane) } else { (dst + to).update(from: src + from, count: plane) }
                    }
                }
            }
        }
        let y = Tensor(uninitializedShape: x.shape)
        shuffle(x.plainStorage().pointer, y.plainStorage().pointer, inverse: false)
        return Computed(y) { g in
            let gx = Tensor(uninitializedShape: g.shape)
            shuffle(g.plainStorage().pointer, gx.plainStorage().pointer, inverse: true)
            return [gx]
        }
    }
}
