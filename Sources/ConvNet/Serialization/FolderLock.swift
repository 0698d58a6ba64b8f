import Foundation

/// An exclusive advisory lock on a folder, held while this value lives: `flock` on the folder
/// itself, so no lock file is left in it, and the kernel releases the lock when the process
/// dies (a crash or `kill -9` never leaves a stale lock). Two locks on one folder conflict even
/// within one process.
public final class FolderLock {
    /// The folder locked.
    public let folder: String
    private let descriptor: Int32

    /// Locks `folder` (which must exist) or fails at once if another holder has it.
    /// - Parameters:
    ///   - op: what the error is for (`--out`).
    ///   - holder: what a holder is, for the message ("another training run").
    /// - Throws: ``ConvNetError`` naming the folder and, when the system says, the holder's process id.
    public init(_ folder: String, op: String, holder: String) throws {
        let fd = open(folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw ConvNetError(.io, op: op, "\(folder): cannot open the folder to lock it (\(String(cString: strerror(errno))))") }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            let reason = errno
            let pid = Self.holder(of: fd)
            close(fd)
            guard reason == EWOULDBLOCK else {
                throw ConvNetError(.io, op: op, "\(folder): cannot lock the folder (\(String(cString: strerror(reason))))")
            }
            let who = pid.map { $0 == getpid() ? " (in this process)" : " (process \($0))" } ?? ""
            throw ConvNetError(.io, op: op, "\(folder) is in use by \(holder)\(who); wait for it to end or choose another folder")
        }
        self.folder = folder
        descriptor = fd
    }

    deinit { close(descriptor) }

    /// The process holding a `flock` on the file open as `fd`, as `/proc/locks` lists it
    /// (`1: FLOCK  ADVISORY  WRITE PID MAJOR:MINOR:INODE 0 EOF`, device numbers in hex); nil when
    /// it cannot be told.
    static func holder(of fd: Int32) -> Int32? {
        var info = stat()
        guard fstat(fd, &info) == 0, let table = try? String(contentsOfFile: "/proc/locks", encoding: .utf8) else { return nil }
        let device = UInt64(info.st_dev)
        // glibc's gnu_dev_major / gnu_dev_minor.
        let major = ((device >> 8) & 0xfff) | ((device >> 32) & ~0xfff)
        let minor = (device & 0xff) | ((device >> 12) & ~0xff)
        let key = String(format: "%02x:%02x:%llu", major, minor, UInt64(info.st_ino))
        for line in table.split(separator: "\n") {
            let fields = line.split(separator: " ")
            // A waiting request's line has "->" after the number.
            guard fields.count >= 6, fields[1] == "FLOCK", fields[5] == key else { continue }
            return Int32(fields[4])
        }
        return nil
    }
}
