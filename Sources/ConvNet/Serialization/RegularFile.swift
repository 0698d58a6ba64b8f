import Foundation

/// Reads files given from outside, safely: only regular files (a FIFO, a device or a folder is an
/// error, never a read that blocks forever), opened without blocking, up to a size limit, and
/// never more than this process may allocate (``MemoryBudget``): a file too big to hold is refused
/// by its size before a byte is read. Parsers read their header first through ``open(_:op:limit:)``
/// and then only what the header says they need.
package enum RegularFile {
    /// The largest file read whole (VGG-19's weights are 575 MB).
    package static let defaultLimit = 1 << 33

    /// The file's bytes.
    /// - Throws: ``ConvNetError`` for `op` naming the file and the reason.
    package static func bytes(_ path: String, op: String, limit: Int = defaultLimit) throws -> [UInt8] {
        try bytes(RawPath(path), op: op, limit: limit)
    }

    /// The bytes of a file named by its raw path.
    package static func bytes(_ path: RawPath, op: String, limit: Int = defaultLimit) throws -> [UInt8] {
        let file = try open(path, op: op, limit: limit)
        return try file.bytes(at: 0, count: file.size)
    }

    /// The file's bytes as `Data`.
    package static func data(_ path: String, op: String, limit: Int = defaultLimit) throws -> Data {
        let file = try open(RawPath(path), op: op, limit: limit)
        return try file.data(at: 0, count: file.size)
    }

    /// The file, open for reading in parts.
    /// - Throws: ``ConvNetError`` naming the file when it cannot be opened, is not a regular file,
    ///   or is larger than `limit`.
    static func open(_ path: RawPath, op: String, limit: Int = defaultLimit) throws -> OpenedFile {
        try OpenedFile(path, op: op, limit: limit)
    }
}

/// A regular file open for reading: its size, and reads of any part of it.
package final class OpenedFile {
    /// The path as messages show it.
    package let name: String
    /// The command or parser reading it, for messages.
    package let op: String
    /// Its size in bytes when opened.
    package let size: Int
    private let descriptor: Int32

    package init(_ path: RawPath, op: String, limit: Int) throws {
        name = path.description
        self.op = op
        // O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer forever.
        let fd = path.withCString { Foundation.open($0, O_RDONLY | O_NONBLOCK | O_CLOEXEC) }
        guard fd >= 0 else { throw ConvNetError(.io, op: op, "\(name): cannot read the file (\(String(cString: strerror(errno))))") }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            let reason = String(cString: strerror(errno))
            close(fd)
            throw ConvNetError(.io, op: op, "\(name): cannot read the file (\(reason))")
        }
        let kind = info.st_mode & S_IFMT
        guard kind == S_IFREG else {
            close(fd)
            let what = kind == S_IFDIR ? "a folder" : kind == S_IFIFO ? "a FIFO" : kind == S_IFCHR || kind == S_IFBLK ? "a device" : "not a regular file"
            throw ConvNetError(.io, op: op, "\(name) is \(what), not a file to read")
        }
        guard info.st_size <= limit else {
            close(fd)
            throw ConvNetError(.io, op: op, "\(name): \(info.st_size) bytes is more than the \(limit)-byte limit for such a file")
        }
        (descriptor, size) = (fd, Int(info.st_size))
    }

    deinit { close(descriptor) }

    /// Runs `body` with the open file descriptor (valid only during the call).
    package func withDescriptor<T>(_ body: (Int32) throws -> T) rethrows -> T { try body(descriptor) }

    /// `count` bytes from `offset`, fewer only where the file ends sooner (it may shrink while read).
    /// The bytes are checked against ``MemoryBudget`` before they are allocated.
    /// - Throws: ``ConvNetError`` naming the file when the bytes do not fit in memory or a read fails.
    package func bytes(at offset: Int, count: Int) throws -> [UInt8] {
        try requireMemory(count)
        var bytes = [UInt8](repeating: 0, count: count)
        let filled = try bytes.withUnsafeMutableBytes { try read(at: offset, into: $0) }
        return filled == count ? bytes : Array(bytes.prefix(filled))
    }

    /// ``bytes(at:count:)`` as `Data`.
    package func data(at offset: Int, count: Int) throws -> Data {
        try requireMemory(count)
        var data = Data(count: count)
        let filled = try data.withUnsafeMutableBytes { try read(at: offset, into: $0) }
        return filled == count ? data : data.prefix(filled)
    }

    /// Up to `count` bytes from `offset`, without a memory check: for a header's few bytes.
    package func prefix(_ count: Int, at offset: Int = 0) throws -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: max(0, min(count, size - offset)))
        let filled = try bytes.withUnsafeMutableBytes { try read(at: offset, into: $0) }
        return Array(bytes.prefix(filled))
    }

    private func requireMemory(_ count: Int) throws {
        try MemoryBudget.require(count, op: op, what: "\(name): reading \(count == size ? "the whole file" : "\(count) bytes of it") (\(MemoryBudget.format(count)))")
    }

    /// Fills `buffer` from `offset`; returns the bytes read (fewer at the end of the file).
    private func read(at offset: Int, into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        var filled = 0
        while filled < buffer.count {
            let n = pread(descriptor, buffer.baseAddress! + filled, buffer.count - filled, off_t(offset + filled))
            if n < 0 && (errno == EINTR || errno == EAGAIN) { continue }
            guard n >= 0 else { throw ConvNetError(.io, op: op, "\(name): cannot read the file (\(String(cString: strerror(errno))))") }
            if n == 0 { break }  // the file ends (or shrank while being read)
            filled += n
        }
        return filled
    }
}
