import Foundation

/// What a path names, as `lstat` sees it: a symbolic link is reported as one, never followed.
/// Outputs are checked with it before anything is written (only a regular file may be replaced,
/// only a folder written into).
public enum PathKind: Equatable, Sendable {
    case missing, regularFile, folder, symbolicLink, fifo, device, socket

    /// What is at `path` now.
    /// - Throws: ``ConvNetError`` for `op` naming the path when it cannot be examined (no
    ///   permission to search a parent, a name too long).
    public init(of path: String, op: String) throws {
        var info = stat()
        guard lstat(path, &info) == 0 else {
            // ENOTDIR: a folder on the way is a file, so nothing is there (creating it says why it cannot be).
            if errno == ENOENT || errno == ENOTDIR { self = .missing; return }
            throw ConvNetError(.io, op: op, "\(path): cannot examine it (\(String(cString: strerror(errno))))")
        }
        switch info.st_mode & S_IFMT {
        case S_IFREG: self = .regularFile
        case S_IFDIR: self = .folder
        case S_IFLNK: self = .symbolicLink
        case S_IFIFO: self = .fifo
        case S_IFSOCK: self = .socket
        default: self = .device
        }
    }

    /// Whether anything (a dangling link included) is at `path`.
    static func exists(_ path: String) -> Bool {
        var info = stat()
        return lstat(path, &info) == 0
    }

    /// The kind in an error message: "a symbolic link", "a FIFO".
    public var description: String {
        switch self {
        case .missing: "missing"
        case .regularFile: "a file"
        case .folder: "a folder"
        case .symbolicLink: "a symbolic link"
        case .fifo: "a FIFO"
        case .device: "a device"
        case .socket: "a socket"
        }
    }

    /// Refuses `path` as a file to (re)write unless it is missing or a regular file: a device or
    /// FIFO would be replaced by a file, and a symbolic link is never written through or replaced
    /// (someone who can write in a shared folder could point it anywhere).
    /// - Throws: ``ConvNetError`` for `op` naming `path` and what it is.
    public static func requireWritableFile(_ path: String, op: String) throws {
        let kind = try PathKind(of: path, op: op)
        switch kind {
        case .missing, .regularFile: return
        case .symbolicLink: throw linkError(path, op: op, what: "file")
        default: throw ConvNetError(.io, op: op, "\(path) is \(kind.description), not a file to write; name a regular file")
        }
    }

    /// Refuses `path` as a folder to write into unless it is missing or a real folder (not a
    /// link to one); returns which.
    /// - Throws: ``ConvNetError`` for `op` naming `path` and what it is.
    @discardableResult
    public static func requireWritableFolder(_ path: String, op: String) throws -> PathKind {
        let kind = try PathKind(of: path, op: op)
        switch kind {
        case .missing, .folder: return kind
        case .symbolicLink: throw linkError(path, op: op, what: "folder")
        default: throw ConvNetError(.io, op: op, "\(path) is \(kind.description), not a folder")
        }
    }

    private static func linkError(_ path: String, op: String, what: String) -> ConvNetError {
        let target = (try? FileManager.default.destinationOfSymbolicLink(atPath: path)).map { " (to \($0))" } ?? ""
        return ConvNetError(.io, op: op, "\(path) is a symbolic link\(target); convnet never writes through a link or replaces one: name the \(what) itself")
    }
}
