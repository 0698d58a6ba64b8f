/// Whether operations record the graph that ``Tensor/backward(_:retainGraph:)`` walks.
///
/// Process-wide, like a training loop's phase: evaluation code wraps itself in ``withNoGrad(_:)``.
public enum GradMode {
    nonisolated(unsafe) static var enabledFlag = true

    /// True while operations record their backward pass.
    public static var isEnabled: Bool { enabledFlag }
}

/// Runs `body` with gradient recording off: nothing is recorded and no backward buffers are kept
/// (PyTorch's `torch.no_grad()`).
public func withNoGrad<R>(_ body: () throws -> R) rethrows -> R {
    let previous = GradMode.enabledFlag
    GradMode.enabledFlag = false
    defer { GradMode.enabledFlag = previous }
    return try body()
}

/// Runs `body` with gradient recording on, even inside ``withNoGrad(_:)``.
public func withGrad<R>(_ body: () throws -> R) rethrows -> R {
    let previous = GradMode.enabledFlag
    GradMode.enabledFlag = true
    defer { GradMode.enabledFlag = previous }
    return try body()
}
