import Foundation

/// Which file a path leads to, by the file system's identity (device and inode), so that `a`,
/// `./a`, `dir/../a`, a link to `a` and a hard link to it all compare equal. A path that does
/// not exist yet is its nearest existing folder's identity and the rest of the path.
struct FileIdentity: Hashable {
    var device: UInt64, inode: UInt64
    /// The components below the nearest existing folder ("" when the path itself exists).
    var rest: String

    /// The identity of `path` (links followed).
    init(_ path: String) {
        var components = Self.absoluteComponents(path)
        var missing: [String] = []
        while true {
            var info = stat()
            if stat("/" + components.joined(separator: "/"), &info) == 0 {
                (device, inode, rest) = (UInt64(info.st_dev), UInt64(info.st_ino), missing.reversed().joined(separator: "/"))
                return
            }
            guard let last = components.popLast() else {
                (device, inode, rest) = (0, 0, path)  // "/" always exists; unreachable in practice
                return
            }
            missing.append(last)
        }
    }

    /// Whether `path` (existing or not) is the existing folder `folder` or lies inside it, by
    /// identity (links followed, so a link into the folder counts as inside).
    static func lies(_ path: String, inside folder: String) -> Bool {
        let target = FileIdentity(folder)
        guard target.rest.isEmpty else { return false }
        var existing = path
        while !PathKind.exists(existing) && existing != "/" && existing != "." { existing = TemporaryFiles.folder(of: existing) }
        return ([FileIdentity(existing)] + ancestors(of: existing)).contains(target)
    }

    /// The identities of the folders above an existing `path` (its real path's ancestors).
    private static func ancestors(of path: String) -> [FileIdentity] {
        guard let real = realpath(path, nil) else { return [] }
        defer { free(real) }
        var components = absoluteComponents(String(cString: real))
        var found: [FileIdentity] = []
        while components.popLast() != nil { found.append(FileIdentity("/" + components.joined(separator: "/"))) }
        return found
    }

    /// `path`'s components from the root, `.` and empty ones dropped (`..` is left to the file system).
    private static func absoluteComponents(_ path: String) -> [String] {
        let absolute = path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
        return absolute.split(separator: "/").map(String.init).filter { $0 != "." }
    }
}
