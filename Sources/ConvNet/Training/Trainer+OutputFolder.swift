import Foundation

/// The output folder of a run: checked before anything is trained, locked while the run lives,
/// and an earlier run there continued (`--resume`) or replaced (`--overwrite`), never mixed.
extension Trainer {
    /// Locks the output folder against other trainers.
    static func lock(_ folder: String) throws -> FolderLock {
        try FolderLock(folder, op: "`outputDirectory`", holder: "another training run")
    }

    /// The files of a run in its output folder.
    static func runFiles(in folder: String) -> [String] { [checkpointPath(in: folder), folder + "/metrics.csv"] }

    /// Checks, before a run is set up (and its data loaded), that `folder` can take it: it must be
    /// missing or a real folder (not a link), its checkpoint and metrics.csv missing or regular
    /// files; a run already there (either file) needs `resuming` (continue it) or `overwrite`
    /// (replace it), and `resuming` needs its checkpoint. ``init(options:dataDirectory:outputDirectory:workers:communicator:program:overwrite:)``
    /// and ``run()`` check the same again, holding the folder's lock.
    /// - Throws: ``ConvNetError`` naming the folder and what is wrong.
    public static func checkOutput(_ folder: String, resuming: Bool, overwrite: Bool) throws {
        guard !(resuming && overwrite) else {
            throw ConvNetError(op: "train", "`resume` continues the run in \(folder) and `overwrite` replaces it: give one of them")
        }
        guard !folder.isEmpty else { throw ConvNetError(op: "`outputDirectory`", "the output folder must be named (it is empty)") }
        guard try PathKind.requireWritableFolder(folder, op: "`outputDirectory`") == .folder else {
            if resuming { throw ConvNetError(op: "`resume`", "\(folder) does not exist: there is no run to continue") }
            return
        }
        for file in runFiles(in: folder) { try PathKind.requireWritableFile(file, op: "`outputDirectory`") }
        if resuming && !PathKind.exists(checkpointPath(in: folder)) {
            throw ConvNetError(op: "`resume`", "\(checkpointPath(in: folder)) does not exist: there is no run to continue")
        }
        if let earlier = earlierRun(in: folder), !resuming && !overwrite { throw earlierRunError(folder, earlier) }
    }

    /// The first of a run's files found in `folder`.
    static func earlierRun(in folder: String) -> String? { runFiles(in: folder).first(where: PathKind.exists) }

    static func earlierRunError(_ folder: String, _ file: String) -> ConvNetError {
        ConvNetError(op: "`outputDirectory`", "\(folder) already holds a run (\((file as NSString).lastPathComponent)); continue it with `resume` or replace it with `overwrite`")
    }

    /// Creates the output folder, checks that files can be written there, and locks it, before
    /// any training (a run that cannot save its checkpoint must not train for an epoch first,
    /// and two runs must never write one folder); returns the lock and the file of a run already
    /// there, if any.
    /// - Throws: ``ConvNetError`` naming the folder and what is wrong.
    static func prepareOutput(_ folder: String, dataDirectory: String?) throws -> (FolderLock, earlierRun: String?) {
        guard !folder.isEmpty else { throw ConvNetError(op: "`outputDirectory`", "the output folder must be named (it is empty)") }
        if let dataDirectory, !dataDirectory.isEmpty, FileIdentity.lies(folder, inside: dataDirectory) {
            throw ConvNetError(op: "`outputDirectory`", "\(folder) is inside the dataset's folder \(dataDirectory); training would write its files among the data")
        }
        if try PathKind.requireWritableFolder(folder, op: "`outputDirectory`") == .missing {
            do {
                try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            } catch {
                throw ConvNetError(op: "`outputDirectory`", "\(folder): cannot create the folder (\(ConvNetError.systemReason(error)))")
            }
        }
        for file in runFiles(in: folder) { try PathKind.requireWritableFile(file, op: "`outputDirectory`") }
        do {
            // Through a temporary file as the checkpoint's: a run killed here leaves only what the next one removes.
            try AtomicFile.checkWritable(checkpointPath(in: folder))
        } catch let error as ConvNetError {
            throw ConvNetError(op: "`outputDirectory`", "\(folder): cannot write files there (\(error.message))")
        }
        let lock = try lock(folder)
        return (lock, earlierRun(in: folder))
    }

    /// Refuses to train over a run found in the output folder unless it was resumed or
    /// ``overwrite`` is set.
    func claimOutputFolder() throws {
        guard let earlier = earlierRun, !overwrite else { return }
        throw Self.earlierRunError(outputDirectory, earlier)
    }

    /// With ``overwrite``, before this run's first checkpoint replaces the earlier run's: the
    /// earlier metrics.csv goes first, so that it never sits beside a checkpoint it does not
    /// describe (the earlier run stays whole until then, e.g. if this one fails to start).
    func dropEarlierMetrics() throws {
        guard earlierRun != nil else { return }
        guard unlink(metricsPath) == 0 || errno == ENOENT else {
            throw ConvNetError(op: "`overwrite`", "\(metricsPath): cannot remove the earlier run's metrics (\(String(cString: strerror(errno))))")
        }
        earlierRun = nil
    }
}
