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
