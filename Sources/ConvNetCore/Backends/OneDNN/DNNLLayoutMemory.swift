/// A tensor's elements as a oneDNN primitive wrote them: the layout and the memory holding them
/// in it. ``Tensor`` carries it (``BackendLayoutMemory``) until something asks for plain memory,
/// which this layout's cached reorder then writes.
final class DNNLLayoutMemory: BackendLayoutMemory {
    let layout: DNNLLayout
    let storage: TensorStorage

    /// Memory for a tensor in `layout`, uninitialised (a primitive writes it).
    init(_ layout: DNNLLayout) {
        self.layout = layout
        storage = TensorStorage(uninitializedCount: layout.capacity)
    }

    func copyToPlain(_ target: UnsafeMutablePointer<Float>) {
        do {
            try layout.copyToPlain(from: storage.pointer, to: target)
        } catch {
            // The reorder was created with the layout, so running it cannot fail for a valid layout.
            fatalError("internal error converting a oneDNN layout to plain: \(error)")
        }
    }

    var storedValues: UnsafeBufferPointer<Float> { UnsafeBufferPointer(start: storage.pointer, count: storage.count) }

    var channelBlock: Int { layout.channelBlock }
}
