/// Where new tensor memory comes from while a task runs something that plans its own memory (a
/// frozen model's forward pass: `ActivationArena`). Without one, memory comes from ``StoragePool``.
///
/// Every ``TensorStorage`` made while a provider is current asks it first and tells it when the
/// storage is freed, whichever memory it got: the provider sees the whole sequence of allocations
/// and frees, which is what a memory plan is made from.
protocol StorageProvider: AnyObject, Sendable {
    /// Memory for `count` floats, 64-byte aligned, valid until ``released(_:)`` is called with the
    /// returned token; or a nil pointer to let the pool serve it (the token is still told when freed).
    func provide(_ count: Int) -> (pointer: UnsafeMutablePointer<Float>?, token: Int)
    /// The storage given `token` was freed (on any thread).
    func released(_ token: Int)
}

/// The storage provider of the current task, if any.
enum StorageProvision {
    @TaskLocal static var current: (any StorageProvider)?
}
