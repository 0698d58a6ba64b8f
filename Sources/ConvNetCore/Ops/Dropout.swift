/// Inverted dropout: in training each element is zeroed with probability `p` and the survivors
/// are scaled by 1/(1 − p), so evaluation needs no rescaling (it returns `x` unchanged).
/// The mask comes from `generator` as PyTorch draws it on CPU (`bernoulli_(1 − p)`, one 53-bit
/// uniform per element), so a seed reproduces PyTorch's mask. Backward: dX = dY ⊙ mask/(1 − p).
///
/// The drawn mask (0 or 1/(1 − p) per element) is the operation's second input, so that a trace
/// or graph holds everything the result depends on.
public func dropout(_ x: Tensor, p: Float, training: Bool, generator: inout RandomGenerator) throws -> Tensor {
    try require(p >= 0 && p < 1, "dropout", "probability \(p) must lie in [0, 1)")
    guard training, p > 0 else { return x }
    let keep = 1 - Double(p)
    let scale = 1 / Float(keep)
    let mask = Tensor(uninitializedShape: x.shape)
    let mp = mask.plainStorage().pointer
    for i in 0..<x.count { mp[i] = generator.bernoulli(keep) ? scale : 0 }
    return try apply(.dropout(p: p), [x, mask])
}

extension Kernels {
    /// x ⊙ mask; dX = dY ⊙ mask (the mask gets no gradient).
    static func dropout(_ x: Tensor, mask: Tensor) throws -> Computed {
        Computed(try Tensor.broadcastBinary(x, mask, op: "dropout", *)) { dy in
            [try Tensor.broadcastBinary(dy, mask, op: "dropout", *), nil]
        }
    }
}
