import Foundation

/// A random generator that several places draw from in turn (layer initialisers, dropout),
/// safe to share between threads.
public final class SharedGenerator: @unchecked Sendable {
    private let lock = NSLock()
    private var generator: RandomGenerator

    /// A generator seeded with `seed`.
    public init(seed: UInt64) { generator = RandomGenerator(seed: seed) }

    /// Runs `body` with exclusive access to the generator.
    public func withGenerator<R>(_ body: (inout RandomGenerator) throws -> R) rethrows -> R {
        lock.lock()
        defer { lock.unlock() }
        return try body(&generator)
    }

    /// The generator's state (saved in checkpoints).
    public var state: RandomGenerator {
        get { withGenerator { $0 } }
        set { withGenerator { $0 = newValue } }
    }
}

/// The generator that layers draw their initial weights (and dropout its masks) from unless given
/// one: the process-wide one, like PyTorch's global RNG (``manualSeed(_:)``), or the one a task
/// selected with ``using(_:_:)`` — a training run or a test uses its own, so concurrent work does
/// not change its random numbers.
public enum GlobalGenerator {
    static let process = SharedGenerator(seed: 0)
    @TaskLocal static var scoped: SharedGenerator?

    /// The generator in effect for the current task.
    public static var current: SharedGenerator { scoped ?? process }

    /// Runs `body` with exclusive access to the current generator.
    public static func withGenerator<R>(_ body: (inout RandomGenerator) throws -> R) rethrows -> R {
        try current.withGenerator(body)
    }

    /// The current generator's state.
    public static var state: RandomGenerator {
        get { current.state }
        set { current.state = newValue }
    }

    /// Runs `body` (in this task) with `generator` in place of the process-wide one.
    public static func using<R>(_ generator: SharedGenerator, _ body: () throws -> R) rethrows -> R {
        try $scoped.withValue(generator, operation: body)
    }

    /// Runs `body` with a fresh generator seeded with `seed`: `GlobalGenerator.seeded(0) { LeNet5() }`
    /// builds the same weights every time, whatever else runs at once.
    public static func seeded<R>(_ seed: UInt64, _ body: () throws -> R) rethrows -> R {
        try using(SharedGenerator(seed: seed), body)
    }
}

/// Seeds the process-wide generator (PyTorch's `torch.manual_seed`).
public func manualSeed(_ seed: UInt64) {
    GlobalGenerator.process.state = RandomGenerator(seed: seed)
}

/// Weight initialisation schemes, each filling a tensor in place from a generator.
public enum Initializer {
    /// Which fan Kaiming initialisation preserves the variance of.
    public enum FanMode: Sendable { case fanIn, fanOut }

    /// (fan_in, fan_out) of a weight: `[out, in]` for linear, `[out, in, k_h, k_w]` for conv.
    public static func fans(_ shape: [Int]) -> (fanIn: Int, fanOut: Int) {
        guard shape.count >= 2 else { return (max(shape.first ?? 1, 1), max(shape.first ?? 1, 1)) }
        let receptive = shape.dropFirst(2).reduce(1, *)
        return (shape[1] * receptive, shape[0] * receptive)
    }

    /// The gain of ReLU-family nonlinearities: √(2/(1 + a²)) (a = 0 for ReLU).
    public static func reluGain(negativeSlope a: Float = 0) -> Float { (2 / (1 + a * a)).squareRoot() }

    /// Fills with U(−bound, bound).
    public static func uniform(_ t: Tensor, bound: Float, generator: inout RandomGenerator) {
        t.withUnsafeMutableBufferPointer { b in
            for i in b.indices { b[i] = (2 * generator.nextUniform() - 1) * bound }
        }
    }

    /// Fills with N(0, std²).
    public static func normal(_ t: Tensor, std: Float, generator: inout RandomGenerator) {
        t.withUnsafeMutableBufferPointer { b in for i in b.indices { b[i] = std * generator.nextNormal() } }
    }

    /// He et al. 2015, normal: std = gain/√fan.
    public static func kaimingNormal(_ t: Tensor, mode: FanMode = .fanIn, negativeSlope: Float = 0,
                                     generator: inout RandomGenerator) {
        let (fanIn, fanOut) = fans(t.shape)
        normal(t, std: reluGain(negativeSlope: negativeSlope) / Float(mode == .fanIn ? fanIn : fanOut).squareRoot(),
               generator: &generator)
    }

    /// He et al. 2015, uniform: bound = gain·√(3/fan).
    public static func kaimingUniform(_ t: Tensor, mode: FanMode = .fanIn, negativeSlope: Float = 0,
                                      generator: inout RandomGenerator) {
        let (fanIn, fanOut) = fans(t.shape)
        uniform(t, bound: reluGain(negativeSlope: negativeSlope) * (3 / Float(mode == .fanIn ? fanIn : fanOut)).squareRoot(),
                generator: &generator)
    }

    /// Glorot & Bengio 2010, uniform: bound = gain·√(6/(fan_in + fan_out)).
    public static func xavierUniform(_ t: Tensor, gain: Float = 1, generator: inout RandomGenerator) {
        let (fanIn, fanOut) = fans(t.shape)
        uniform(t, bound: gain * (6 / Float(fanIn + fanOut)).squareRoot(), generator: &generator)
    }

    /// Glorot & Bengio 2010, normal: std = gain·√(2/(fan_in + fan_out)).
    public static func xavierNormal(_ t: Tensor, gain: Float = 1, generator: inout RandomGenerator) {
        let (fanIn, fanOut) = fans(t.shape)
        normal(t, std: gain * (2 / Float(fanIn + fanOut)).squareRoot(), generator: &generator)
    }

    /// PyTorch's default for `Conv2d` and `Linear`: kaiming_uniform with a = √5 for the weight,
    /// which is U(±1/√fan_in), and U(±1/√fan_in) for the bias.
    public static func pytorchDefault(weight: Tensor, bias: Tensor?, generator: inout RandomGenerator) {
        let bound = 1 / Float(max(fans(weight.shape).fanIn, 1)).squareRoot()
        uniform(weight, bound: bound, generator: &generator)
        if let bias { uniform(bias, bound: bound, generator: &generator) }
    }
}
