import Foundation

/// How a loss combines the per-sample values (PyTorch's `reduction=`).
public enum Reduction: String, Sendable, CaseIterable {
    /// The average over samples (the default).
    case mean
    /// The sum over samples.
    case sum
    /// One value per sample, shape `[N]`.
    case none

    /// Combines per-sample losses into the output tensor.
    func reduce(_ values: [Double]) -> Tensor {
        switch self {
        case .mean: Tensor(Float(values.reduce(0, +) / Double(max(values.count, 1))))
        case .sum: Tensor(Float(values.reduce(0, +)))
        case .none: Tensor(shape: [values.count], storage: {
            let s = TensorStorage(uninitializedCount: values.count)
            for (i, v) in values.enumerated() { s.pointer[i] = Float(v) }
            return s
        }())
        }
    }

    /// d(output)/d(sample i) times the upstream gradient `g`.
    func sampleWeight(_ g: Tensor, _ i: Int, count n: Int) -> Float {
        switch self {
        case .mean: g.plainStorage().pointer[0] / Float(n)
        case .sum: g.plainStorage().pointer[0]
        case .none: g.plainStorage().pointer[i]
        }
    }
}

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
    let x = logits.plainStorage().pointer
    for i in 0..<n {
        let lse = Tensor.logSumExp(x, start: i * c, step: 1, count: c)
        for k in 0..<c { logProbs[i * c + k] = x[i * c + k] - lse; probs[i * c + k] = exp(logProbs[i * c + k]) }
    }
    return (probs, logProbs)
}

/// Class labels as the tensor input of a classification loss (exact: labels are below 2²⁴).
private func labelTensor(_ labels: [Int]) -> Tensor {
    let t = Tensor(uninitializedShape: [labels.count])
    let p = t.plainStorage().pointer
    for (i, label) in labels.enumerated() { p[i] = Float(label) }
    return t
}

/// The labels a loss kernel reads from its tensor input.
private func classLabels(of t: Tensor) -> [Int] { t.withUnsafeBufferPointer { $0.map { Int($0) } } }

/// Mean cross-entropy of `[N, C]` logits against class labels, with optional label smoothing ε
/// (the target is (1−ε)·one-hot + ε/C, as in PyTorch).
///
/// Backward: dLogits = (softmax(logits) − target) / N.
public func crossEntropy(_ logits: Tensor, labels: [Int], labelSmoothing: Float = 0,
                         reduction: Reduction = .mean) throws -> Tensor {
    _ = try validateClassification(logits, labels, op: "cross_entropy")
    try require(labelSmoothing >= 0 && labelSmoothing <= 1, "cross_entropy",
                "label smoothing \(labelSmoothing) must lie in [0, 1]")
    return try apply(.crossEntropy(labelSmoothing: labelSmoothing, reduction: reduction), [logits, labelTensor(labels)])
}

/// Mean focal loss (Lin et al. 2017), softmax form: mean_i −(1 − p_i)^γ · log p_i,
/// p_i the softmax probability of the true class. γ = 0 gives cross-entropy.
///
/// Backward: with s = softmax(z), p = s_y, dL/dz_c = [γ(1−p)^(γ−1)·p·log p − (1−p)^γ] · (δ_cy − s_c) / N.
public func focalLoss(_ logits: Tensor, labels: [Int], gamma: Float = 2, reduction: Reduction = .mean) throws -> Tensor {
    _ = try validateClassification(logits, labels, op: "focal_loss")
    try require(gamma >= 0, "focal_loss", "gamma \(gamma) must be ≥ 0")
    return try apply(.focalLoss(gamma: gamma, reduction: reduction), [logits, labelTensor(labels)])
}

/// Negative log-likelihood of log-probabilities `[N, C]` (mean), PyTorch's `nll_loss`.
public func nllLoss(_ logProbs: Tensor, labels: [Int], reduction: Reduction = .mean) throws -> Tensor {
    _ = try validateClassification(logProbs, labels, op: "nll_loss")
    return try apply(.nllLoss(reduction: reduction), [logProbs, labelTensor(labels)])
}

/// Squared error (x − target)², averaged over all elements by default.
/// Backward: dX = 2(x − target)·w, dTarget = −dX, w the reduction's weight (1/n for the mean).
/// With `.none` the result has the shape of `x`.
public func mseLoss(_ x: Tensor, _ target: Tensor, reduction: Reduction = .mean) throws -> Tensor {
    try require(x.shape == target.shape, "mse_loss",
                "input \(describe(x.shape)) and target \(describe(target.shape)) must have the same shape")
    return try apply(.mseLoss(reduction: reduction), [x, target])
}

