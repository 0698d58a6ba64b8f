import Foundation

/// An n-dimensional array of `Float`, contiguous and row-major (images are NCHW).
///
/// `Tensor` is a **reference type**, like `torch.Tensor`: `let b = a` names the same tensor,
/// and an optimizer updates a parameter in place. Operations never mutate their inputs; they
/// return new tensors. `reshape` and `flatten` return views that share storage.
///
/// A tensor with ``requiresGrad`` set takes part in reverse-mode autodiff: operations on it
/// record how to compute their backward pass, and ``backward(_:retainGraph:)`` fills ``grad``.
///
/// ## Memory
///
/// The elements are held in one of two representations:
/// - **plain**: a ``TensorStorage``, contiguous and row-major. Tensors made from values, by the
///   creation functions and by almost every operation are plain, for life.
/// - **a backend's layout**: a backend's kernel may return its result in a memory layout of its
///   own (``BackendLayoutMemory``; the oneDNN backend's convolution, pooling, ReLU, batch norm and
///   `+` do), which that backend's next kernel reads as is: no conversion to and from NCHW around
///   every convolution. ``isInBackendLayout`` tells which.
///
/// The boundary between the two is ``plainStorage()``: an operation without a kernel for the
/// layout, a view, an in-place write or a user reading values asks for plain memory, and a tensor
/// in a backend's layout is converted then, once, by that backend; afterwards the tensor holds only
/// the plain copy, so no stale copy in another layout can survive a write.
///
/// ## Concurrency
///
/// A tensor may be shared between threads (it is `Sendable`), under these rules:
/// - ``shape`` and ``count`` never change.
/// - The representation, ``requiresGrad``, ``grad`` and the recorded operation are guarded by the
///   tensor's own lock: reading and setting them, converting to plain and recording an operation
///   are safe from any thread. The lock is held only for those steps and no other lock is taken
///   while holding it (a backend's conversion to plain reads no tensor).
/// - The **elements** are not synchronised, as with any array: writes (an optimizer step,
///   ``assign(_:)``, ``withUnsafeMutableBufferPointer(_:)``) must not overlap with other reads or
///   writes of the same tensor or its views; so must two backward passes that add into the same
///   leaf's ``grad``. Training runs each step on one thread, and the data loader hands finished
///   batches over through a lock, so this holds there.
public final class Tensor: @unchecked Sendable {
    /// The extent of each dimension, outermost first (`[N, C, H, W]` for images).
    public let shape: [Int]
    /// Number of elements.
    public let count: Int

    private let lock = NSLock()
    /// Guarded by `lock`, like the three fields after it.
    private var memory: Memory
    private var requiresGradFlag: Bool
    private var gradTensor: Tensor?
    private var destination: Tensor?
    private var recordedOperation: GradNode?

    /// Where the elements are: plain, or in a backend's layout until first asked for as plain.
    private enum Memory {
        case plain(TensorStorage)
        case backendLayout(any BackendLayoutMemory)
    }

    init(shape: [Int], storage: TensorStorage, requiresGrad: Bool = false) {
        self.shape = shape
        self.count = shape.reduce(1, *)
        self.memory = .plain(storage)
        self.requiresGradFlag = requiresGrad
    }

    /// A tensor whose elements a backend's kernel wrote in that backend's layout.
    init(shape: [Int], layoutMemory: any BackendLayoutMemory) {
        self.shape = shape
        self.count = shape.reduce(1, *)
        self.memory = .backendLayout(layoutMemory)
        self.requiresGradFlag = false
    }

    /// An uninitialised tensor of the given shape (internal: kernels fill it).
    convenience init(uninitializedShape shape: [Int]) {
        self.init(shape: shape, storage: TensorStorage(uninitializedCount: shape.reduce(1, *)))
    }

