import ConvNet
import Foundation
import Testing

/// What the command line does when a run is stopped from outside.
@Suite("stopping a run: signals and leftovers", .serialized)
struct SignalTests {
    /// The `convnet` built beside the tests (`swift build --build-tests` builds every product).
    static var executable: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent(".build/release/convnet").path
    }

    @Test("SIGTERM stops training like Ctrl-C: the batch finishes, a checkpoint is written, exit status 130, output arrives line by line")
    func sigterm() throws {
        try #require(FileManager.default.isExecutableFile(atPath: Self.executable), "build convnet first: \(Self.executable)")
        let out = Fixtures.temporaryFolder("sigterm")
        defer { try? FileManager.default.removeItem(atPath: out) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.executable)
        // All 60,000 images: a progress line every tenth of an epoch (~100 bytes), so block
        // buffering would hold the first line back for several epochs.
        process.arguments = ["train", "--epochs", "50", "--test-limit", "500", "--threads", "2", "--out", out]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        // Wait for a progress line through the pipe: it must come as soon as it is printed.
        var output = Data()
        let deadline = Date().addingTimeInterval(60)
        // ("  batch N/M": a progress line, not the opening line's "batch 64".)
        while !String(decoding: output, as: UTF8.self).contains("  batch ") && Date() < deadline {
            output += pipe.fileHandleForReading.availableData
        }
        #expect(String(decoding: output, as: UTF8.self).contains("  batch "), "no progress line reached the pipe")
        // The thread that trains (and the threads it starts) blocks both signals: a handler running
        // inside oneDNN's JIT GEMM corrupts the heap (see Interruption).
        let status = try String(contentsOfFile: "/proc/\(process.processIdentifier)/status", encoding: .utf8)
        let blocked = status.split(separator: "\n").first { $0.hasPrefix("SigBlk:") }
            .flatMap { UInt64($0.dropFirst("SigBlk:".count).trimmingCharacters(in: .whitespaces), radix: 16) } ?? 0
        #expect(blocked & (1 << (SIGINT - 1)) != 0 && blocked & (1 << (SIGTERM - 1)) != 0 && blocked & (1 << (SIGHUP - 1)) != 0,
                "main thread's SigBlk: \(String(blocked, radix: 16))")
        kill(process.processIdentifier, SIGTERM)
        output += pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let text = String(decoding: output, as: UTF8.self)
        #expect(process.terminationStatus == 130, "\(text)")
        #expect(text.contains("SIGTERM") && text.contains("interrupted at epoch"), "\(text)")
        let checkpoint = try Checkpoint.load(path: out + "/checkpoint.safetensors")
        // Stopped within the first epoch: the first progress line came through at once.
        #expect(checkpoint.completedEpochs == 0 && checkpoint.batchesIntoEpoch > 0,
                "stopped after \(checkpoint.completedEpochs) epochs and \(checkpoint.batchesIntoEpoch) batches")
    }

    @Test("temporary files of writers that died are removed; those of live processes are kept")
    func debris() throws {
        let folder = Fixtures.temporaryFolder("debris")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let dead = Self.deadProcess()
        let path = folder + "/checkpoint.safetensors"
        let deadFile = "\(folder)/.checkpoint.safetensors.tmp-\(dead)-k3j9x"
        let oldStyle = "\(folder)/.checkpoint.safetensors.tmp-\(dead)"  // written before the names got a random part
        let alive = "\(folder)/.checkpoint.safetensors.tmp-\(getppid())-abc"
        let other = "\(folder)/.metrics.csv.tmp-\(dead)-abc"
        for file in [deadFile, oldStyle, alive, other] { try Data([1]).write(to: URL(fileURLWithPath: file)) }
        #expect(AtomicFile.removeDebris(of: path).sorted() == [oldStyle, deadFile].sorted())
        #expect(!FileManager.default.fileExists(atPath: deadFile) && !FileManager.default.fileExists(atPath: oldStyle))
        #expect(FileManager.default.fileExists(atPath: alive) && FileManager.default.fileExists(atPath: other))
    }

    /// The id of a process that has ended (a writer killed before it renamed its temporary file).
    static func deadProcess() -> Int32 {
        let finished = Process()
        finished.executableURL = URL(fileURLWithPath: "/bin/true")
        try? finished.run()
        finished.waitUntilExit()
        return finished.processIdentifier
    }

    @Test("setting up a run leaves nothing in the output folder; its write check never uses a name planted beforehand")
    func setupLeavesNothing() throws {
        let out = Fixtures.temporaryFolder("setup")
        defer { try? FileManager.default.removeItem(atPath: out) }
        let options = TrainingTests.options(trainLimit: 128, epochs: 1)
        _ = try Trainer(options: options, dataDirectory: TrainingTests.mnist, outputDirectory: out)
        #expect(try FileManager.default.contentsOfDirectory(atPath: out) == [])
        // The name the check wrote through before it got a random part: a folder there no longer matters.
        let planted = "\(out)/.checkpoint.safetensors.tmp-\(getpid())"
        try FileManager.default.createDirectory(atPath: planted, withIntermediateDirectories: false)
        _ = try Trainer(options: options, dataDirectory: TrainingTests.mnist, outputDirectory: out)
        #expect(try FileManager.default.contentsOfDirectory(atPath: out) == [(planted as NSString).lastPathComponent])
        // A checkpoint's place that cannot take a file fails the setup, naming --out and the path.
        try FileManager.default.createDirectory(atPath: out + "/checkpoint.safetensors", withIntermediateDirectories: false)
        do {
            _ = try Trainer(options: options, dataDirectory: TrainingTests.mnist, outputDirectory: out)
            Issue.record("set up although the checkpoint cannot be written")
        } catch let error as ConvNetError {
            #expect(error.description.contains("`outputDirectory`") && error.description.contains(out + "/checkpoint.safetensors"), "\(error)")
        }
    }

    /// Starts `convnet arguments…`, waits until `ready(pid)` (polled), sends `signal`, and returns
    /// the exit status and output.
    static func interrupt(_ arguments: [String], with signal: Int32, when ready: (Int32) -> Bool) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let output = Fixtures.temporaryFolder("signal-log")
        _ = FileManager.default.createFile(atPath: output, contents: nil)
        defer { try? FileManager.default.removeItem(atPath: output) }
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: output))
        (process.standardOutput, process.standardError) = (log, log)
        try process.run()
        let deadline = Date().addingTimeInterval(30)
        while process.isRunning && !ready(process.processIdentifier) && Date() < deadline { usleep(500) }
        kill(process.processIdentifier, signal)
        process.waitUntilExit()
        try log.close()
        return (process.terminationStatus, (try? String(contentsOfFile: output, encoding: .utf8)) ?? "")
    }

    /// The signals blocked in process `pid`'s main thread (its SigBlk), as a bit mask.
    static func blockedSignals(_ pid: Int32) -> UInt64 {
        let status = (try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)) ?? ""
        return status.split(separator: "\n").first { $0.hasPrefix("SigBlk:") }
            .flatMap { UInt64($0.dropFirst("SigBlk:".count).trimmingCharacters(in: .whitespaces), radix: 16) } ?? 0
    }

    /// Whether `pid` has taken over SIGINT, SIGTERM and SIGHUP (blocked in its main thread, read by its handler).
    static func handlesSignals(_ pid: Int32) -> Bool {
        let blocked = blockedSignals(pid)
        return [SIGINT, SIGTERM, SIGHUP].allSatisfy { blocked & (1 << ($0 - 1)) != 0 }
    }

    /// The names in `folder` that are temporaries (`.NAME.tmp-…`).
    static func temporaries(in folder: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).filter { $0.hasPrefix(".") && $0.contains(".tmp-") }
    }

    @Test("SIGHUP (a closed terminal) stops training as SIGTERM does: the batch finishes, a checkpoint is written, exit status 130")
    func sighup() throws {
        let out = Fixtures.temporaryFolder("sighup")
        defer { try? FileManager.default.removeItem(atPath: out) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.executable)
        process.arguments = ["train", "--train-limit", "6400", "--test-limit", "100", "--epochs", "50", "--threads", "2", "--workers", "1",
                             "--data", TrainingTests.mnist, "--out", out]
        let pipe = Pipe()
        (process.standardOutput, process.standardError) = (pipe, pipe)
        try process.run()
        var output = Data()
        while !String(decoding: output, as: UTF8.self).contains("  batch ") && process.isRunning {
            output += pipe.fileHandleForReading.availableData
        }
        kill(process.processIdentifier, SIGHUP)
        output += pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let text = String(decoding: output, as: UTF8.self)
        #expect(process.terminationStatus == 130, "\(text)")
        #expect(text.contains("SIGHUP") && text.contains("interrupted at epoch"), "\(text)")
        let checkpoint = try Checkpoint.load(path: out + "/checkpoint.safetensors")
        #expect(checkpoint.completedEpochs < 50 && checkpoint.completedEpochs * 100 + checkpoint.batchesIntoEpoch > 0)
        #expect(Self.temporaries(in: out).isEmpty)
    }

    @Test("export-images stopped by SIGINT, SIGTERM or SIGHUP while writing: exit status 130, no half-written folder, no temporary",
          arguments: [SIGINT, SIGTERM, SIGHUP])
    func exportImagesInterrupted(_ signal: Int32) throws {
        let root = Fixtures.temporaryFolder("export-images-signal")
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: root) }
        let (status, output) = try Self.interrupt(["export-images", "--dataset", "mnist", "--data", TrainingTests.mnist, "--limit", "20000",
                                                   "--out", root + "/images"], with: signal) { _ in
            // The temporary folder the images go to (not the file the output check creates and removes first).
            Self.temporaries(in: root).contains { (try? PathKind(of: root + "/" + $0, op: "test")) == .folder }
        }
        #expect(status == 130, "\(output)")
        #expect(output.contains("stopped") && output.contains("unfinished output removed"), "\(output)")
        let left = try FileManager.default.contentsOfDirectory(atPath: root)
        #expect(left.isEmpty, "\(left)")
    }

    @Test("eval, report and export stop with status 130 on a signal (not 143), leaving no temporary file")
    func otherCommandsInterrupted() throws {
        let folder = Fixtures.temporaryFolder("commands-signal")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        var options = TrainingOptions()
        (options.trainLimit, options.testLimit, options.epochs, options.threads) = (64, 64, 1, 2)
        let trainer = try Trainer(options: options, dataDirectory: TrainingTests.mnist, outputDirectory: folder + "/run")
        _ = try trainer.run()
        let cases: [([String], Int32)] = [
            (["eval", "--checkpoint", trainer.checkpointPath, "--dataset", "mnist", "--data", TrainingTests.mnist, "--threads", "2"], SIGTERM),
            (["report", "--checkpoint", trainer.checkpointPath, "--dataset", "mnist", "--data", TrainingTests.mnist, "--threads", "2",
              "--out", folder + "/report"], SIGHUP),
            (["export", "--model", "resnet18", "--out", folder + "/model.onnx", "--reference-out", folder + "/reference.safetensors"], SIGINT),
        ]
        for (arguments, signal) in cases {
            let (status, output) = try Self.interrupt(arguments, with: signal, when: Self.handlesSignals)
            #expect(status == 130, "\(arguments[0]): \(output)")
            #expect(output.contains("stopped"), "\(arguments[0]): \(output)")
        }
        #expect(Self.temporaries(in: folder).isEmpty && Self.temporaries(in: folder + "/run").isEmpty)
        #expect(!FileManager.default.fileExists(atPath: folder + "/report/report.html"))
    }

    @Test("temporaries left by killed writers (SIGKILL) are removed by the next run writing the same destination: every command")
    func debrisOfEveryWriter() throws {
        let folder = Fixtures.temporaryFolder("debris-commands")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        var options = TrainingOptions()
        (options.trainLimit, options.testLimit, options.epochs, options.threads) = (64, 64, 1, 2)
        let trainer = try Trainer(options: options, dataDirectory: TrainingTests.mnist, outputDirectory: folder + "/run")
        _ = try trainer.run()
        let dead = Self.deadProcess()
        try FileManager.default.createDirectory(atPath: folder + "/report", withIntermediateDirectories: true)
        let files = ["\(folder)/.model.onnx.tmp-\(dead)-a1", "\(folder)/.reference.safetensors.tmp-\(dead)-b2",
                     "\(folder)/report/.report.html.tmp-\(dead)-c3"]
        for file in files { try Data([1]).write(to: URL(fileURLWithPath: file)) }
        let staging = "\(folder)/.images.tmp-\(dead)-d4"
        try FileManager.default.createDirectory(atPath: staging + "/train/7", withIntermediateDirectories: true)
        try Data([1]).write(to: URL(fileURLWithPath: staging + "/train/7/00000.png"))
        for arguments in [["export", "--model", "lenet5", "--out", folder + "/model.onnx", "--reference-out", folder + "/reference.safetensors"],
                          ["report", "--checkpoint", trainer.checkpointPath, "--threads", "2", "--out", folder + "/report"],
                          ["export-images", "--dataset", "mnist", "--data", TrainingTests.mnist, "--limit", "2", "--out", folder + "/images"]] {
            let (status, output) = try CommandLineTests.convnet(arguments)
            #expect(status == 0, "\(output)")
        }
        #expect(Self.temporaries(in: folder).isEmpty && Self.temporaries(in: folder + "/report").isEmpty)
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder).sorted() == ["images", "model.onnx", "reference.safetensors", "report", "run"])
    }

    @Test("killed between the last epoch's checkpoint and metrics.csv: the resumed run completes metrics.csv")
    func metricsAfterLastCheckpoint() throws {
        let out = Fixtures.temporaryFolder("last-metrics")
        defer { try? FileManager.default.removeItem(atPath: out) }
        let options = TrainingTests.options(trainLimit: 128, epochs: 1)
        let complete: String
        do {  // (the trainer holds the folder's lock while it lives)
            let first = try Trainer(options: options, dataDirectory: TrainingTests.mnist, outputDirectory: out)
            #expect(try first.run() == .completed)
            complete = try String(contentsOfFile: first.metricsPath, encoding: .utf8)
            // The checkpoint is written first; a kill before the metrics write leaves the previous metrics.csv.
            try Data((EpochMetrics.csvHeader + "\n").utf8).write(to: URL(fileURLWithPath: first.metricsPath))
        }
        let second = try Trainer(options: options, dataDirectory: TrainingTests.mnist, outputDirectory: out)
        try second.resume()
        #expect(try second.run() == .completed)
        #expect(try String(contentsOfFile: second.metricsPath, encoding: .utf8) == complete)
    }
}
