import Foundation

/// Checks logits `[N, C]` against `N` integer labels in `0..<C`.
func validateClassification(_ logits: Tensor, _ labels: [Int], op: String) throws -> (n: Int, c: Int) {
    try require(logits.rank == 2, op, "logits must be [N, C], got \(describe(logits.shape))")
    let (n, c) = (logits.shape[0], logits.shape[1])
    try require(labels.count == n, op, "\(labels.count) labels for a batch of \(n) logits \(describe(logits.shape))")
    try require(n > 0 && c > 0, op, "logits \(describe(logits.shape)) are empty")
    if let bad = labels.firstIndex(where: { $0 < 0 || $0 >= c }) {
        throw ConvNetError(op: op, "label \(labels[bad]) at index \(bad) is out of range for \(c) classes (must be 0..<\(c))")
    }
    return (n, c)
}

/// Row-wise softmax of `[N, C]` logits into `probs`, returning log-probabilities too.
private func softmaxRows(_ logits: Tensor, n: Int, c: Int) -> (probs: [Float], logProbs: [Float]) {
    var probs = [Float](repeating: 0, count: n * c), logProbs = probs
    let x = logits.storage.pointer
    for i in 0..<n {
        let row = x + i * c
        var m = -Float.infinity
        for k in 0..<c { m = max(m, row[k]) }
        var s: Float = 0
        for k in 0..<c { s += exp(row[k] - m) }
        let lse = m + log(s)
        for k in 0..<c { logProbs[i * c + k] = row[k] - lse; probs[i * c + k] = exp(row[k] - lse) }
    }
    return (probs, logProbs)
}

/// Mean cross-entropy of `[N, C]` logits against class labels, with optional label smoothing ε
/// (the target is (1−ε)·one-hot + ε/C, as in PyTorch).
///
/// Backward: dLogits = (softmax(logits) − target) / N.
public func crossEntropy(_ logits: Tensor, labels: [Int], labelSmoothing: Float = 0) throws -> Tensor {
    let (n, c) = try validateClassification(logits, labels, op: "cross_entropy")
    try require(labelSmoothing >= 0 && labelSmoothing <= 1, "cross_entropy",
                "label smoothing \(labelSmoothing) must lie in [0, 1]")
    let (probs, logProbs) = softmaxRows(logits, n: n, c: c)
    let eps = labelSmoothing, off = eps / Float(c), on = 1 - eps + off
    var total: Double = 0
    for i in 0..<n {
        var rowSum: Float = 0
        for k in 0..<c { rowSum += logProbs[i * c + k] }
        total -= Double((1 - eps) * logProbs[i * c + labels[i]] + off * rowSum)
    }
    let loss = Tensor(Float(total / Double(n)))
    return loss.recorded("cross_entropy", [logits]) { g in
        let scale = g.storage.pointer[0] / Float(n)
        let gx = Tensor(uninitializedShape: [n, c])
        let p = gx.storage.pointer
        for i in 0..<n {
            for k in 0..<c { p[i * c + k] = (probs[i * c + k] - (k == labels[i] ? on : off)) * scale }
        }
        return [gx]
    }
}

/// Mean focal loss (Lin et al. 2017), softmax form: mean_i −(1 − p_i)^γ · log p_i,
/// p_i the softmax probability of the true class. γ = 0 gives cross-entropy.
///
/// Backward: with s = softmax(z), p = s_y, dL/dz_c = [γ(1−p)^(γ−1)·p·log p − (1−p)^γ] · (δ_cy − s_c) / N.
public func focalLoss(_ logits: Tensor, labels: [Int], gamma: Float = 2) throws -> Tensor {
    let (n, c) = try validateClassification(logits, labels, op: "focal_loss")
    try require(gamma >= 0, "focal_loss", "gamma \(gamma) must be ≥ 0")
    let (probs, logProbs) = softmaxRows(logits, n: n, c: c)
    var total: Double = 0
    for i in 0..<n {
        let p = probs[i * c + labels[i]], logp = logProbs[i * c + labels[i]]
        total -= Double(pow(1 - p, gamma) * logp)
    }
    let loss = Tensor(Float(total / Double(n)))
    return loss.recorded("focal_loss", [logits]) { g in
        let scale = g.storage.pointer[0] / Float(n)
        let gx = Tensor(uninitializedShape: [n, c])
        let gp = gx.storage.pointer
        for i in 0..<n {
            let p = probs[i * c + labels[i]], logp = logProbs[i * c + labels[i]]
            let q = 1 - p
            let dPow = gamma == 0 ? 0 : gamma * pow(q, gamma - 1) * p * logp
            let coeff = (dPow - pow(q, gamma)) * scale
            for k in 0..<c { gp[i * c + k] = coeff * ((k == labels[i] ? 1 : 0) - probs[i * c + k]) }
        }
        return [gx]
    }
}

/// Negative log-likelihood of log-probabilities `[N, C]` (mean), PyTorch's `nll_loss`.
public func nllLoss(_ logProbs: Tensor, labels: [Int]) throws -> Tensor {
    let (n, c) = try validateClassification(logProbs, labels, op: "nll_loss")
    let x = logProbs.storage.pointer
    var total: Double = 0
    for i in 0..<n { total -= Double(x[i * c + labels[i]]) }
    return Tensor(Float(total / Double(n))).recorded("nll_loss", [logProbs]) { g in
        let gx = Tensor.zeros([n, c])
        for i in 0..<n { gx.storage.pointer[i * c + labels[i]] = -g.storage.pointer[0] / Float(n) }
        return [gx]
    }
}

/// Mean squared error, mean((x − target)²). Backward: dX = 2(x − target)/n, dTarget = −dX.
public func mseLoss(_ x: Tensor, _ target: Tensor) throws -> Tensor {
    try require(x.shape == target.shape, "mse_loss",
                "input \(describe(x.shape)) and target \(describe(target.shape)) must have the same shape")
    let n = x.count
    let xp = x.storage.pointer, tp = target.storage.pointer
    var total: Double = 0
    for i in 0..<n { let d = Double(xp[i] - tp[i]); total += d * d }
    return Tensor(Float(total / Double(max(n, 1)))).recorded("mse_loss", [x, target]) { g in
        let scale = 2 * g.storage.pointer[0] / Float(max(n, 1))
        let gx = Tensor(uninitializedShape: x.shape)
        for i in 0..<n { gx.storage.pointer[i] = (xp[i] - tp[i]) * scale }
        return [x.requiresGrad ? gx : nil, target.requiresGrad ? gx.scaled(-1) : nil]
    }
}
