import Foundation

/// PyTorch's CPU generator: the same engine (MT19937, seeded like `torch.manual_seed`) and the
/// same ways of turning its words into floats, normal samples, Bernoulli draws and permutations. A
/// seed therefore gives the initial weights, the shuffled order and the dropout masks PyTorch
/// gives for that seed (`torch.rand`, `uniform_`, `randperm`, `bernoulli_` bit for bit; `normal_`
/// to rounding, since PyTorch computes its logarithms and sines with vector routines), and a run
/// here can be put beside the same run there. Its whole state can be saved in a checkpoint (``words``).
public struct RandomGenerator: RandomNumberGenerator, Sendable, Equatable {
    private var engine: MersenneTwister
    /// The second sample of the last Box–Muller pair drawn one sample at a time, not yet handed
    /// out (PyTorch's `next_double_normal_sample`).
    private var cachedNormal: Double?

    /// A generator in the state `torch.manual_seed(seed)` leaves PyTorch's (only the low 32 bits
    /// of the seed count, as there).
    public init(seed: UInt64) {
        engine = MersenneTwister(seed: seed)
    }

    /// The next 32 random bits (PyTorch's `random()`).
    public mutating func next32() -> UInt32 { engine.next() }

    /// The next 64 random bits: two words, the first in the high half (PyTorch's `random64()`).
    public mutating func next() -> UInt64 {
        let high = UInt64(engine.next())
        return high << 32 | UInt64(engine.next())
    }

    /// An integer in `0..<n` as `torch.randint(0, n, (1,))` draws it: 32 random bits modulo n,
    /// or, from n = 2²⁸ on, 64 bits modulo n (PyTorch 2.15's rule, checked against its draws).
    /// - Precondition: n > 0.
    public mutating func randomInteger(below n: Int) -> Int {
        precondition(n > 0, "randomInteger(below:) needs a positive bound")
        return n >= 1 << 28 ? Int(next() % UInt64(n)) : Int(next32() % UInt32(n))
    }

    /// Uniform in [0, 1) from 24 random bits (`torch.rand`).
    public mutating func nextUniform() -> Float { uniform(from: 0, to: 1) }

    /// Uniform in [from, to) as `Tensor.uniform_(from, to)` draws it: 24 random bits scaled in
    /// double precision, x·(to − from) + from, rounded to Float.
    public mutating func uniform(from: Float, to: Float) -> Float {
        let x = Double(engine.next() & 0xFF_FFFF) * 0x1p-24
        return Float(x * Double(to - from) + Double(from))
    }

    /// Fills `values` with samples of U[from, to) as `Tensor.uniform_(from, to)` does, one
    /// ``uniform(from:to:)`` per element in order.
    public mutating func fillUniform(_ values: UnsafeMutableBufferPointer<Float>, from: Float, to: Float) {
        for i in values.indices { values[i] = uniform(from: from, to: to) }
    }

    /// Uniform in [0, 1) from 53 random bits (PyTorch's `uniform_real_distribution<double>`).
    public mutating func nextDouble() -> Double { Double(next() & (1 << 53 - 1)) * 0x1p-53 }

    /// True with probability `p` (PyTorch's `bernoulli_(p)` on CPU: ``nextDouble()`` < p).
    public mutating func bernoulli(_ p: Double) -> Bool { nextDouble() < p }

    /// One standard normal sample the way PyTorch draws one element at a time (tensors of fewer
    /// than 16 elements): Box–Muller on two 53-bit uniforms, the pair's second sample kept for
    /// the next call.
    public mutating func nextNormal() -> Double {
        if let cached = cachedNormal {
            cachedNormal = nil
            return cached
        }
        let u1 = nextDouble()
        let u2 = nextDouble()
        let radius = (-2 * log1p(-u2)).squareRoot()
        let theta = 2 * Double.pi * u1
        cachedNormal = radius * sin(theta)
        return radius * cos(theta)
    }