    /// A tensor from row-major values.
    /// - Throws: ``ConvNetError`` if a dimension is negative or `scalars.count` is not the product of `shape`.
    public convenience init(shape: [Int], scalars: [Float], requiresGrad: Bool = false) throws {
        try require(shape.allSatisfy { $0 >= 0 }, "Tensor", "shape \(describe(shape)) has a negative dimension")
        let count = shape.reduce(1, *)
        try require(scalars.count == count, "Tensor",
                    "\(scalars.count) values given for shape \(describe(shape)), which holds \(count)")
        let storage = TensorStorage(uninitializedCount: count)
        scalars.withUnsafeBufferPointer { storage.pointer.initialize(from: $0.baseAddress!, count: count) }
        self.init(shape: shape, storage: storage, requiresGrad: requiresGrad)
    }

    /// A 0-dimensional tensor holding one value.
    public convenience init(_ value: Float, requiresGrad: Bool = false) {
        self.init(shape: [], storage: TensorStorage(count: 1, repeating: value), requiresGrad: requiresGrad)
    }

    // MARK: - Memory

    /// The plain row-major memory this tensor reads and writes; views share it.
    ///
    /// This is the boundary where a tensor held in a backend's layout becomes plain: the backend
    /// converts it on the first call (see ``BackendLayoutMemory``), and every later call returns
    /// the same storage. A plain tensor's storage is returned as is.
    public func plainStorage() -> TensorStorage {
        lock.lock()
        defer { lock.unlock() }
        switch memory {
        case .plain(let storage):
            return storage
        case .backendLayout(let layout):
            let plain = TensorStorage(uninitializedCount: count)
            layout.copyToPlain(plain.pointer)
            memory = .plain(plain)
            return plain
        }
    }

    /// The elements in a backend's layout, while the tensor has one (not yet asked for as plain).
    /// The reference keeps that memory valid even if another reader converts the tensor meanwhile.
    var layoutMemory: (any BackendLayoutMemory)? {
        lock.lock()
        defer { lock.unlock() }
        if case .backendLayout(let layout) = memory { return layout }
        return nil
    }

    /// Whether the elements are held in a compute backend's own layout now (until something asks
    /// for ``plainStorage()``); for diagnostics and tests: every accessor sees the same values either way.
    public var isInBackendLayout: Bool { layoutMemory != nil }

    /// Channels per block of the backend layout the elements are held in now (oneDNN's blocked
    /// layouts: 16 with its AVX-512 kernels, 8 with its AVX2 ones), 1 where its channels are not
    /// blocked; `nil` while the tensor is plain. For diagnostics and tests, as ``isInBackendLayout``.
    package var backendLayoutChannelBlock: Int? { layoutMemory?.channelBlock }

    // MARK: - Autodiff state

    /// Whether gradients flow to this tensor. Set it on leaves (parameters); results of
    /// operations on such tensors have it set automatically.
    public var requiresGrad: Bool {
        get { lock.withLock { requiresGradFlag } }
        set { lock.withLock { requiresGradFlag = newValue } }
    }

    /// The accumulated gradient of the last ``backward(_:retainGraph:)`` calls, for leaves that require it.
    public var grad: Tensor? {
        get { lock.withLock { gradTensor } }
        set { lock.withLock { gradTensor = newValue } }
    }

    /// How this tensor was computed, when gradients flow through it; `nil` for leaves.
    var gradFn: GradNode? {
        get { lock.withLock { recordedOperation } }
        set { lock.withLock { recordedOperation = newValue } }
    }

    /// Where backward puts this leaf's gradient when it has none: a plain tensor of the same shape
    /// that then becomes ``grad`` (a data-parallel trainer points it into its communication
    /// buffers, PyTorch DDP's `gradient_as_bucket_view`, so gradients are summed where they land).
    package var gradientDestination: Tensor? {
        get { lock.withLock { destination } }
        set { lock.withLock { destination = newValue } }
    }

