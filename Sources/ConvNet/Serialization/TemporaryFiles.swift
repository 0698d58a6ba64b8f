import Foundation

/// The temporary files and folders outputs are written through before they are renamed into
/// place, created so that nothing planted beforehand is ever opened or followed, and tracked so
/// that an interrupted process can remove them.
///
/// A temporary is named `.NAME.tmp-PID-RANDOM` beside its destination `NAME`: the random part
/// makes the name impossible to plant in advance (a file is also created with
/// `O_CREAT | O_EXCL | O_NOFOLLOW`, a folder with `mkdir`, neither of which opens anything that
/// exists), and the process id says whose it is, so ``removeDebris(of:)`` can remove those of
/// writers that were killed. Files get the permissions any new file gets (0666 less the umask).
public enum TemporaryFiles {
    /// The temporaries this process has created and not yet renamed or removed.
    private final class Registry: @unchecked Sendable {
        let lock = NSLock()
        var live: Set<String> = []
    }
    private static let registry = Registry()

    /// `.NAME.tmp-` for the destination `path`'s `NAME`.
    static func prefix(of path: String) -> String { ".\((path as NSString).lastPathComponent).tmp-" }

    /// The folder `path` is in ("." for a bare name).
    static func folder(of path: String) -> String {
        let folder = (path as NSString).deletingLastPathComponent
        return folder.isEmpty ? "." : folder
    }

    /// A fresh temporary name beside `path`: `.NAME.tmp-PID-RANDOM` (RANDOM: 64 random bits).
    static func name(beside path: String) -> String {
        folder(of: path) + "/" + prefix(of: path) + "\(getpid())-" + String(UInt64.random(in: .min ... .max), radix: 36)
    }

    /// The process that created the temporary `name` (a file name, no folder) of the destination
    /// `path`, or nil when `name` is not one of its temporaries. Also reads the names without a
    /// random part (`.NAME.tmp-PID`) that earlier versions wrote.
    static func writer(of name: String, for path: String) -> Int32? {
        let prefix = prefix(of: path)
        guard name.hasPrefix(prefix) else { return nil }
        let rest = name.dropFirst(prefix.count)
        let digits = rest.prefix { $0 != "-" }
        guard digits.count == rest.count || rest.dropFirst(digits.count + 1).allSatisfy({ $0.isLetter || $0.isNumber }) else { return nil }
        return Int32(digits)
    }

    /// Creates a new, empty temporary file beside `path` and opens it for writing.
    /// - Throws: ``ConvNetError`` for `op` naming `path` and the system's reason.
    static func createFile(beside path: String, op: String) throws -> (path: String, descriptor: Int32) {
        try create(beside: path, op: op) { temporary in
            let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o666)
            return fd >= 0 ? fd : nil
        }
    }

    /// Creates a new, empty temporary folder beside `path`.
    /// - Throws: ``ConvNetError`` for `op` naming `path` and the system's reason.
    static func createFolder(beside path: String, op: String) throws -> String {
        try create(beside: path, op: op) { mkdir($0, 0o777) == 0 ? Int32(0) : nil }.path
    }

    private static func create(beside path: String, op: String, _ make: (String) -> Int32?) throws -> (path: String, descriptor: Int32) {
        registry.lock.lock()
        defer { registry.lock.unlock() }
        // A clash with 64 random bits means someone creates names faster than chance allows: give up after a few.
        for _ in 0..<8 {
            let temporary = name(beside: path)
            if let made = make(temporary) {
                registry.live.insert(temporary)
                return (temporary, made)
            }
            guard errno == EEXIST else {
                throw ConvNetError(.io, op: op, "\(path): cannot create a file beside it (\(String(cString: strerror(errno))))")
            }
        }
        throw ConvNetError(.io, op: op, "\(path): cannot create a temporary file beside it (every name tried exists)")
    }

    /// Creates the file `path` inside a temporary folder of this process (exclusively: nothing
    /// there is opened or followed) and opens it for writing; nil with `errno` set when it fails.
    /// Waits while ``removeAllForExit()`` runs, so no file appears in a folder being removed.
    static func createFile(inTemporaryFolder path: String) -> Int32? {
        registry.lock.lock()
        defer { registry.lock.unlock() }
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o666)
        return fd >= 0 ? fd : nil
    }

    /// Creates the folder `path` inside a temporary folder of this process (an existing folder
    /// will do); false with `errno` set when it fails. Waits while ``removeAllForExit()`` runs.
    static func createFolder(inTemporaryFolder path: String) -> Bool {
        registry.lock.lock()
        defer { registry.lock.unlock() }
        if mkdir(path, 0o777) == 0 { return true }
        return errno == EEXIST && (try? PathKind(of: path, op: "")) == .folder
    }

    /// One temporary put in place by ``rename(_:)``.
    struct Move {
        var temporary: String, destination: String
        /// First rename the destination (a folder holding an earlier output, which a folder
        /// cannot be renamed over) aside to a fresh temporary name.
        var asideFirst = false
    }

    /// Renames temporaries over their destinations, in order, as one step that an interruption
    /// (``removeAllForExit()``) cannot split. Stops at the first failure (a destination moved
    /// aside for it is put back).
    /// - Returns: how many were renamed, the reason the next one failed (nil if none did), and
    ///   the temporary names of the destinations moved aside (to be removed with ``discard(_:)``).
    static func rename(_ moves: [Move]) -> (done: Int, failure: String?, aside: [String]) {
        registry.lock.lock()
        defer { registry.lock.unlock() }
        var aside: [String] = []
        for (index, move) in moves.enumerated() {
            var moved: String?
            if move.asideFirst {
                let name = name(beside: move.destination)
                guard Foundation.rename(move.destination, name) == 0 else { return (index, String(cString: strerror(errno)), aside) }
                registry.live.insert(name)
                moved = name
            }
            guard Foundation.rename(move.temporary, move.destination) == 0 else {
                let reason = String(cString: strerror(errno))
                if let moved, Foundation.rename(moved, move.destination) == 0 { registry.live.remove(moved) }
                return (index, reason, aside)
            }
            registry.live.remove(move.temporary)
            if let moved { aside.append(moved) }
        }
        return (moves.count, nil, aside)
    }

    /// Removes a temporary file or folder of this process.
    static func discard(_ temporary: String) {
        registry.lock.lock()
        defer { registry.lock.unlock() }
        registry.live.remove(temporary)
        TreeRemoval.remove(temporary)
    }

    /// Removes every temporary file and folder this process is writing, and keeps any more from
    /// being created or renamed: for a process about to exit on a signal. Returns how many it removed.
    ///
    /// - Important: the registry stays locked afterwards, so a thread still writing an output
    ///   waits (and never renames a half-written one into place) until the process exits.
    public static func removeAllForExit() -> Int {
        registry.lock.lock()
        let live = registry.live
        registry.live = []
        for temporary in live { TreeRemoval.remove(temporary) }
        return live.count
    }

    /// Removes the temporaries that writers of `path` killed before renaming them left behind
    /// (`.NAME.tmp-PID-…` beside it, files or folders, whose process no longer exists); returns their paths.
    @discardableResult
    public static func removeDebris(of path: String) -> [String] {
        let folder = folder(of: path)
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        return names.sorted().compactMap { name -> String? in
            guard let pid = writer(of: name, for: path), pid > 0, pid != getpid() else { return nil }
            // kill(pid, 0) fails with ESRCH when no such process exists.
            guard kill(pid, 0) != 0 && errno == ESRCH else { return nil }
            let debris = folder + "/" + name
            return TreeRemoval.remove(debris) ? debris : nil
        }
    }
}
