import Foundation

/// A tensor's elements in a oneDNN layout: the layout and the memory holding them in it.
struct DNNLNative {
    let layout: DNNLLayout
    let storage: TensorStorage
}

/// The memory of a ``Tensor`` that a oneDNN primitive wrote in its own layout (see `Tensor`).
///
/// Holds exactly one representation at a time: first the buffer in the oneDNN layout; after the
/// first ``plain()`` call, the plain row-major copy, made once by the layout's cached reorder,
/// while the layout buffer is dropped. With only one copy there is nothing that could go stale
/// when a reader later writes through the plain memory (an optimizer, `assign`, a view).
///
/// Thread safety: both accessors hold the object's lock. `plain()` takes the oneDNN lock inside
/// it, so it must not be called from inside `DNNL.run` (see DNNL.swift).
final class DNNLTensorMemory: @unchecked Sendable {
    private let lock = NSLock()
    private var native: DNNLNative?
    private var plainCopy: TensorStorage?

    init(_ native: DNNLNative) { self.native = native }

    /// The layout buffer, while the tensor has not been converted to plain. The value keeps the
    /// buffer alive even if another reader converts the tensor meanwhile.
    var current: DNNLNative? {
        lock.lock()
        defer { lock.unlock() }
        return native
    }

    /// The plain row-major memory, converting on the first call.
    func plain() -> TensorStorage {
        lock.lock()
        defer { lock.unlock() }
        if let plainCopy { return plainCopy }
        guard let native else { fatalError("DNNLTensorMemory holds neither representation") }
        let plain = TensorStorage(uninitializedCount: native.layout.dims.reduce(1, *))
        do {
            try DNNL.run { context in
                try native.layout.copyToPlain(context, from: native.storage.pointer, to: plain.pointer)
            }
        } catch {
            // The reorder was created with the layout, so executing it cannot fail for a valid layout.
            fatalError("internal error converting a oneDNN layout to plain: \(error)")
        }
        plainCopy = plain
        self.native = nil
        return plain
    }
}
