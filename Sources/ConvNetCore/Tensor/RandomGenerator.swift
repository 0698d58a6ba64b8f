import Foundation

/// A small, fast, seedable generator (xoshiro256**), so every random tensor, shuffle and dropout
/// mask can be reproduced from a seed, and its state saved in a checkpoint.
public struct RandomGenerator: RandomNumberGenerator, Sendable, Equatable {
    /// The four words of xoshiro256** state.
    public var state: (UInt64, UInt64, UInt64, UInt64)
    /// A second normal sample that Box–Muller produced and has not been handed out yet.
    var spareNormal: Float?

    /// A generator whose whole state is derived from `seed` (splitmix64, as the xoshiro authors advise).
    public init(seed: UInt64) {
        var s = seed
        func splitmix() -> UInt64 {
            s &+= 0x9E37_79B9_7F4A_7C15
            var z = s
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        state = (splitmix(), splitmix(), splitmix(), splitmix())
    }

    /// The complete state as words (four of xoshiro state, then the pending normal sample's bits
    /// if there is one), to save in a checkpoint.
    public var words: [UInt64] {
        [state.0, state.1, state.2, state.3] + (spareNormal.map { [UInt64($0.bitPattern)] } ?? [])
    }

    /// Restores a generator from ``words``; `nil` if they are not 4 or 5 words.
    public init?(words: [UInt64]) {
        guard words.count == 4 || words.count == 5 else { return nil }
        state = (words[0], words[1], words[2], words[3])
        spareNormal = words.count == 5 ? Float(bitPattern: UInt32(truncatingIfNeeded: words[4])) : nil
    }

    public static func == (a: RandomGenerator, b: RandomGenerator) -> Bool {
        a.state == b.state && a.spareNormal == b.spareNormal
    }

    public mutating func next() -> UInt64 {
        let result = rotl(state.1 &* 5, 7) &* 9
        let t = state.1 << 17
        state.2 ^= state.0
        state.3 ^= state.1
        state.1 ^= state.2
        state.0 ^= state.3
        state.2 ^= t
        state.3 = rotl(state.3, 45)
        return result
    }

    private func rotl(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }

    /// Uniform in [0, 1) with 24 random bits.
    public mutating func nextUniform() -> Float { Float(next() >> 40) * (1.0 / 16_777_216.0) }

    /// Standard normal sample (Box–Muller, both outputs used).
    public mutating func nextNormal() -> Float {
        if let spare = spareNormal { spareNormal = nil; return spare }
        var u1 = 0.0
        repeat { u1 = Double(next() >> 11) * (1.0 / 9_007_199_254_740_992.0) } while u1 <= 0
        let u2 = Double(next() >> 11) * (1.0 / 9_007_199_254_740_992.0)
        let r = (-2 * log(u1)).squareRoot()
        spareNormal = Float(r * sin(2 * Double.pi * u2))
        return Float(r * cos(2 * Double.pi * u2))
    }
}
