import Foundation

/// Crash-safe file writes.
public enum AtomicFile {
    /// Writes `data` to a temporary file beside `path`, flushes it to disk, and renames it over
    /// `path` (rename is atomic within a file system).
    /// - Throws: ``ConvNetError`` naming the path if any step fails; the temporary file is removed.
    public static func write(_ data: Data, to path: String) throws {
        let temporary = temporaryPath(for: path, pid: getpid())
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

    /// Checks that ``write(_:to:)`` can write `path`, without touching `path`: creates the temporary
    /// file it would write through, puts one byte in it (so a full disk shows now) and removes it.
    /// A process killed in between leaves only what ``removeDebris(of:)`` removes.
    /// - Throws: ``ConvNetError`` naming the temporary file and the system's reason.
    public static func checkWritable(_ path: String) throws {
        let temporary = temporaryPath(for: path, pid: getpid())
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else { throw ConvNetError(op: "write", "\(temporary): \(String(cString: strerror(errno)))") }
        var byte: UInt8 = 0
        let written = Foundation.write(fd, &byte, 1)
        let error = String(cString: strerror(errno))
        close(fd)
        unlink(temporary)
        guard written == 1 else { throw ConvNetError(op: "write", "\(temporary): \(error)") }
    }

    /// The temporary file process `pid` writes `path` through: `.NAME.tmp-PID` beside it.
    static func temporaryPath(for path: String, pid: Int32) -> String {
        let directory = (path as NSString).deletingLastPathComponent
        return (directory.isEmpty ? "." : directory) + "/.\((path as NSString).lastPathComponent).tmp-\(pid)"
    }

    /// Removes the temporary files that writers of `path` killed before renaming them left behind
    /// (`.NAME.tmp-PID` whose process no longer exists); returns their paths.
    @discardableResult
    public static func removeDebris(of path: String) -> [String] {
        let directory = (path as NSString).deletingLastPathComponent
        let prefix = ".\((path as NSString).lastPathComponent).tmp-"
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.isEmpty ? "." : directory)) ?? []
        return names.compactMap { name -> String? in
            guard name.hasPrefix(prefix), let pid = Int32(name.dropFirst(prefix.count)), pid != getpid() else { return nil }
            // kill(pid, 0) fails with ESRCH when no such process exists.
            guard kill(pid, 0) != 0 && errno == ESRCH else { return nil }
            let debris = temporaryPath(for: path, pid: pid)
            return unlink(debris) == 0 ? debris : nil
        }
    }
}
