/// MT19937 (Matsumoto & Nishimura 1998), the 32-bit engine behind PyTorch's CPU generator,
/// seeded the way `torch.manual_seed` seeds it (the low 32 bits of the seed through the
/// standard initialisation recurrence).
struct MersenneTwister: Sendable, Equatable {
    static let stateSize = 624
    private static let shift = 397
    private static let matrixA: UInt32 = 0x9908_B0DF

    /// The 624 words of state.
    private(set) var state: [UInt32]
    /// How many words of the current block have been handed out (624: regenerate before the next).
    private(set) var position: Int

    init(seed: UInt64) {
        var words = [UInt32](repeating: 0, count: Self.stateSize)
        words[0] = UInt32(truncatingIfNeeded: seed)
        for i in 1..<Self.stateSize {
            words[i] = 1_812_433_253 &* (words[i - 1] ^ (words[i - 1] >> 30)) &+ UInt32(i)
        }
        state = words
        position = Self.stateSize
    }

    /// Restores an engine from its state words and position; `nil` if they cannot belong to one.
    init?(state: [UInt32], position: Int) {
        guard state.count == Self.stateSize, (0...Self.stateSize).contains(position) else { return nil }
        (self.state, self.position) = (state, position)
    }

    mutating func next() -> UInt32 {
        if position == Self.stateSize { regenerate() }
        var y = state[position]
        position += 1
        // Tempering.
        y ^= y >> 11
        y ^= (y << 7) & 0x9D2C_5680
        y ^= (y << 15) & 0xEFC6_0000
        y ^= y >> 18
        return y
    }

    /// The next 624 words: x[k] = x[k+397] ⊕ ((upper bit of x[k] | lower 31 bits of x[k+1]) · A).
    private mutating func regenerate() {
        let n = Self.stateSize, m = Self.shift
        state.withUnsafeMutableBufferPointer { x in
            for k in 0..<n {
                let y = (x[k] & 0x8000_0000) | (x[(k + 1) % n] & 0x7FFF_FFFF)
                x[k] = x[(k + m) % n] ^ (y >> 1) ^ ((y & 1) == 0 ? 0 : Self.matrixA)
            }
        }
        position = 0
    }
}
