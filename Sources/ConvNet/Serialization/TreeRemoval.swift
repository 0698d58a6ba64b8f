import Foundation

/// Removes a file or a folder with everything in it without ever following a symbolic link:
/// folders are opened with `O_NOFOLLOW` relative to their parent's descriptor, so a link put in
/// place of a folder while it is being removed is unlinked, never descended into.
enum TreeRemoval {
    /// Folders nested deeper than this are left (our own temporary folders are 3 deep).
    static let maximumDepth = 64

    /// Removes `path`; true when it is gone.
    @discardableResult
    static func remove(_ path: String) -> Bool {
        let parent = open(TemporaryFiles.folder(of: path), O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard parent >= 0 else { return false }
        defer { close(parent) }
        return remove(Array((path as NSString).lastPathComponent.utf8CString), in: parent, depth: 0)
    }

    /// Removes the entry `name` (a C string: names need not be UTF-8) of the folder `parent`.
    private static func remove(_ name: [CChar], in parent: Int32, depth: Int) -> Bool {
        if unlinkat(parent, name, 0) == 0 || errno == ENOENT { return true }
        guard errno == EISDIR || errno == EPERM, depth < maximumDepth else { return false }
        let fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        guard fd >= 0 else { return false }
        guard let folder = fdopendir(fd) else {
            close(fd)
            return false
        }
        // The names first: removing entries while reading the folder may skip some.
        var names: [[CChar]] = []
        while let entry = readdir(folder) {
            let child = withUnsafeBytes(of: entry.pointee.d_name) { $0.prefix { $0 != 0 }.map { CChar(bitPattern: $0) } }
            if child != [46] && child != [46, 46] { names.append(child + [0]) }  // not "." or ".."
        }
        for child in names { _ = remove(child, in: fd, depth: depth + 1) }
        closedir(folder)  // closes fd too
        return unlinkat(parent, name, AT_REMOVEDIR) == 0
    }
}
