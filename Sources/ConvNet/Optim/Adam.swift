import Foundation

/// Adam (Kingma & Ba) and AdamW (Loshchilov & Hutter), following `torch.optim.Adam` / `AdamW`:
///
///     g ← g + λ·p                         (Adam's L2 weight decay)
///     p ← p·(1 − lr·λ)                    (AdamW's decoupled weight decay, instead)
///     m ← β₁m + (1−β₁)g,  v ← β₂v + (1−β₂)g²
///     p ← p − lr/(1−β₁ᵗ) · m / (√v/√(1−β₂ᵗ) + ε)
public class Adam: Optimizer {
    /// The tensors updated, in order.
    public let parameters: [Tensor]
    /// The step size (set by schedules).
    public var learningRate: Float
    /// β₁, β₂, ε and the weight decay λ.
    public let beta1: Float, beta2: Float, epsilon: Float, weightDecay: Float
    /// True for AdamW's decoupled decay.
    public let decoupledWeightDecay: Bool
    /// Number of steps taken (t).
    public private(set) var stepCount = 0
    /// First and second moment estimates per parameter.
    public private(set) var firstMoments: [[Float]], secondMoments: [[Float]]

    /// - Throws: ``ConvNetError`` for a negative rate or decay, betas outside [0, 1), or ε ≤ 0.
    public init(parameters: [Tensor], learningRate: Float = 1e-3, betas: (Float, Float) = (0.9, 0.999),
                epsilon: Float = 1e-8, weightDecay: Float = 0, decoupledWeightDecay: Bool = false) throws {
        self.parameters = parameters
        self.learningRate = learningRate
        (beta1, beta2) = betas
        self.epsilon = epsilon
        self.weightDecay = weightDecay
        self.decoupledWeightDecay = decoupledWeightDecay
        firstMoments = parameters.map { [Float](repeating: 0, count: $0.count) }
        secondMoments = firstMoments
        try Self.check(learningRate >= 0 && learningRate.isFinite, "learning rate \(learningRate) must be a finite number ≥ 0")
        try Self.check((0..<1).contains(beta1) && (0..<1).contains(beta2), "betas (\(beta1), \(beta2)) must lie in [0, 1)")
        try Self.check(epsilon > 0, "epsilon \(epsilon) must be > 0")
        try Self.check(weightDecay >= 0, "weight decay \(weightDecay) must be ≥ 0")
    }

    public func step() throws {
        stepCount += 1
        let t = Float(stepCount)
        let (lr, b1, b2, eps, wd, decoupled) = (learningRate, beta1, beta2, epsilon, weightDecay, decoupledWeightDecay)
        let stepSize = lr / (1 - pow(b1, t))
        let correction2 = (1 - pow(b2, t)).squareRoot()
        forEachParameterWithGradient(parameters) { index, p, g, n in
            firstMoments[index].withUnsafeMutableBufferPointer { mBuffer in
                secondMoments[index].withUnsafeMutableBufferPointer { vBuffer in
                    let (m, v) = (mBuffer.baseAddress!, vBuffer.baseAddress!)
                    forEachLaneBlock(count: n) { i, w in
                        var x = p.lanes(i, w), grad = g.lanes(i, w)
                        if decoupled { x *= 1 - lr * wd } else { grad += wd * x }
                        let m1 = b1 * m.lanes(i, w) + (1 - b1) * grad
                        let v1 = b2 * v.lanes(i, w) + (1 - b2) * grad * grad
                        m.store(m1, i, w)
                        v.store(v1, i, w)
                        p.store(x - stepSize * m1 / (v1.squareRoot() / correction2 + eps), i, w)
                    }
                }
            }
        }
    }

    public var state: OptimizerState {
        OptimizerState(slots: ["exp_avg": firstMoments, "exp_avg_sq": secondMoments], stepCount: stepCount)
    }

    public func load(state: OptimizerState) throws {
        let counts = parameters.map(\.count)
        guard let m = state.slots["exp_avg"], let v = state.slots["exp_avg_sq"],
              m.map({ $0?.count ?? -1 }) == counts, v.map({ $0?.count ?? -1 }) == counts else {
            throw ConvNetError(op: String(describing: Self.self), "moment estimates do not match the \(parameters.count) parameters")
        }
        stepCount = state.stepCount
        firstMoments = m.map { $0! }
        secondMoments = v.map { $0! }
    }
}

/// Adam with decoupled weight decay (default λ = 0.01, like `torch.optim.AdamW`).
public final class AdamW: Adam {
    /// AdamW over `parameters` (decoupled decay λ = 0.01 by default).
    public init(parameters: [Tensor], learningRate: Float = 1e-3, betas: (Float, Float) = (0.9, 0.999),
                epsilon: Float = 1e-8, weightDecay: Float = 1e-2) throws {
        try super.init(parameters: parameters, learningRate: learningRate, betas: betas, epsilon: epsilon,
                       weightDecay: weightDecay, decoupledWeightDecay: true)
    }
}
