import ConvNet
import ConvNetHarness
import ConvNetONNX
import Foundation
import Testing

/// Every file convnet writes goes through a temporary file created exclusively and renamed into
/// place (never through a planted link), only over a regular file, never over the command's own
/// inputs, and all of a command's outputs or none (``OutputPlan``).
@Suite("files written safely: planted links, outputs that are not files, own inputs, all or nothing", .serialized)
struct SafeWriteTests {
    /// A fresh folder holding `outside`, a file that no command may change, and its content.
    struct Workspace {
        let root: String, outside: String
        static let secret = Data("not to be overwritten\n".utf8)

        init(_ name: String) throws {
            root = Fixtures.temporaryFolder(name)
            try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
            outside = root + "/outside.txt"
            try Self.secret.write(to: URL(fileURLWithPath: outside))
        }

        /// A symbolic link at `path` to the outside file.
        func plantLink(_ path: String) throws {
            try FileManager.default.createSymbolicLink(atPath: path, withDestinationPath: outside)
        }

        /// The outside file is as it was.
        var outsideUntouched: Bool { FileManager.default.contents(atPath: outside) == Self.secret }

        func remove() { try? FileManager.default.removeItem(atPath: root) }
    }

    /// The one `Error:` line of a failed run, or a description of what went wrong instead.
    static func errorLine(_ outcome: BadInputMatrixTests.Outcome) -> String {
        let lines = outcome.output.split(separator: "\n").filter { $0.hasPrefix("Error:") }
        guard outcome.status != 0, !outcome.signalled, lines.count == 1 else {
            return "status \(outcome.status), signalled \(outcome.signalled), \(lines.count) error lines: \(outcome.output.suffix(300))"
        }
        return String(lines[0])
    }

    static func trainSmall(_ out: String) throws -> Trainer {
        var options = TrainingOptions()
        (options.trainLimit, options.testLimit, options.epochs, options.batchSize, options.threads) = (128, 64, 1, 64, 2)
        return try Trainer(options: options, dataDirectory: TrainingTests.mnist, outputDirectory: out)
    }

    // MARK: - 1. Planted links

    @Test("a link planted at the old predictable temporary name (.NAME.tmp-PID) is never followed: checkpoint, metrics.csv, safetensors, report, image")
    func plantedTemporaryNames() throws {
        let w = try Workspace("planted-temporary")
        defer { w.remove() }
        let run = w.root + "/run"
        try FileManager.default.createDirectory(atPath: run, withIntermediateDirectories: true)
        let pid = getpid()
        let destinations = [run + "/checkpoint.safetensors", run + "/metrics.csv", w.root + "/weights.safetensors",
                            w.root + "/report/report.html", w.root + "/digit.png"]
        try FileManager.default.createDirectory(atPath: w.root + "/report", withIntermediateDirectories: true)
        for path in destinations {
            try w.plantLink(TemporaryFiles.folder(ofPublic: path) + "/.\((path as NSString).lastPathComponent).tmp-\(pid)")
        }
        let trainer = try Self.trainSmall(run)
        #expect(try trainer.run() == .completed)
        try SafeTensors.write(SafeTensors.Contents(tensors: [("x", Tensor.zeros([2]))]), to: destinations[2])
        try Image(width: 2, height: 2, channels: 1, pixels: [1, 2, 3, 4]).writePNG(path: destinations[4])
        var request = TrainingReport.Request(checkpoint: trainer.checkpointPath)
        request.dataDirectory = TrainingTests.mnist
        _ = try TrainingReport(request).write(to: w.root + "/report")
        #expect(w.outsideUntouched)
        for path in destinations {
            // The real file was written, and the planted link is still a link (neither followed nor replaced).
            #expect(try PathKind(of: path, op: "test") == .regularFile, "\(path)")
            #expect(try PathKind(of: TemporaryFiles.folder(ofPublic: path) + "/.\((path as NSString).lastPathComponent).tmp-\(pid)", op: "test") == .symbolicLink)
        }
        #expect(try Checkpoint.load(path: destinations[0]).completedEpochs == 1)
    }

