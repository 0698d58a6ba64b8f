import Foundation

/// Crash-safe file writes.
public enum AtomicFile {
    /// Writes `data` to a temporary file beside `path`, flushes it to disk, and renames it over
    /// `path` (rename is atomic within a file system).
    /// - Throws: ``ConvNetError`` naming the path if any step fails; the temporary file is removed.
    public static func write(_ data: Data, to path: String) throws {
        let directory = (path as NSString).deletingLastPathComponent
        let temporary = (directory.isEmpty ? "." : directory) + "/.\((path as NSString).lastPathComponent).tmp-\(getpid())"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else {
            throw ConvNetError(op: "write", "\(path): cannot create \(temporary): \(String(cString: strerror(errno)))")
        }
        var ok = data.withUnsafeBytes { raw -> Bool in
            var written = 0
            while written < raw.count {
                let n = Foundation.write(fd, raw.baseAddress! + written, raw.count - written)
                if n <= 0 { return false }
                written += n
            }
            return true
        }
        ok = ok && fsync(fd) == 0
        let error = String(cString: strerror(errno))
        close(fd)
        guard ok, rename(temporary, path) == 0 else {
            unlink(temporary)
            throw ConvNetError(op: "write", "\(path): \(ok ? "cannot rename the temporary file: \(String(cString: strerror(errno)))" : error)")
        }
    }
}