extension Kernels {
    static func crossEntropy(_ logits: Tensor, labels labelValues: Tensor, labelSmoothing eps: Float, reduction: Reduction) -> Computed {
        let labels = classLabels(of: labelValues)
        let (n, c) = (logits.shape[0], logits.shape[1])
        let (probs, logProbs) = softmaxRows(logits, n: n, c: c)
        let off = eps / Float(c), on = 1 - eps + off
        var perSample = [Double](repeating: 0, count: n)
        for i in 0..<n {
            // The smoothing term only when smoothing: 0 · (−∞) would turn a −∞ log-probability elsewhere in
            // the row into NaN, where PyTorch's loss is finite (or +∞ for the label's own −∞).
            var rowSum: Float = 0
            if eps > 0 { for k in 0..<c { rowSum += logProbs[i * c + k] } }
            perSample[i] = -Double((1 - eps) * logProbs[i * c + labels[i]] + (eps > 0 ? off * rowSum : 0))
        }
        return Computed(reduction.reduce(perSample)) { g in
            let gx = Tensor(uninitializedShape: [n, c])
            let p = gx.plainStorage().pointer
            for i in 0..<n {
                let scale = reduction.sampleWeight(g, i, count: n)
                for k in 0..<c { p[i * c + k] = (probs[i * c + k] - (k == labels[i] ? on : off)) * scale }
            }
            return [gx, nil]
        }
    }

    static func focalLoss(_ logits: Tensor, labels labelValues: Tensor, gamma: Float, reduction: Reduction) -> Computed {
        let labels = classLabels(of: labelValues)
        let (n, c) = (logits.shape[0], logits.shape[1])
        let (probs, logProbs) = softmaxRows(logits, n: n, c: c)
        var perSample = [Double](repeating: 0, count: n)
        for i in 0..<n {
            let p = probs[i * c + labels[i]], logp = logProbs[i * c + labels[i]]
            perSample[i] = -Double(pow(1 - p, gamma) * logp)
        }
        return Computed(reduction.reduce(perSample)) { g in
            let gx = Tensor(uninitializedShape: [n, c])
            let gp = gx.plainStorage().pointer
            for i in 0..<n {
                let p = probs[i * c + labels[i]], logp = logProbs[i * c + labels[i]]
                let q = 1 - p
                let dPow = gamma == 0 ? 0 : gamma * pow(q, gamma - 1) * p * logp
                let coeff = (dPow - pow(q, gamma)) * reduction.sampleWeight(g, i, count: n)
                for k in 0..<c { gp[i * c + k] = coeff * ((k == labels[i] ? 1 : 0) - probs[i * c + k]) }
            }
            return [gx, nil]
        }
    }

    static func nllLoss(_ logProbs: Tensor, labels labelValues: Tensor, reduction: Reduction) -> Computed {
        let labels = classLabels(of: labelValues)
        let (n, c) = (logProbs.shape[0], logProbs.shape[1])
        let x = logProbs.plainStorage().pointer
        let perSample = (0..<n).map { -Double(x[$0 * c + labels[$0]]) }
        return Computed(reduction.reduce(perSample)) { g in
            let gx = Tensor.zeros([n, c])
            let gxp = gx.plainStorage().pointer
            for i in 0..<n { gxp[i * c + labels[i]] = -reduction.sampleWeight(g, i, count: n) }
            return [gx, nil]
        }
    }

    static func mseLoss(_ x: Tensor, _ target: Tensor, reduction: Reduction) -> Computed {
        let n = x.count
        let xp = x.plainStorage().pointer, tp = target.plainStorage().pointer
        let perElement = (0..<n).map { i -> Double in let d = Double(xp[i] - tp[i]); return d * d }
        var out = reduction.reduce(perElement)
        if reduction == .none { out = Tensor(shape: x.shape, storage: out.plainStorage()) }
        return Computed(out) { g in
            let gx = Tensor(uninitializedShape: x.shape)
            let gxp = gx.plainStorage().pointer
            for i in 0..<n { gxp[i] = 2 * (xp[i] - tp[i]) * reduction.sampleWeight(g, i, count: n) }
            return [x.requiresGrad ? gx : nil, target.requiresGrad ? gx.scaled(-1) : nil]
        }
    }
}
