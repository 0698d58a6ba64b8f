import Foundation

/// Reads whole files given from outside, safely: only regular files (a FIFO, a device or a folder
/// is an error, never a read that blocks forever), opened without blocking, up to a size limit.
enum RegularFile {
    /// The largest file read whole (VGG-19's weights are 575 MB).
    static let defaultLimit = 1 << 33

    /// The file's bytes.
    /// - Throws: ``ConvNetError`` for `op` naming the file and the reason.
    static func bytes(_ path: String, op: String, limit: Int = defaultLimit) throws -> [UInt8] {
        try withOpenFile(path, op: op, limit: limit) { fd, size in
            var bytes = [UInt8](repeating: 0, count: size)
            let filled = try bytes.withUnsafeMutableBytes { try readAll(fd, into: $0, path: path, op: op) }
            return filled == size ? bytes : Array(bytes.prefix(filled))
        }
    }

    /// The file's bytes as `Data`.
    static func data(_ path: String, op: String, limit: Int = defaultLimit) throws -> Data {
        try withOpenFile(path, op: op, limit: limit) { fd, size in
            var data = Data(count: size)
            let filled = try data.withUnsafeMutableBytes { try readAll(fd, into: $0, path: path, op: op) }
            return filled == size ? data : data.prefix(filled)
        }
    }

    static func withOpenFile<T>(_ path: String, op: String, limit: Int, _ body: (Int32, Int) throws -> T) throws -> T {
        // O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer forever.
        let fd = open(path, O_RDONLY | O_NONBLOCK)
        guard fd >= 0 else { throw ConvNetError(op: op, "\(path): cannot read the file (\(String(cString: strerror(errno))))") }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            throw ConvNetError(op: op, "\(path): cannot read the file (\(String(cString: strerror(errno))))")
        }
        let kind = info.st_mode & S_IFMT
        guard kind == S_IFREG else {
            let what = kind == S_IFDIR ? "a folder" : kind == S_IFIFO ? "a FIFO" : kind == S_IFCHR || kind == S_IFBLK ? "a device" : "not a regular file"
            throw ConvNetError(op: op, "\(path) is \(what), not a file to read")
        }
        guard info.st_size <= limit else {
            throw ConvNetError(op: op, "\(path): \(info.st_size) bytes is more than the \(limit)-byte limit for such a file")
        }
        return try body(fd, Int(info.st_size))
    }

    private static func readAll(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer, path: String, op: String) throws -> Int {
        var filled = 0
        while filled < buffer.count {
            let n = read(fd, buffer.baseAddress! + filled, buffer.count - filled)
            if n < 0 && (errno == EINTR || errno == EAGAIN) { continue }
            guard n >= 0 else { throw ConvNetError(op: op, "\(path): cannot read the file (\(String(cString: strerror(errno))))") }
            if n == 0 { break }  // the file shrank while being read
            filled += n
        }
        return filled
    }
}
