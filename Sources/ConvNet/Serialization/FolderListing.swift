import Foundation

/// The names in a folder as the file system spells them (bytes, not `String`s: Foundation's
/// listing cannot give back a name that is not UTF-8, and opening what it returns then fails
/// with "No such file or directory").
enum FolderListing {
    /// Why a folder could not be listed (the system's words).
    struct Failure: Error { var reason: String }

    /// Every entry of `folder` but "." and "..", in the order the file system gives them.
    /// - Throws: ``Failure`` when the folder cannot be opened.
    static func names(in folder: RawPath) throws -> [[UInt8]] {
        guard let stream = folder.withCString({ opendir($0) }) else { throw Failure(reason: String(cString: strerror(errno))) }
        defer { closedir(stream) }
        var names: [[UInt8]] = []
        while let entry = readdir(stream) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in Array(raw.prefix { $0 != 0 }) }
            if name == [0x2E] || name == [0x2E, 0x2E] { continue }
            names.append(name)
        }
        return names
    }
}
