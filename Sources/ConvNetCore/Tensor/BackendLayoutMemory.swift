/// A tensor's elements as a compute backend keeps them between its own kernels, in a memory layout
/// of the backend's choosing (oneDNN's `nChw16c`: channels in zero-padded blocks of 16).
///
/// ``Tensor`` only carries such memory; the backend that made it is the only code that reads it
/// in that layout, and it is the backend's conversion that ``Tensor/plainStorage()`` runs when
/// somebody asks for plain row-major memory. Implementations are immutable, so a kernel that
/// took a reference keeps valid memory even if the tensor is converted meanwhile.
protocol BackendLayoutMemory: AnyObject, Sendable {
    /// Writes the tensor's elements to `target` in plain row-major order. Must not read any
    /// ``Tensor`` (it runs under the tensor's lock).
    func copyToPlain(_ target: UnsafeMutablePointer<Float>)

    /// Every stored float, elements and padding (which holds zeros), in the backend's order: for
    /// scans whose answer does not depend on the order (does any element hold NaN).
    var storedValues: UnsafeBufferPointer<Float> { get }

    /// Channels (dimension 1) per block of the layout (oneDNN: 16 in `nChw16c`, 8 in `nChw8c`),
    /// 1 where channels are not blocked.
    var channelBlock: Int { get }
}
