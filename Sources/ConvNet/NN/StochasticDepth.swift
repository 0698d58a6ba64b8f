/// Stochastic depth (Huang et al. 2016; torchvision's `ops.StochasticDepth`): in training, a
/// residual branch is dropped with probability `p` — per sample (`.row`, each image of the batch
/// drawn on its own) or for the whole batch (`.batch`) — and scaled by 1/(1 − p) where kept; in
/// evaluation it is the identity. The draws come from the global generator as torchvision's
/// `noise.bernoulli_(1 − p)` makes them, so a seeded run drops the same branches as PyTorch's.
public final class StochasticDepth: Module {
    /// Whether each sample draws its own keep decision or the batch shares one.
    public enum Mode: String, Sendable { case row, batch }

    /// The probability of dropping the branch (a Double, as torchvision's Python float, so that
    /// 1 − p and the scale round as PyTorch's do).
    public let p: Double
    public let mode: Mode

    /// - Throws: ``ConvNetError`` unless `p` lies in [0, 1].
    public init(p: Double, mode: Mode = .row) throws {
        guard p >= 0 && p <= 1 else { throw ConvNetError(op: "StochasticDepth", "drop probability \(p) must lie in [0, 1]") }
        (self.p, self.mode) = (p, mode)
    }

    public func forward(_ x: Tensor) throws -> Tensor {
        guard isTraining, p > 0, x.rank >= 1 else { return x }
        let survival = 1 - p
        let shape = mode == .row ? [x.shape[0]] + Array(repeating: 1, count: x.rank - 1) : Array(repeating: 1, count: x.rank)
        let count = shape.reduce(1, *)
        // noise.bernoulli_(survival), then noise.div_(survival): PyTorch divides the float32 noise
        // by the survival rate rounded to float32.
        let scale = survival > 0 ? 1 / Float(survival) : 0
        let noise = GlobalGenerator.withGenerator { generator in
            (0..<count).map { _ in generator.bernoulli(survival) ? scale : 0 }
        }
        return try x * Tensor(shape: shape, scalars: noise)
    }
}
