import Foundation

/// Every file and folder a command writes, checked together before any is written and put in
/// place together at the end, so that a command never overwrites its own input and writes all of
/// its outputs or none.
///
/// 1. Name the inputs (``reads(_:as:)``) and outputs (``writes(file:as:)``,
///    ``writes(file:inFolder:as:)``, ``writes(folder:as:replacing:)``).
/// 2. ``check()``, before the work: every output must be missing or of its kind (a regular file,
///    a real folder; never a symbolic link, a device or a FIFO), in a folder this process can
///    write in, distinct from every input and every other output by the file it leads to
///    (`a`, `./a` and a hard link to `a` are the same file) and outside every input folder, and
///    a folder must be empty unless its ``Replacement`` allows replacing what it holds.
/// 3. Write each output into its temporary (``stage(_:for:)``, ``stagingFolder(for:)``): a file
///    `.NAME.tmp-PID-RANDOM` beside it, or such a folder beside an output folder.
/// 4. ``commit()`` renames them all into place. A plan released without a commit removes its
///    temporaries, and so does a process stopped by a signal (``TemporaryFiles/removeAllForExit()``).
public final class OutputPlan {
    /// One output of the plan.
    public struct Output: Hashable, Sendable {
        fileprivate let index: Int
    }

    /// What may happen to an output folder that already holds something.
    public enum Replacement: Sendable, Equatable {
        /// A folder that holds anything is refused.
        case never
        /// A folder holding nothing but these names (what an earlier run of the same command
        /// writes) is replaced as a whole; one holding anything else is refused.
        case ifHoldingOnly(Set<String>)
    }

    private enum Kind { case file, folder(Replacement) }

    private struct Entry {
        var path: String, option: String, kind: Kind
        var isFolder: Bool { if case .folder = kind { true } else { false } }
        /// The folder the option names when the output is a file inside it (created if missing).
        var container: String?
        /// Its temporary, once written.
        var staged: String?
        /// Ends the refusal of a folder that is not empty.
        var hint: String?
    }

    /// The command, for messages.
    public let op: String
    private var inputs: [(path: String, option: String)] = []
    private var entries: [Entry] = []

    /// A plan for the outputs of command `op`.
    public init(op: String) { self.op = op }

    deinit {
        for case let staged? in entries.map(\.staged) { TemporaryFiles.discard(staged) }
    }

    /// Names a file or folder the command reads (as `option`): no output may be it.
    public func reads(_ path: String, as option: String) {
        inputs.append((path, option))
    }

    /// Names a file the command writes (as `option`); an existing regular file is replaced.
    public func writes(file path: String, as option: String) -> Output {
        add(Entry(path: path, option: option, kind: .file))
    }

    /// Names a file `name` the command writes inside the folder `folder` (given as `option`),
    /// which is created if missing.
    public func writes(file name: String, inFolder folder: String, as option: String) -> Output {
        add(Entry(path: (folder as NSString).appendingPathComponent(name), option: option, kind: .file, container: folder))
    }

    /// Names a folder the command fills (as `option`); it is written as a whole in a temporary
    /// folder beside it and renamed into place.
    /// - Parameter hint: ends the message refusing a folder that is not empty (e.g. the option
    ///   that would allow replacing it).
    public func writes(folder path: String, as option: String, replacing: Replacement = .never, hint: String? = nil) -> Output {
        add(Entry(path: path, option: option, kind: .folder(replacing), hint: hint))
    }

    private func add(_ entry: Entry) -> Output {
        entries.append(entry)
        return Output(index: entries.count - 1)
    }

    /// The path an output is written to.
    public func path(of output: Output) -> String { entries[output.index].path }

    // MARK: - Checking

