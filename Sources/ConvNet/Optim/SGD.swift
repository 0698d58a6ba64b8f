/// Stochastic gradient descent with optional momentum, Nesterov momentum and L2 weight decay,
/// following `torch.optim.SGD` (dampening 0):
///
///     d = g + λ·p
///     b ← μ·b + d        (b = d on the first step)
///     p ← p − lr·(d + μ·b)   with Nesterov,   p ← p − lr·b   without
public final class SGD: Optimizer {
    /// The tensors updated, in order.
    public let parameters: [Tensor]
    /// The step size (set by schedules).
    public var learningRate: Float
    /// μ; 0 for plain SGD.
    public let momentum: Float
    /// Nesterov momentum.
    public let nesterov: Bool
    /// λ of the L2 penalty added to the gradient.
    public let weightDecay: Float
    /// Momentum buffers, one per parameter, created on its first step.
    public private(set) var momentumBuffers: [[Float]?]
    private var stepCount = 0

    /// - Throws: ``ConvNetError`` for a negative learning rate, momentum or weight decay, or
    ///   Nesterov without momentum.
    public init(parameters: [Tensor], learningRate: Float, momentum: Float = 0, nesterov: Bool = false,
                weightDecay: Float = 0) throws {
        self.parameters = parameters
        self.learningRate = learningRate
        self.momentum = momentum
        self.nesterov = nesterov
        self.weightDecay = weightDecay
        momentumBuffers = Array(repeating: nil, count: parameters.count)
        try Self.check(learningRate >= 0 && learningRate.isFinite, "learning rate \(learningRate) must be a finite number ≥ 0")
        try Self.check(momentum >= 0, "momentum \(momentum) must be ≥ 0")
        try Self.check(weightDecay >= 0, "weight decay \(weightDecay) must be ≥ 0")
        try Self.check(!nesterov || momentum > 0, "Nesterov momentum needs momentum > 0")
    }

    public func step() throws {
        stepCount += 1
        let (lr, mu, wd, nesterov) = (learningRate, momentum, weightDecay, nesterov)
        forEachParameterWithGradient(parameters) { index, p, g, n in
            if mu == 0 {
                forEachLaneBlock(count: n) { i, w in
                    let x = p.lanes(i, w)
                    p.store(x - lr * (g.lanes(i, w) + wd * x), i, w)
                }
                return
            }
            let first = momentumBuffers[index] == nil
            if first { momentumBuffers[index] = [Float](repeating: 0, count: n) }
            momentumBuffers[index]!.withUnsafeMutableBufferPointer { buffer in
                let b = buffer.baseAddress!
                forEachLaneBlock(count: n) { i, w in
                    let x = p.lanes(i, w)
                    let d = g.lanes(i, w) + wd * x
                    let v = first ? d : mu * b.lanes(i, w) + d
                    b.store(v, i, w)
                    p.store(x - lr * (nesterov ? d + mu * v : v), i, w)
                }
            }
        }
    }

    public var state: OptimizerState {
        OptimizerState(slots: momentum > 0 ? ["momentum_buffer": momentumBuffers] : [:], stepCount: stepCount)
    }

    public func load(state: OptimizerState) throws {
        if momentum > 0 {
            let buffers = state.slots["momentum_buffer"] ?? Array(repeating: nil, count: parameters.count)
            try Self.check(buffers.count == parameters.count && zip(buffers, parameters).allSatisfy { $0 == nil || $0!.count == $1.count },
                           "momentum buffers do not match the \(parameters.count) parameters")
            momentumBuffers = buffers
        }
        stepCount = state.stepCount
    }
}