    @Test("temporaries of dead writers are recognised by the PID in their name (with or without the random part); a new file gets 0666 less the umask, not mkstemp's 0600")
    func temporaryNamesAndPermissions() throws {
        let w = try Workspace("temporary-names")
        defer { w.remove() }
        let path = w.root + "/file.bin"
        let previous = umask(0o027)
        try AtomicFile.write(Data([1, 2, 3]), to: path)
        umask(previous)
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        #expect((attributes[.posixPermissions] as? Int) == 0o640, "\(attributes[.posixPermissions] ?? "none")")
        let finished = Process()
        finished.executableURL = URL(fileURLWithPath: "/bin/true")
        try finished.run()
        finished.waitUntilExit()
        let dead = finished.processIdentifier
        var debris: Set<String> = []
        for suffix in ["", "-abc123", "-zz9"] {
            let name = "\(w.root)/.file.bin.tmp-\(dead)\(suffix)"
            try Data([0]).write(to: URL(fileURLWithPath: name))
            debris.insert(name)
        }
        // A dead writer's temporary folder (an export's), with files in it, and a link in it that must not be followed.
        let folder = "\(w.root)/.file.bin.tmp-\(dead)-q1"
        try FileManager.default.createDirectory(atPath: folder + "/train/3", withIntermediateDirectories: true)
        try Data([0]).write(to: URL(fileURLWithPath: folder + "/train/3/00000.png"))
        try w.plantLink(folder + "/train/link")
        debris.insert(folder)
        // Not temporaries of file.bin, or of a live process.
        let kept = ["\(w.root)/.file.bin.tmp-x\(dead)", "\(w.root)/.file.bin.tmp-\(dead)-a.b", "\(w.root)/.other.bin.tmp-\(dead)-abc",
                    "\(w.root)/.file.bin.tmp-\(getppid())-abc"]
        for name in kept { try Data([0]).write(to: URL(fileURLWithPath: name)) }
        #expect(Set(AtomicFile.removeDebris(of: path)) == debris)
        #expect(kept.allSatisfy { FileManager.default.fileExists(atPath: $0) })
        #expect(!FileManager.default.fileExists(atPath: folder) && w.outsideUntouched)
    }

    @Test("a link at the destination is refused, never written through or replaced: every command that writes files")
    func linkAtDestination() throws {
        let w = try Workspace("link-destination")
        defer { w.remove() }
        let trainer = try Self.trainSmall(w.root + "/run")
        _ = try trainer.run()
        let folderLink = w.root + "/folder-link"
        try FileManager.default.createDirectory(atPath: w.root + "/real", withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: folderLink, withDestinationPath: w.root + "/real")
        let fileLink = w.root + "/file-link"
        try w.plantLink(fileLink)
        try FileManager.default.createDirectory(atPath: w.root + "/report", withIntermediateDirectories: true)
        try w.plantLink(w.root + "/report/report.html")
        let cases: [(String, [String])] = [
            ("--out", ["export", "--model", "lenet5", "--out", fileLink]),
            ("--reference-out", ["export", "--model", "lenet5", "--out", w.root + "/m.onnx", "--reference-out", fileLink]),
            ("--out", ["report", "--checkpoint", trainer.checkpointPath, "--threads", "2", "--out", w.root + "/report"]),
            ("--out", ["report", "--checkpoint", trainer.checkpointPath, "--threads", "2", "--out", folderLink]),
            ("--out", ["export-images", "--dataset", "mnist", "--data", TrainingTests.mnist, "--limit", "2", "--out", folderLink]),
            ("--out", ["train", "--train-limit", "64", "--test-limit", "64", "--threads", "2", "--out", folderLink]),
            ("tensorboard", ["train", "--train-limit", "64", "--test-limit", "64", "--threads", "2", "--out", w.root + "/run2",
                             "--tensorboard", folderLink]),
            ("--markdown", ["onnx-conformance", ONNXConformanceTests.folder, "--ops", "Acos", "--markdown", fileLink]),
        ]
        for (option, arguments) in cases {
            let line = Self.errorLine(try BadInputMatrixTests.convnet(arguments))
            #expect(line.contains(option) && line.contains("symbolic link"), "\(arguments.joined(separator: " ")): \(line)")
        }
        #expect(w.outsideUntouched)
        #expect(try FileManager.default.contentsOfDirectory(atPath: w.root + "/real").isEmpty)
        #expect(!FileManager.default.fileExists(atPath: w.root + "/m.onnx"), "--out was written although --reference-out was refused")
        // The library refuses the same.
        #expect { try AtomicFile.write(Data([1]), to: fileLink) } throws: { "\($0)".contains("symbolic link") }
        #expect { try SafeTensors.write(SafeTensors.Contents(tensors: []), to: fileLink) } throws: { _ in true }
        #expect(w.outsideUntouched)
    }