    /// Checks every output against the rules above, without writing any (a temporary file is
    /// created and removed beside each, to find a folder that cannot be written now).
    /// - Throws: ``ConvNetError`` for the first output that breaks one, naming its option, its
    ///   path and the reason.
    public func check() throws {
        var seen: [FileIdentity: String] = [:]
        let inputIdentities = inputs.map { (FileIdentity($0.path), $0) }
        for entry in entries {
            let option = entry.option
            guard !entry.path.isEmpty, entry.container?.isEmpty != true else {
                throw ConvNetError(op: option, "the path is empty")
            }
            if let container = entry.container { try PathKind.requireWritableFolder(container, op: option) }
            var replaced = false
            switch entry.kind {
            case .file: try PathKind.requireWritableFile(entry.path, op: option)
            case .folder(let replacement):
                if try PathKind.requireWritableFolder(entry.path, op: option) == .folder {
                    replaced = try checkReplacing(entry.path, option: option, replacement, hint: entry.hint)
                }
            }
            try checkFolderAbove(entry.path, option: option, creating: entry.container != nil || entry.isFolder)
            let identity = FileIdentity(entry.path)
            for (input, named) in inputIdentities where input == identity {
                throw ConvNetError(op: option, "\(entry.path) is also the input \(named.option) \(named.path); a command never writes over what it reads")
            }
            for input in inputs where (try? PathKind(of: input.path, op: op)) == .folder && FileIdentity.lies(entry.path, inside: input.path) {
                throw ConvNetError(op: option, "\(entry.path) is inside the input \(input.option) \(input.path); a command never writes into what it reads")
            }
            if let other = seen[identity] {
                throw ConvNetError(op: option, "\(entry.path) is also the output \(other); every output must be a file of its own")
            }
            seen[identity] = "\(option) \(entry.path)"
            if replaced {
                // Replacing a folder removes what is in it: none of the inputs may be there.
                for input in inputs where FileIdentity.lies(input.path, inside: entry.path) {
                    throw ConvNetError(op: option, "\(entry.path) holds the input \(input.option) \(input.path); it cannot be replaced")
                }
            }
        }
    }

    /// Whether the existing folder `path` will be replaced (it holds something the replacement allows).
    private func checkReplacing(_ path: String, option: String, _ replacement: Replacement, hint: String?) throws -> Bool {
        let names: [String]
        do { names = try FileManager.default.contentsOfDirectory(atPath: path).sorted() } catch {
            throw ConvNetError(op: option, path: path, error)
        }
        guard !names.isEmpty else { return false }
        let listed = names.prefix(5).joined(separator: ", ") + (names.count > 5 ? ", … (\(names.count) entries)" : "")
        switch replacement {
        case .never:
            throw ConvNetError(op: option, "\(path) is not empty (it holds \(listed)); choose a new or empty folder" + (hint.map { ", \($0)" } ?? ""))
        case .ifHoldingOnly(let allowed):
            let others = names.filter { !allowed.contains($0) }
            guard others.isEmpty else {
                throw ConvNetError(op: option, "\(path) holds other things than an earlier output of \(op) (\(others.prefix(5).joined(separator: ", "))); it is not replaced: choose a new or empty folder")
            }
            return true
        }
    }

    /// The nearest existing folder above `path` must be a folder this process can write in; it
    /// must be `path`'s own folder unless the folders between are `creating`.
    private func checkFolderAbove(_ path: String, option: String, creating: Bool) throws {
        var above = TemporaryFiles.folder(of: path)
        var info = stat()
        while stat(above, &info) != 0 {
            guard creating || errno != ENOENT else {
                throw ConvNetError(op: option, "\(path): the folder \(above) does not exist")
            }
            guard errno == ENOENT, above != "/", above != "." else {
                throw ConvNetError(op: option, "\(path): cannot reach \(above) (\(errno == ENOTDIR ? "a folder on its way is a file" : String(cString: strerror(errno))))")
            }
            above = TemporaryFiles.folder(of: above)
        }
        guard info.st_mode & S_IFMT == S_IFDIR else {
            throw ConvNetError(op: option, "\(path): \(above) is a file, not a folder")
        }
        if above == TemporaryFiles.folder(of: path) {
            // A file created and given a byte beside the output finds a read-only or full file system now.
            let (probe, fd) = try TemporaryFiles.createFile(beside: path, op: option)
            var byte: UInt8 = 0
            let written = Foundation.write(fd, &byte, 1)
            let reason = String(cString: strerror(errno))
            close(fd)
            TemporaryFiles.discard(probe)
            guard written == 1 else { throw ConvNetError(op: option, "\(path): cannot write in \(above) (\(reason))") }
        } else if access(above, W_OK | X_OK) != 0 {
            throw ConvNetError(op: option, "\(path): cannot create folders in \(above) (\(String(cString: strerror(errno))))")
        }
    }

