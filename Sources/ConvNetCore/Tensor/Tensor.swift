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
/// The elements are held in one of two representations, and every public accessor (``storage``,
/// ``scalars``, the buffer-pointer methods) sees the plain row-major tensor either way:
/// - **plain**: a ``TensorStorage``, contiguous and row-major. Tensors made from values, by the
///   creation functions and by almost every operation are plain, for life.
/// - **oneDNN layout**: on the oneDNN backend, convolution (y and dX), pooling, ReLU, batch norm and
///   `+` of two tensors in the same layout return their result in the memory layout the primitive
///   chose or was given (e.g. `nChw16c`: channels in zero-padded blocks of 16), and the next such
///   operation reads it as is. This saves the reorders to and from NCHW around every convolution
///   (`DNNLTensorMemory`, `DNNLTensorPlan.swift`).
///
/// Invariant: a tensor in a oneDNN layout becomes plain the first time anything reads ``storage``
/// (one cached reorder), and then holds only the plain copy. So any reader that needs plain memory
/// — views, in-place writes, operations without a oneDNN kernel, the reference backend — gets
/// correct memory, and no stale copy in another layout can survive a write.
public final class Tensor: @unchecked Sendable {
    /// The extent of each dimension, outermost first (`[N, C, H, W]` for images).
    public let shape: [Int]
    /// Number of elements.
    public let count: Int
    private let memory: Memory

    /// Where the elements are: plain, or in a oneDNN layout until first read as plain.
    private enum Memory {
        case plain(TensorStorage)
        case dnnl(DNNLTensorMemory)
    }

    /// The plain row-major memory this tensor reads and writes; views share it. Reading it converts a
    /// tensor held in a oneDNN layout to plain (once).
    public var storage: TensorStorage {
        switch memory {
        case .plain(let storage): storage
        case .dnnl(let memory): memory.plain()
        }
    }

    /// Whether gradients flow to this tensor. Set it on leaves (parameters); results of
    /// operations on such tensors have it set automatically.
    public var requiresGrad: Bool
    /// The accumulated gradient of the last ``backward(_:retainGraph:)`` calls, for leaves that require it.
    public var grad: Tensor?
    /// How this tensor was computed, when gradients flow through it; `nil` for leaves.
    var gradFn: GradNode?

    init(shape: [Int], storage: TensorStorage, requiresGrad: Bool = false) {
        self.shape = shape
        self.count = shape.reduce(1, *)
        self.memory = .plain(storage)
        self.requiresGrad = requiresGrad
    }

    /// A tensor whose elements a oneDNN primitive wrote in `native.layout` (internal: oneDNN kernels).
    init(shape: [Int], native: DNNLNative) {
        precondition(native.layout.dims == shape, "layout \(native.layout.dims) for shape \(shape)")
        self.shape = shape
        self.count = shape.reduce(1, *)
        self.memory = .dnnl(DNNLTensorMemory(native))
        self.requiresGrad = false
    }

    /// Whether the elements are held in a oneDNN layout now (until something reads ``storage``);
    /// for diagnostics and tests; every accessor sees the same values either way.
    public var isInOneDNNLayout: Bool { dnnlNative != nil }

    /// The elements in a oneDNN layout, while this tensor has one (not yet read as plain).
    var dnnlNative: DNNLNative? {
        if case .dnnl(let memory) = memory { return memory.current }
        return nil
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

    /// Number of dimensions.
    public var rank: Int { shape.count }
    /// True for tensors that were not produced by a recorded operation.
    public var isLeaf: Bool { gradFn == nil }

    /// The elements in row-major order (a copy).
    public var scalars: [Float] { Array(UnsafeBufferPointer(start: storage.pointer, count: count)) }

    /// The only value of a one-element tensor.
    /// - Throws: ``ConvNetError`` if the tensor holds more or fewer than one element.
    public func item() throws -> Float {
        try require(count == 1, "item", "tensor of shape \(describe(shape)) holds \(count) values, not 1")
        return storage.pointer[0]
    }

    /// Read-only access to the elements.
    public func withUnsafeBufferPointer<R>(_ body: (UnsafeBufferPointer<Float>) throws -> R) rethrows -> R {
        try body(UnsafeBufferPointer(start: storage.pointer, count: count))
    }

    /// In-place access to the elements (e.g. an optimizer step). Not recorded by autodiff.
    public func withUnsafeMutableBufferPointer<R>(_ body: (UnsafeMutableBufferPointer<Float>) throws -> R) rethrows -> R {
        try body(UnsafeMutableBufferPointer(start: storage.pointer, count: count))
    }

    /// A new tensor with a copy of the elements, detached from autodiff.
    public func copy() -> Tensor {
        let out = Tensor(uninitializedShape: shape)
        out.storage.pointer.update(from: storage.pointer, count: count)
        return out
    }

    /// The same elements, cut off from autodiff (shares storage, like `torch.Tensor.detach`).
    public func detached() -> Tensor { Tensor(shape: shape, storage: storage) }

    /// Sets this tensor's elements from `other` in place (same element count). Not recorded by autodiff.
    public func assign(_ other: Tensor) throws {
        try require(other.shape == shape, "assign", "cannot assign \(describe(other.shape)) to \(describe(shape))")
        if other.storage !== storage { storage.pointer.update(from: other.storage.pointer, count: count) }
    }
}

extension Tensor: CustomStringConvertible {
    public var description: String {
        let shown = scalars.prefix(8).map { String($0) }.joined(separator: ", ")
        return "Tensor(shape: \(describe(shape)), [\(shown)\(count > 8 ? ", ..." : "")]\(requiresGrad ? ", requiresGrad" : ""))"
    }
}
