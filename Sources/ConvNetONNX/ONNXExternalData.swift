import ConvNet
import Foundation

/// The external-data files of one ONNX model (tensors stored beside the model file, as
/// `onnx.save_model(…, save_as_external_data=True)` writes them), read safely and only as needed.
///
/// - A location must name a regular file inside the model's folder: as the onnx package and
///   onnxruntime do, an absolute path, a `..` component and a symbolic link are refused, and the
///   file actually opened must resolve (through any linked folder on the way) inside the model's
///   real folder.
/// - Each tensor reads only its own bytes, `offset..<offset + length`, checked against the file's
///   size before anything is read; nothing reads a whole file.
/// - Files are kept open by their real path, so a file named twice (`w.bin`, `./w.bin`) is opened once.
final class ONNXExternalData {
    /// The model's folder, as given.
    let folder: String
    /// Names the model in errors.
    let source: String
    /// The real paths of the files opened, in the order first read.
    private(set) var files: [String] = []
    private var seen: Set<String> = []
    /// Open files by real path, and each spelling of a location met so far by its real path.
    private var open: [String: (fd: Int32, size: Int)] = [:]
    private var spellings: [String: String] = [:]
    /// The model's folder with links resolved (found when the first file is read).
    private var realFolder: String?
    /// At most this many files are held open (a model may store each tensor in its own file).
    private static let openLimit = 64

    init(folder: String, source: String) {
        self.folder = folder
        self.source = source
    }

    deinit { for file in open.values { close(file.fd) } }

    private func fail(_ what: String, _ message: String) -> ConvNetError {
        ConvNetError(op: "onnx", "\(source): \(what) \(message)")
    }

    /// The `length` bytes at `offset` of the file `location` (relative to the model's folder);
    /// `length` nil reads to the end of the file. `expected` is the tensor's size from its dims and
    /// type (already checked against memory), which the length must equal.
    func bytes(location: String, offset: Int, length: Int?, expected: Int, what: String) throws -> Data {
        let file = try self.file(location, what: what)
        let length = length ?? max(0, file.size - offset)
        guard length == expected else {
            throw fail(what, "has external-data length \(length) but its dims and type need \(expected) bytes")
        }
        guard let end = MemoryBudget.sum([offset, length]), end <= file.size else {
            throw fail(what, "reads \(length) bytes at offset \(offset) of \(quoted: location), which has \(file.size) bytes (truncated?)")
        }
        var data = Data(count: length)
        var failure: String?
        data.withUnsafeMutableBytes { buffer in
            var filled = 0
            while filled < length {
                let n = pread(file.fd, buffer.baseAddress! + filled, length - filled, off_t(offset + filled))
                if n < 0 && errno == EINTR { continue }
                if n < 0 { failure = String(cString: strerror(errno)); return }
                if n == 0 { failure = "the file shrank while being read"; return }
                filled += n
            }
        }
        if let failure { throw fail(what, "cannot read \(length) bytes at offset \(offset) of \(quoted: location) (\(failure))") }
        return data
    }

    /// The open file `location` names, found, checked and opened the first time its real path is met.
    private func file(_ location: String, what: String) throws -> (fd: Int32, size: Int) {
        if let real = spellings[location], let file = open[real] { return file }
        guard !location.isEmpty else { throw fail(what, "is stored externally but names no location") }
        guard !location.hasPrefix("/"), !location.split(separator: "/").contains("..") else {
            throw fail(what, "names external data \(quoted: location) outside the model's folder")
        }
        guard !location.utf8.contains(0) else { throw fail(what, "names external data \(quoted: location), which holds a NUL byte") }
        let path = folder + "/" + location
        var info = stat()
        guard lstat(path, &info) == 0 else {
            throw fail(what, "is stored in the external file \(quoted: location), which is missing (looked for \(quoted: path))")
        }
        guard info.st_mode & S_IFMT != S_IFLNK else {
            throw fail(what, "is stored in \(quoted: location), a symbolic link: external data must be a file inside the model's folder, not a link")
        }
        // O_NOFOLLOW: a link put in place since lstat is not followed; O_NONBLOCK: a FIFO never blocks.
        let fd = Foundation.open(path, O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC)
        guard fd >= 0 else { throw fail(what, "cannot open its external file \(quoted: path) (\(String(cString: strerror(errno))))") }
        var keep = false
        defer { if !keep { close(fd) } }
        guard fstat(fd, &info) == 0, info.st_mode & S_IFMT == S_IFREG else {
            throw fail(what, "is stored in \(quoted: location), which is not a regular file")
        }
        // Where the file opened really is (a folder on the way may be a link out of the model's folder).
        let real = try realPath(of: fd, path: path, what: what)
        let inside = try self.realFolder(what)
        guard real.hasPrefix(inside == "/" ? "/" : inside + "/") else {
            throw fail(what, "is stored in \(quoted: location), which resolves to \(quoted: real), outside the model's folder \(quoted: inside)")
        }
        spellings[location] = real
        if let file = open[real] { return file }  // another spelling of a file already open
        if open.count >= Self.openLimit {
            for file in open.values { close(file.fd) }
            open.removeAll()
        }
        keep = true
        let file = (fd: fd, size: Int(info.st_size))
        open[real] = file
        if seen.insert(real).inserted { files.append(real) }
        return file
    }

    /// The model folder's real path.
    private func realFolder(_ what: String) throws -> String {
        if let realFolder { return realFolder }
        guard let resolved = realpath(folder, nil) else {
            throw fail(what, "is stored beside the model, whose folder \(quoted: folder) cannot be resolved (\(String(cString: strerror(errno))))")
        }
        defer { free(resolved) }
        realFolder = String(cString: resolved)
        return realFolder!
    }

    /// The real path of the file open as `fd` (Linux's /proc/self/fd link, else `path` resolved).
    private func realPath(of fd: Int32, path: String, what: String) throws -> String {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let n = readlink("/proc/self/fd/\(fd)", &buffer, buffer.count - 1)
        if n > 0 { return String(decoding: buffer[..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self) }
        guard let resolved = realpath(path, nil) else {
            throw fail(what, "is stored in \(quoted: path), which cannot be resolved (\(String(cString: strerror(errno))))")
        }
        defer { free(resolved) }
        return String(cString: resolved)
    }
}
