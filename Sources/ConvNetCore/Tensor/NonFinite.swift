import CFusedKernels

extension Tensor {
    /// Whether any element is NaN. A tensor held in a backend's layout is scanned in that layout
    /// (its padding is zeros), without converting it to plain.
    public var containsNaN: Bool {
        withStoredValues { fk_contains_nan($0.baseAddress, $0.count) != 0 }
    }

    /// Whether every element is finite (no NaN, no ±infinity).
    public var allFinite: Bool {
        withStoredValues { fk_contains_nonfinite($0.baseAddress, $0.count) == 0 }
    }

    /// Runs `body` on every stored float, in whichever representation the tensor has now.
    private func withStoredValues<R>(_ body: (UnsafeBufferPointer<Float>) -> R) -> R {
        if let layout = layoutMemory { return withExtendedLifetime(layout) { body(layout.storedValues) } }
        let storage = plainStorage()
        return withExtendedLifetime(storage) { body(UnsafeBufferPointer(start: storage.pointer, count: count)) }
    }
}
