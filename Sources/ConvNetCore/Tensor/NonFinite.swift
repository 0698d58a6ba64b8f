import CFusedKernels

extension Tensor {
    /// Whether any element is NaN. A tensor held in a oneDNN layout is scanned in that layout
    /// (its padding is zeros), without converting it to plain.
    public var containsNaN: Bool {
        let s = dnnlNative?.storage ?? storage
        return fk_contains_nan(s.pointer, s.count) != 0
    }

    /// Whether every element is finite (no NaN, no ±infinity).
    public var allFinite: Bool {
        let s = dnnlNative?.storage ?? storage
        return fk_contains_nonfinite(s.pointer, s.count) == 0
    }
}
