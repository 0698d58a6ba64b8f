import Foundation

/// Crash-safe file writes that never follow a planted link.
public enum AtomicFile {
    /// Writes `data` to a fresh temporary file beside `path` (see ``TemporaryFiles``), flushes it
    /// to disk, and renames it over `path` (rename is atomic within a file system). A writer that
    /// may have been killed before (a run resumed) removes its temporaries with
    /// ``removeDebris(of:)``; ``OutputPlan`` does so for every output.
    /// - Throws: ``ConvNetError`` naming the path when `path` is a symbolic link, a folder, a
    ///   device or a FIFO (only a regular file is replaced), or if any step fails; the temporary
    ///   file is removed then.
    public static func write(_ data: Data, to path: String) throws {
        try PathKind.requireWritableFile(path, op: "write")
        let temporary = try stage(data, beside: path, op: "write")
        let (_, failure, _) = TemporaryFiles.rename([.init(temporary: temporary, destination: path)])
        if let failure {
            TemporaryFiles.discard(temporary)
            throw ConvNetError(.io, op: "write", "\(path): cannot rename the temporary file into place (\(failure))")
        }
    }

    /// Writes `data` to a new temporary file beside `path`, flushed to disk; returns its path.
    /// - Throws: ``ConvNetError`` for `op` naming `path` and the system's reason (the temporary is removed).
    static func stage(_ data: Data, beside path: String, op: String) throws -> String {
        let (temporary, fd) = try TemporaryFiles.createFile(beside: path, op: op)
        let failure = writeAll(data, to: fd, sync: true)
        close(fd)
        if let failure {
            TemporaryFiles.discard(temporary)
            throw ConvNetError(.io, op: op, "\(path): \(failure)")
        }
        return temporary
    }

    /// Writes all of `data` to `fd` (and flushes it to disk if `sync`); the system's reason if that fails.
    static func writeAll(_ data: Data, to fd: Int32, sync: Bool) -> String? {
        let failure: String? = data.withUnsafeBytes { raw in
            var written = 0
            while written < raw.count {
                let n = Foundation.write(fd, raw.baseAddress! + written, raw.count - written)
                if n < 0 && errno == EINTR { continue }
                if n <= 0 { return String(cString: strerror(n < 0 ? errno : EIO)) }
                written += n
            }
            return nil
        }
        if let failure { return failure }
        return sync && fsync(fd) != 0 ? String(cString: strerror(errno)) : nil
    }

    /// Checks that ``write(_:to:)`` can write `path`, without touching `path`: `path` must be
    /// missing or a regular file, and a temporary file beside it is created, given one byte (so a
    /// full disk shows now) and removed. A process killed in between leaves only what
    /// ``removeDebris(of:)`` removes.
    /// - Throws: ``ConvNetError`` naming the path and the system's reason.
    public static func checkWritable(_ path: String) throws {
        try PathKind.requireWritableFile(path, op: "write")
        let (temporary, fd) = try TemporaryFiles.createFile(beside: path, op: "write")
        var byte: UInt8 = 0
        let written = Foundation.write(fd, &byte, 1)
        let error = String(cString: strerror(errno))
        close(fd)
        TemporaryFiles.discard(temporary)
        guard written == 1 else { throw ConvNetError(.io, op: "write", "\(path): cannot write beside it (\(error))") }
    }

    /// Removes the temporary files that writers of `path` killed before renaming them left behind
    /// (`.NAME.tmp-PID-…` whose process no longer exists); returns their paths.
    @discardableResult
    public static func removeDebris(of path: String) -> [String] {
        TemporaryFiles.removeDebris(of: path)
    }
}
