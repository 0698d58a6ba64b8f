/// Whether operations record the graph that ``Tensor/backward(_:retainGraph:)`` walks.
///
/// Scoped to the current task (a task-local value), so concurrent tasks — parallel tests, an
/// evaluation running beside training — do not switch each other's mode.
public enum GradMode {
    @TaskLocal static var enabledFlag = true

    /// True while operations record their backward pass.
    public static var isEnabled: Bool { enabledFlag }
}

/// Runs `body` with gradient recording off: nothing is recorded and no backward buffers are kept
/// (PyTorch's `torch.no_grad()`).
public func withNoGrad<R>(_ body: () throws -> R) rethrows -> R {
    try GradMode.$enabledFlag.withValue(false, operation: body)
}

/// Runs `body` with gradient recording on, even inside ``withNoGrad(_:)``.
public func withGrad<R>(_ body: () throws -> R) rethrows -> R {
    try GradMode.$enabledFlag.withValue(true, operation: body)
}