    /// Fills `values` with samples of N(mean, std²) as `Tensor.normal_(mean, std)` does: fewer than
    /// 16 values one at a time (``nextNormal()``); otherwise all values uniform first, then
    /// Box–Muller on blocks of 16 (cosines into the first 8, sines into the last 8), the last
    /// block redrawn and recomputed when the count is not a multiple of 16.
    public mutating func fillNormal(_ values: UnsafeMutableBufferPointer<Float>, mean: Float, std: Float) {
        let count = values.count
        guard count >= 16 else {
            for i in 0..<count { values[i] = Float(nextNormal() * Double(std) + Double(mean)) }
            return
        }
        for i in 0..<count { values[i] = nextUniform() }
        // The blocks are independent: large tensors (VGG's 100-million-weight layers) transform
        // theirs on every core, with the same result.
        let blocks = count / 16, chunks = blocks >= 1 << 16 ? ProcessInfo.processInfo.activeProcessorCount * 4 : 1
        let address = Int(bitPattern: values.baseAddress!)  // each chunk writes its own blocks only
        DispatchQueue.concurrentPerform(iterations: chunks) { chunk in
            let base = UnsafeMutablePointer<Float>(bitPattern: address)!
            for block in (blocks * chunk / chunks)..<(blocks * (chunk + 1) / chunks) {
                Self.boxMuller16(base + 16 * block, mean: mean, std: std)
            }
        }
        if count % 16 != 0 {
            let tail = values.baseAddress! + count - 16
            for i in 0..<16 { tail[i] = nextUniform() }
            Self.boxMuller16(tail, mean: mean, std: std)
        }
    }

    /// r = √(−2 ln(1 − u₁)), θ = 2π·u₂ for u₁ = v[j], u₂ = v[j + 8]; v[j] = r cos θ, v[j + 8] = r sin θ,
    /// all in single precision as PyTorch's AVX2 kernel computes them (θ from the Float nearest 2π).
    private static func boxMuller16(_ v: UnsafeMutablePointer<Float>, mean: Float, std: Float) {
        let twoPi = Float(2 * Double.pi)
        for j in 0..<8 {
            let radius = (-2 * Foundation.log(1 - v[j])).squareRoot()
            let theta = twoPi * v[j + 8]
            v[j] = mean.addingProduct(radius * Foundation.cos(theta), std)
            v[j + 8] = mean.addingProduct(radius * Foundation.sin(theta), std)
        }
    }

    /// A random permutation of `0..<n` (`torch.randperm(n)`): Fisher–Yates from the front, the
    /// element swapped into place `i` chosen by 32 random bits modulo n − i. From n ≥ 2³²/20 on
    /// (where the modulo would be visibly uneven) PyTorch draws 64 bits for each place instead,
    /// in an inside-out shuffle (i goes to a random place z ≤ i, whose element moves to i); so does
    /// this (checked once against PyTorch at n = 214,748,364, the first such n: too large for the
    /// test suite).
    public mutating func permutation(_ n: Int) -> [Int] {
        guard n > 0 else { return [] }
        if n >= Int(UInt32.max / 20) {
            var result = [Int](repeating: 0, count: n)
            for i in 0..<n {
                let z = Int(next() % UInt64(i + 1))
                result[i] = result[z]
                result[z] = i
            }
            return result
        }
        var result = Array(0..<n)
        result.withUnsafeMutableBufferPointer { r in
            for i in 0..<(n - 1) {
                let z = Int(engine.next() % UInt32(n - i))
                r.swapAt(i, i + z)
            }
        }
        return result
    }

    /// The complete state as words, to save in a checkpoint: the 624 state words, the position in
    /// them, then the bits of a pending normal sample if there is one.
    public var words: [UInt64] {
        engine.state.map(UInt64.init) + [UInt64(engine.position)] + (cachedNormal.map { [$0.bitPattern] } ?? [])
    }

    /// Restores a generator from ``words``; `nil` if they cannot have come from one.
    public init?(words: [UInt64]) {
        let size = MersenneTwister.stateSize
        guard words.count == size + 1 || words.count == size + 2,
              words[..<size].allSatisfy({ $0 <= UInt64(UInt32.max) }),
              let engine = MersenneTwister(state: words[..<size].map { UInt32($0) }, position: Int(clamping: words[size]))
        else { return nil }
        self.engine = engine
        cachedNormal = words.count == size + 2 ? Double(bitPattern: words[size + 1]) : nil
    }
}