    /// A tensor over `count(shape)` elements at `pointer`, memory that `owner` holds.
    package static func borrowing(_ pointer: UnsafeMutablePointer<Float>, shape: [Int], owner: AnyObject) -> Tensor {
        Tensor(shape: shape, storage: TensorStorage(borrowing: pointer, count: shape.reduce(1, *), owner: owner))
    }

    /// Adds `g` to ``grad``, or makes a copy of `g` the gradient when there is none (into
    /// ``gradientDestination`` when set). Setting the gradient is one step under the lock; adding
    /// writes the gradient's elements (see Concurrency).
    func accumulateGrad(_ g: Tensor) {
        let source = g.plainStorage()
        let existing: Tensor? = lock.withLock {
            if let gradTensor { return gradTensor }
            if let destination, destination.shape == shape, case let .plain(target) = destination.memory {
                target.pointer.update(from: source.pointer, count: count)
                gradTensor = destination
                return nil
            }
            // Own the buffer: the backward pass may share `g` with another tensor.
            let copy = TensorStorage(uninitializedCount: count)
            copy.pointer.update(from: source.pointer, count: count)
            gradTensor = Tensor(shape: shape, storage: copy)
            return nil
        }
        guard let existing else { return }
        let target = existing.plainStorage().pointer
        for i in 0..<count { target[i] += source.pointer[i] }
    }

    /// Number of dimensions.
    public var rank: Int { shape.count }
    /// True for tensors that were not produced by a recorded operation.
    public var isLeaf: Bool { gradFn == nil }

    // MARK: - Reading and writing elements

    /// The elements in row-major order (a copy).
    public var scalars: [Float] { Array(UnsafeBufferPointer(start: plainStorage().pointer, count: count)) }

    /// The only value of a one-element tensor.
    /// - Throws: ``ConvNetError`` if the tensor holds more or fewer than one element.
    public func item() throws -> Float {
        try require(count == 1, "item", "tensor of shape \(describe(shape)) holds \(count) values, not 1")
        return plainStorage().pointer[0]
    }

    /// Read-only access to the elements.
    public func withUnsafeBufferPointer<R>(_ body: (UnsafeBufferPointer<Float>) throws -> R) rethrows -> R {
        let storage = plainStorage()
        return try withExtendedLifetime(storage) { try body(UnsafeBufferPointer(start: storage.pointer, count: count)) }
    }

    /// In-place access to the elements (e.g. an optimizer step). Not recorded by autodiff.
    public func withUnsafeMutableBufferPointer<R>(_ body: (UnsafeMutableBufferPointer<Float>) throws -> R) rethrows -> R {
        let storage = plainStorage()
        return try withExtendedLifetime(storage) { try body(UnsafeMutableBufferPointer(start: storage.pointer, count: count)) }
    }

    /// A new tensor with a copy of the elements, detached from autodiff.
    public func copy() -> Tensor {
        let out = Tensor(uninitializedShape: shape)
        out.plainStorage().pointer.update(from: plainStorage().pointer, count: count)
        return out
    }

    /// The same elements, cut off from autodiff (shares storage, like `torch.Tensor.detach`).
    public func detached() -> Tensor { Tensor(shape: shape, storage: plainStorage()) }

    /// Sets this tensor's elements from `other` in place (same element count). Not recorded by autodiff.
    public func assign(_ other: Tensor) throws {
        try require(other.shape == shape, "assign", "cannot assign \(describe(other.shape)) to \(describe(shape))")
        let (source, target) = (other.plainStorage(), plainStorage())
        if source !== target { target.pointer.update(from: source.pointer, count: count) }
    }
}

extension Tensor: CustomStringConvertible {
    public var description: String {
        let shown = scalars.prefix(8).map { String($0) }.joined(separator: ", ")
        return "Tensor(shape: \(describe(shape)), [\(shown)\(count > 8 ? ", ..." : "")]\(requiresGrad ? ", requiresGrad" : ""))"
    }
}
