import Foundation

/// The processes that train one model together, each holding a replica (PyTorch's process group).
///
/// Every rank must make the same collective calls in the same order with buffers of the same
/// size: a sum, a broadcast. ``SingleProcessCommunicator`` is the group of one (every call returns
/// its input); ``MPICommunicator`` runs the calls over MPI.
public protocol Communicator: AnyObject {
    /// This process's index, `0 ..< size`; rank 0 writes files and prints progress.
    var rank: Int { get }
    /// The number of processes.
    var size: Int { get }
    /// Replaces every element of `buffer` by its sum over all ranks (`MPI_Allreduce`, `MPI_SUM`).
    func allReduceSum(_ buffer: UnsafeMutableBufferPointer<Float>) throws
    /// Replaces every element of `buffer` by its sum over all ranks.
    func allReduceSum(_ buffer: UnsafeMutableBufferPointer<Double>) throws
    /// Starts summing `buffer` over all ranks and returns at once (`MPI_Iallreduce`): the buffer
    /// must stay alive and untouched until the returned reduction has completed.
    func startAllReduceSum(_ buffer: UnsafeMutableBufferPointer<Float>) throws -> any PendingReduction
    /// Copies rank `root`'s bytes into every other rank's `buffer` (all of the same size).
    func broadcast(_ buffer: UnsafeMutableRawBufferPointer, from root: Int) throws
    /// Ends every rank of the job now with `code` (`MPI_Abort`): what a rank does when it fails,
    /// so that the others do not wait for it forever.
    func abort(code: Int32) -> Never
}

/// A sum started by ``Communicator/startAllReduceSum(_:)``.
public protocol PendingReduction: AnyObject {
    /// Lets the reduction progress without waiting; true once it has completed.
    func test() throws -> Bool
    /// Waits until the reduction has completed.
    func wait() throws
}

extension Communicator {
    /// Rank `root`'s bytes on every rank (the others pass anything, e.g. empty data).
    public func broadcast(_ data: Data, from root: Int) throws -> Data {
        var length = UInt64(data.count)
        try withUnsafeMutableBytes(of: &length) { try broadcast($0, from: root) }
        guard length <= UInt64(Int.max) else { throw ConvNetError(op: "broadcast", "rank \(root) sent a length of \(length) bytes") }
        var bytes = rank == root ? data : Data(count: Int(length))
        try bytes.withUnsafeMutableBytes { try broadcast($0, from: root) }
        return bytes
    }

    /// The element-wise sums of `values` over all ranks.
    public func allReduceSum(_ values: [Double]) throws -> [Double] {
        var sums = values
        try sums.withUnsafeMutableBufferPointer { try allReduceSum($0) }
        return sums
    }

    /// Copies rank `root`'s elements of `tensors` into every rank's, packed into one message.
    /// - Throws: ``ConvNetError`` if the transfer fails.
    public func broadcast(_ tensors: [Tensor], from root: Int) throws {
        let total = tensors.reduce(0) { $0 + $1.count }
        guard size > 1, total > 0 else { return }
        var packed = [Float](repeating: 0, count: total)
        try packed.withUnsafeMutableBufferPointer { buffer in
            var offset = 0
            if rank == root {
                for t in tensors {
                    t.withUnsafeBufferPointer { _ = UnsafeMutableBufferPointer(rebasing: buffer[offset..<(offset + t.count)]).initialize(from: $0) }
                    offset += t.count
                }
            }
            try broadcast(UnsafeMutableRawBufferPointer(buffer), from: root)
            offset = 0
            for t in tensors {
                t.withUnsafeMutableBufferPointer { _ = $0.update(fromContentsOf: buffer[offset..<(offset + t.count)]) }
                offset += t.count
            }
        }
    }
}

/// The group of one process: sums and broadcasts return their input.
public final class SingleProcessCommunicator: Communicator {
    public init() {}
    public var rank: Int { 0 }
    public var size: Int { 1 }
    public func allReduceSum(_ buffer: UnsafeMutableBufferPointer<Float>) throws {}
    public func allReduceSum(_ buffer: UnsafeMutableBufferPointer<Double>) throws {}
    public func startAllReduceSum(_ buffer: UnsafeMutableBufferPointer<Float>) throws -> any PendingReduction { CompletedReduction() }
    public func broadcast(_ buffer: UnsafeMutableRawBufferPointer, from root: Int) throws {}
    public func abort(code: Int32) -> Never { exit(code) }
}

/// A reduction with nothing left to do.
final class CompletedReduction: PendingReduction {
    func test() throws -> Bool { true }
    func wait() throws {}
}