    @Test("a TensorBoard event file is created exclusively: a link planted at its name is left alone")
    func tensorBoardPlantedName() throws {
        let w = try Workspace("tensorboard-planted")
        defer { w.remove() }
        let board = w.root + "/board"
        try FileManager.default.createDirectory(atPath: board, withIntermediateDirectories: true)
        let now = Date(timeIntervalSince1970: 1_700_000_000)
        let host = ProcessInfo.processInfo.hostName.replacingOccurrences(of: "/", with: "_")
        let base = board + "/events.out.tfevents.1700000000.\(host)"
        try w.plantLink(base)
        try w.plantLink(base + ".\(getpid())")
        let writer = try TensorBoardWriter(directory: board, now: now)
        try writer.addScalar("x", 1, step: 1)
        try writer.flush()
        #expect(w.outsideUntouched)
        let kind = try PathKind(of: writer.path, op: "test")
        #expect(writer.path.hasPrefix(base + ".\(getpid()).") && kind == .regularFile)
    }

    // MARK: - 2. Outputs that are not regular files

    @Test("an output that is a FIFO, a device or a folder is refused before anything is written (never replaced)")
    func notRegularOutputs() throws {
        let w = try Workspace("not-regular")
        defer { w.remove() }
        let fifo = w.root + "/pipe"
        #expect(mkfifo(fifo, 0o600) == 0)
        let folder = w.root + "/folder"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let run = w.root + "/run"
        try FileManager.default.createDirectory(atPath: run, withIntermediateDirectories: true)
        #expect(mkfifo(run + "/metrics.csv", 0o600) == 0)
        let cases: [(String, [String], String)] = [
            ("--out", ["export", "--model", "lenet5", "--out", fifo], "FIFO"),
            ("--out", ["export", "--model", "lenet5", "--out", "/dev/null"], "device"),
            ("--out", ["export", "--model", "lenet5", "--out", folder], "folder"),
            ("--reference-out", ["export", "--model", "lenet5", "--out", w.root + "/m.onnx", "--reference-out", fifo], "FIFO"),
            ("--reference-out", ["export", "--model", "lenet5", "--out", w.root + "/m.onnx", "--reference-out", folder], "folder"),
            ("--out", ["export-images", "--dataset", "mnist", "--data", TrainingTests.mnist, "--limit", "2", "--out", fifo], "FIFO"),
            ("--out", ["export-images", "--dataset", "mnist", "--data", TrainingTests.mnist, "--limit", "2", "--out", "/dev/null"], "device"),
            ("--out", ["train", "--train-limit", "64", "--test-limit", "64", "--threads", "2", "--out", fifo], "FIFO"),
            ("--out", ["train", "--train-limit", "64", "--test-limit", "64", "--threads", "2", "--out", run], "FIFO"),
        ]
        for (option, arguments, kind) in cases {
            let line = Self.errorLine(try BadInputMatrixTests.convnet(arguments))
            #expect(line.contains(option) && line.contains(kind), "\(arguments.joined(separator: " ")): \(line)")
        }
        #expect(try PathKind(of: fifo, op: "test") == .fifo && PathKind(of: run + "/metrics.csv", op: "test") == .fifo)
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder).isEmpty)
        #expect(!FileManager.default.fileExists(atPath: w.root + "/m.onnx"), "--out was written although --reference-out was refused")
        // report.html that is a FIFO; the library's own writers.
        #expect(mkfifo(folder + "/report.html", 0o600) == 0)
        #expect { try AtomicFile.write(Data([1]), to: folder + "/report.html") } throws: { "\($0)".contains("FIFO") }
        #expect { try AtomicFile.write(Data([1]), to: "/dev/null") } throws: { "\($0)".contains("device") }
        #expect(try PathKind(of: "/dev/null", op: "test") == .device)
    }

    // MARK: - 12. Own inputs, duplicates, all or nothing

    @Test("export never writes over --weights (same path, ./path or a hard link) and --reference-out never over --out")
    func exportOwnInputs() throws {
        let w = try Workspace("own-inputs")
        defer { w.remove() }
        let trainer = try Self.trainSmall(w.root + "/run")
        _ = try trainer.run()
        let checkpoint = trainer.checkpointPath
        let before = try Data(contentsOf: URL(fileURLWithPath: checkpoint))
        let hardLink = w.root + "/hard.safetensors"
        #expect(link(checkpoint, hardLink) == 0)
        let dotted = w.root + "/run/./checkpoint.safetensors"
        for out in [checkpoint, dotted, hardLink, w.root + "/run/../run/checkpoint.safetensors"] {
            let line = Self.errorLine(try BadInputMatrixTests.convnet(["export", "--model", "lenet5", "--weights", checkpoint, "--out", out]))
            #expect(line.contains("--out") && line.contains("--weights"), "\(out): \(line)")
        }
        let onnx = w.root + "/model.onnx"
        for reference in [onnx, w.root + "/./model.onnx"] {
            let line = Self.errorLine(try BadInputMatrixTests.convnet(["export", "--model", "lenet5", "--weights", checkpoint, "--out", onnx,
                                                                      "--reference-out", reference]))
            #expect(line.contains("--reference-out") && line.contains("--out"), "\(line)")
        }
        #expect(try Data(contentsOf: URL(fileURLWithPath: checkpoint)) == before)
        #expect(!FileManager.default.fileExists(atPath: onnx))
        // Both written when they differ.
        let (status, output) = try CommandLineTests.convnet(["export", "--model", "lenet5", "--weights", checkpoint, "--out", onnx,
                                                             "--reference-out", w.root + "/reference.safetensors"])
        #expect(status == 0, "\(output)")
        #expect(try SafeTensors.read(path: w.root + "/reference.safetensors").tensors.count == 2)
        #expect(try Set(FileManager.default.contentsOfDirectory(atPath: w.root)) == ["outside.txt", "run", "hard.safetensors", "model.onnx", "reference.safetensors"])
    }

    @Test("report never writes over its checkpoint or metrics.csv (a hard link where report.html goes)")
    func reportOwnInputs() throws {
        let w = try Workspace("report-inputs")
        defer { w.remove() }
        let trainer = try Self.trainSmall(w.root + "/run")
        _ = try trainer.run()
        let out = w.root + "/report"
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        for input in [trainer.checkpointPath, trainer.metricsPath] {
            unlink(out + "/report.html")
            #expect(link(input, out + "/report.html") == 0)
            let before = try Data(contentsOf: URL(fileURLWithPath: input))
            let line = Self.errorLine(try BadInputMatrixTests.convnet(["report", "--checkpoint", trainer.checkpointPath, "--threads", "2", "--out", out]))
            #expect(line.contains("--out") && line.contains("input"), "\(line)")
            #expect(try Data(contentsOf: URL(fileURLWithPath: input)) == before)
        }
    }

    @Test("export-images: a folder holding other files is refused, --overwrite replaces an earlier export as a whole, never mixed")
    func exportImagesDestination() throws {
        let w = try Workspace("export-images-destination")
        defer { w.remove() }
        let out = w.root + "/images"
        func export(_ limit: Int, _ extra: [String] = []) throws -> BadInputMatrixTests.Outcome {
            try BadInputMatrixTests.convnet(["export-images", "--dataset", "mnist", "--data", TrainingTests.mnist, "--limit", "\(limit)",
                                             "--out", out] + extra)
        }
        func files(_ folder: String) -> [String] {
            (FileManager.default.enumerator(atPath: folder)?.allObjects as? [String] ?? []).filter { $0.hasSuffix(".png") }.sorted()
        }
        #expect(try export(6).status == 0)
        #expect(files(out).count == 12)
        // Again: refused (it would mix two exports), pointing at --overwrite.
        let again = Self.errorLine(try export(3))
        #expect(again.contains("--out") && again.contains("not empty") && again.contains("--overwrite"), "\(again)")
        #expect(files(out).count == 12)
        // --overwrite: the earlier export is replaced as a whole (3 of each split, not 3 over 6).
        #expect(try export(3, ["--overwrite"]).status == 0)
        #expect(files(out).count == 6 && files(out + "/train").count == 3)
        // A folder holding anything else is never replaced, even with --overwrite.
        try Data("mine".utf8).write(to: URL(fileURLWithPath: out + "/notes.txt"))
        let other = Self.errorLine(try export(2, ["--overwrite"]))
        #expect(other.contains("notes.txt") && other.contains("not replaced"), "\(other)")
        #expect(files(out).count == 6 && FileManager.default.fileExists(atPath: out + "/notes.txt"))
        // An input inside the folder replaced: refused.
        try FileManager.default.removeItem(atPath: out + "/notes.txt")
        let data = out + "/train"
        let inside = Self.errorLine(try BadInputMatrixTests.convnet(["export-images", "--dataset", "folder", "--data", data, "--limit", "1",
                                                                    "--out", out, "--overwrite"]))
        #expect(inside.contains("--out") && inside.contains("--data"), "\(inside)")
        // An export into the image folder it reads (it would become one of its classes): refused.
        let into = Self.errorLine(try BadInputMatrixTests.convnet(["export-images", "--dataset", "folder", "--data", data, "--limit", "1",
                                                                  "--out", data + "/copy"]))
        #expect(into.contains("--out") && into.contains("inside the input --data"), "\(into)")
        // Nothing but the outputs beside them: no temporary folder left by any of these runs.
        #expect(try FileManager.default.contentsOfDirectory(atPath: w.root).sorted() == ["images", "outside.txt"])
    }

    @Test("an output plan writes all of its outputs or none: one that fails leaves nothing, a plan never committed leaves nothing")
    func allOrNothing() throws {
        let w = try Workspace("all-or-nothing")
        defer { w.remove() }
        do {
            let plan = OutputPlan(op: "test")
            let a = plan.writes(file: w.root + "/a.bin", as: "--a")
            let folder = plan.writes(folder: w.root + "/tree", as: "--tree")
            try plan.check()
            try plan.stage(Data([1]), for: a)
            let staging = try plan.stagingFolder(for: folder)
            try Data([2]).write(to: URL(fileURLWithPath: staging + "/inside.bin"))
            // Released without commit (a failure in between).
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: w.root) == ["outside.txt"])
        let plan = OutputPlan(op: "test")
        let a = plan.writes(file: w.root + "/a.bin", as: "--a")
        let folder = plan.writes(folder: w.root + "/tree", as: "--tree")
        try plan.check()
        try plan.stage(Data([1]), for: a)
        #expect(throws: ConvNetError.self) { try plan.commit() }  // the folder was never written
        #expect(!FileManager.default.fileExists(atPath: w.root + "/a.bin"))
        let staging = try plan.stagingFolder(for: folder)
        try Data([2]).write(to: URL(fileURLWithPath: staging + "/inside.bin"))
        try plan.commit()
        #expect(FileManager.default.contents(atPath: w.root + "/a.bin") == Data([1]))
        #expect(FileManager.default.contents(atPath: w.root + "/tree/inside.bin") == Data([2]))
        #expect(try FileManager.default.contentsOfDirectory(atPath: w.root).sorted() == ["a.bin", "outside.txt", "tree"])
        // A library image-folder write into a folder that holds something: refused, nothing mixed in.
        let data = try MNIST.load(directory: TrainingTests.mnist, split: .test).prefix(3)
        #expect { try data.writeFolder(root: w.root + "/tree") } throws: { "\($0)".contains("not empty") }
        try data.writeFolder(root: w.root + "/digits")
        #expect((FileManager.default.enumerator(atPath: w.root + "/digits")?.allObjects as? [String] ?? []).filter { $0.hasSuffix(".png") }.count == 3)
        // Class names (from a dataset's own files) that would lead out of the folder stay inside it.
        let hostile = try ImageDataset(pixels: [UInt8](repeating: 9, count: 3 * 4), labels: [0, 1, 2], channels: 1, height: 2, width: 2,
                                       classNames: ["..", ".", "../../up"])
        try hostile.writeFolder(root: w.root + "/hostile")
        #expect(try FileManager.default.contentsOfDirectory(atPath: w.root + "/hostile").sorted() == [".._.._up", "_.", "_.."])
        #expect(try FileManager.default.contentsOfDirectory(atPath: w.root).sorted() == ["a.bin", "digits", "hostile", "outside.txt", "tree"])
    }

    // MARK: - 16. File-system errors in the project's words

    @Test("file-system errors name the path and the system's reason, never Foundation's raw text")
    func fileSystemErrors() throws {
        let w = try Workspace("fs-errors")
        defer { w.remove() }
        let file = w.root + "/file"
        try Data([1]).write(to: URL(fileURLWithPath: file))
        do {
            try FileManager.default.createDirectory(atPath: file + "/sub", withIntermediateDirectories: true)
            Issue.record("created a folder below a file")
        } catch {
            let readable = "\(ConvNetError.readable(error, op: "test"))"
            #expect(readable.contains(file) && !readable.contains("Domain") && !readable.contains("could not be completed"), "\(readable)")
        }
        for arguments in [["export-images", "--dataset", "mnist", "--data", TrainingTests.mnist, "--limit", "2", "--out", file + "/sub"],
                          ["export", "--model", "lenet5", "--out", file + "/sub/m.onnx"],
                          ["train", "--train-limit", "64", "--test-limit", "64", "--threads", "2", "--out", file + "/sub"],
                          ["export", "--model", "lenet5", "--out", w.root + "/missing/m.onnx"]] {
            let line = Self.errorLine(try BadInputMatrixTests.convnet(arguments))
            #expect(line.hasPrefix("Error: ") && line.contains(w.root) && !line.contains("Domain") && !line.contains("could not be completed"),
                    "\(arguments.joined(separator: " ")): \(line)")
        }
    }
}

extension TemporaryFiles {
    /// The folder `path` is in ("." for a bare name).
    static func folder(ofPublic path: String) -> String {
        let folder = (path as NSString).deletingLastPathComponent
        return folder.isEmpty ? "." : folder
    }
}