    // MARK: - Writing

    /// Writes the bytes of the file output `output` to its temporary file (flushed to disk).
    /// - Throws: ``ConvNetError`` naming the output when a folder cannot be created or the write fails.
    public func stage(_ data: Data, for output: Output) throws {
        let entry = entries[output.index]
        guard case .file = entry.kind, entry.staged == nil else { preconditionFailure("\(entry.path) is not a file output still to write") }
        if let container = entry.container { try createFolder(container, option: entry.option) }
        TemporaryFiles.removeDebris(of: entry.path)
        entries[output.index].staged = try AtomicFile.stage(data, beside: entry.path, op: entry.option)
    }

    /// Creates the temporary folder the folder output `output` is written in; returns its path.
    /// - Throws: ``ConvNetError`` naming the output when it cannot be created.
    public func stagingFolder(for output: Output) throws -> String {
        let entry = entries[output.index]
        guard case .folder = entry.kind else { preconditionFailure("\(entry.path) is not a folder output") }
        if let staged = entry.staged { return staged }
        try createFolder(TemporaryFiles.folder(of: entry.path), option: entry.option)
        TemporaryFiles.removeDebris(of: entry.path)
        let staged = try TemporaryFiles.createFolder(beside: entry.path, op: entry.option)
        entries[output.index].staged = staged
        return staged
    }

    /// Renames every output's temporary into place, replacing what the check allowed to replace.
    /// - Throws: ``ConvNetError`` when an output was never written, or when a rename fails
    ///   (the outputs not yet in place are removed, and the message says which are).
    public func commit() throws {
        for entry in entries where entry.staged == nil {
            throw ConvNetError(op: entry.option, "\(entry.path) was not written")
        }
        // The files of a staged folder were written without a flush each: one for all.
        if entries.contains(where: \.isFolder) { sync() }
        // A folder that holds an earlier output moves aside first (a folder renamed over one must be empty).
        let moves = entries.map { entry in
            TemporaryFiles.Move(temporary: entry.staged!, destination: entry.path,
                                asideFirst: entry.isFolder && (try? FileManager.default.contentsOfDirectory(atPath: entry.path).isEmpty) == false)
        }
        let (done, failure, aside) = TemporaryFiles.rename(moves)
        for index in entries.indices {
            if index >= done, let staged = entries[index].staged { TemporaryFiles.discard(staged) }
            entries[index].staged = nil
        }
        aside.forEach(TemporaryFiles.discard)
        if let failure {
            let entry = entries[done]
            let written = entries[..<done].map(\.path)
            throw ConvNetError(op: entry.option, "\(entry.path): cannot rename its temporary into place (\(failure))"
                               + (written.isEmpty ? "" : "; already in place: \(written.joined(separator: ", "))"))
        }
        for folder in Set(entries.map { TemporaryFiles.folder(of: $0.path) }) {
            let fd = open(folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
            if fd >= 0 { fsync(fd); close(fd) }  // the renames themselves reach the disk
        }
    }

    /// Creates `folder` and its parents.
    private func createFolder(_ folder: String, option: String) throws {
        do { try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true) } catch {
            throw ConvNetError(op: option, path: folder, error)
        }
    }
}
