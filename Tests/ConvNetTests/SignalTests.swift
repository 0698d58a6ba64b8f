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
        // inside oneDNN's JIT GEMM corrupts the heap (see InterruptFlag).
        let status = try String(contentsOfFile: "/proc/\(process.processIdentifier)/status", encoding: .utf8)
        let blocked = status.split(separator: "\n").first { $0.hasPrefix("SigBlk:") }
            .flatMap { UInt64($0.dropFirst("SigBlk:".count).trimmingCharacters(in: .whitespaces), radix: 16) } ?? 0
        #expect(blocked & (1 << (SIGINT - 1)) != 0 && blocked & (1 << (SIGTERM - 1)) != 0, "main thread's SigBlk: \(String(blocked, radix: 16))")
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
        let finished = Process()
        finished.executableURL = URL(fileURLWithPath: "/bin/true")
        try finished.run()
        finished.waitUntilExit()
        let path = folder + "/checkpoint.safetensors"
        let dead = "\(folder)/.checkpoint.safetensors.tmp-\(finished.processIdentifier)"
        let alive = "\(folder)/.checkpoint.safetensors.tmp-\(getppid())"
        let other = "\(folder)/.metrics.csv.tmp-\(finished.processIdentifier)"
        for file in [dead, alive, other] { try Data([1]).write(to: URL(fileURLWithPath: file)) }
        #expect(AtomicFile.removeDebris(of: path) == [dead])
        #expect(!FileManager.default.fileExists(atPath: dead))
        #expect(FileManager.default.fileExists(atPath: alive) && FileManager.default.fileExists(atPath: other))
    }

    @Test("setting up a run leaves nothing in the output folder (its write check goes through the checkpoint's temporary file)")
    func setupLeavesNothing() throws {
        let out = Fixtures.temporaryFolder("setup")
        defer { try? FileManager.default.removeItem(atPath: out) }
        let options = TrainingTests.options(trainLimit: 128, epochs: 1)
        _ = try Trainer(options: options, dataDirectory: TrainingTests.mnist, outputDirectory: out)
        #expect(try FileManager.default.contentsOfDirectory(atPath: out) == [])
        // The check writes the file a checkpoint write would go through (a folder there makes it fail).
        let temporary = "\(out)/.checkpoint.safetensors.tmp-\(getpid())"
        try FileManager.default.createDirectory(atPath: temporary, withIntermediateDirectories: false)
        do {
            _ = try Trainer(options: options, dataDirectory: TrainingTests.mnist, outputDirectory: out)
            Issue.record("set up although the checkpoint's temporary file cannot be written")
        } catch let error as ConvNetError {
            #expect(error.description.contains("--out") && error.description.contains(temporary), "\(error)")
        }
    }

    @Test("killed between the last epoch's checkpoint and metrics.csv: the resumed run completes metrics.csv")
    func metricsAfterLastCheckpoint() throws {
        let out = Fixtures.temporaryFolder("last-metrics")
        defer { try? FileManager.default.removeItem(atPath: out) }
        let options = TrainingTests.options(trainLimit: 128, epochs: 1)
        let first = try Trainer(options: options, dataDirectory: TrainingTests.mnist, outputDirectory: out)
        #expect(try first.run() == .completed)
        let complete = try String(contentsOfFile: first.metricsPath, encoding: .utf8)
        // The checkpoint is written first; a kill before the metrics write leaves the previous metrics.csv.
        try Data((EpochMetrics.csvHeader + "\n").utf8).write(to: URL(fileURLWithPath: first.metricsPath))
        let second = try Trainer(options: options, dataDirectory: TrainingTests.mnist, outputDirectory: out)
        try second.resume()
        #expect(try second.run() == .completed)
        #expect(try String(contentsOfFile: second.metricsPath, encoding: .utf8) == complete)
    }
}
