import Foundation

/// The learning rate as a function of the training step, set on the optimizer before each step.
///
/// Steps count optimizer updates from 0; `stepsPerEpoch` converts epoch-based schedules.
public enum LearningRateSchedule: Sendable, Equatable {
    /// The base rate throughout.
    case constant
    /// Multiply by `gamma` every `epochs` epochs (`torch.optim.lr_scheduler.StepLR`).
    case step(epochs: Int, gamma: Float)
    /// Multiply by `gamma` at each of the `milestones` (epochs, `torch.optim.lr_scheduler.MultiStepLR`
    /// stepped once per epoch): lr = base·gamma^(milestones ≤ epoch).
    case multiStep(milestones: [Int], gamma: Float)
    /// Cosine annealing from the base rate to `minimum` over the whole run
    /// (`CosineAnnealingLR` with T_max = all steps): lr = min + (base − min)·(1 + cos(π·t/T))/2.
    case cosine(minimum: Float)
    /// Smith's one-cycle (`OneCycleLR`, cosine annealing): warm up from base/`divFactor` to the
    /// base (the maximum) over the first `warmupFraction` of the steps, then anneal to
    /// base/(`divFactor`·`finalDivFactor`).
    case oneCycle(warmupFraction: Float, divFactor: Float, finalDivFactor: Float)
    /// Linear warm-up from 0 over `steps` steps, then `then`.
    indirect case warmup(steps: Int, then: LearningRateSchedule)

    /// One-cycle with PyTorch's defaults (30 % warm-up, div 25, final div 10⁴).
    public static let oneCycleDefault = LearningRateSchedule.oneCycle(warmupFraction: 0.3, divFactor: 25, finalDivFactor: 1e4)

    /// The rate at `step` (0-based) of a run of `totalSteps` steps.
    public func rate(base: Float, step: Int, totalSteps: Int, stepsPerEpoch: Int) -> Float {
        let total = Float(max(totalSteps, 1))
        switch self {
        case .constant:
            return base
        case let .step(epochs, gamma):
            let epoch = step / max(stepsPerEpoch, 1)
            return base * pow(gamma, Float(epoch / max(epochs, 1)))
        case let .multiStep(milestones, gamma):
            let epoch = step / max(stepsPerEpoch, 1)
            return milestones.filter { $0 <= epoch }.reduce(base) { rate, _ in rate * gamma }
        case let .cosine(minimum):
            return minimum + (base - minimum) * (1 + cos(Float.pi * Float(step) / total)) / 2
        case let .oneCycle(warmupFraction, divFactor, finalDivFactor):
            let initial = base / divFactor, final = initial / finalDivFactor
            let warm = max(warmupFraction * total - 1, 1)
            let t = Float(step)
            if t <= warm { return annealCos(from: initial, to: base, t / warm) }
            return annealCos(from: base, to: final, min((t - warm) / max(total - 1 - warm, 1), 1))
        case let .warmup(steps, then):
            if step < steps { return base * Float(step + 1) / Float(steps) }
            return then.rate(base: base, step: step - steps, totalSteps: max(totalSteps - steps, 1), stepsPerEpoch: stepsPerEpoch)
        }
    }

    /// Cosine interpolation from `a` (p = 0) to `b` (p = 1).
    private func annealCos(from a: Float, to b: Float, _ p: Float) -> Float {
        b + (a - b) * (1 + cos(Float.pi * p)) / 2
    }
}
