import ConvNet
import Foundation
import Testing

/// A training run's folder: locked while a run writes it, and a run already in it continued
/// (--resume) or replaced (--overwrite), never silently trained over.
@Suite("train's output folder: one run at a time, an earlier run never silently replaced", .serialized)
struct RunFolderTests {
    static let quick = ["train", "--train-limit", "64", "--test-limit", "64", "--batch-size", "64", "--threads", "2", "--workers", "1"]

    @Test("a second trainer on a folder locked by a trainer (set up or running) is refused, naming the folder and the holder; the run's end releases it; no lock file")
    func libraryLock() throws {
        let out = Fixtures.temporaryFolder("lock")
        defer { try? FileManager.default.removeItem(atPath: out) }
        var options = TrainingOptions()
        (options.trainLimit, options.testLimit, options.epochs, options.batchSize, options.threads) = (128, 64, 1, 64, 2)
        let refused = { (error: any Error) in
            let text = "\(error)"
            return text.contains(out) && text.contains("in use") && text.contains("in this process")
        }
        let first = try Trainer(options: options, dataDirectory: TrainingTests.mnist, outputDirectory: out)
        #expect { try Trainer(options: options, dataDirectory: TrainingTests.mnist, outputDirectory: out + "/.") } throws: { refused($0) }
        var duringRun: (any Error)?
        first.stopRequested = {
            if duringRun == nil {
                do { _ = try Trainer(options: options, dataDirectory: TrainingTests.mnist, outputDirectory: out) } catch { duringRun = error }
            }
            return false
        }
        #expect(try first.run() == .completed)
        #expect(duringRun.map(refused) == true, "\(String(describing: duringRun))")
        // Released when the run ended, though the trainer lives on: the next one may continue the run.
        let next = try Trainer(options: options, dataDirectory: TrainingTests.mnist, outputDirectory: out)
        try next.resume()
        withExtendedLifetime(first) {}
        #expect(try FileManager.default.contentsOfDirectory(atPath: out).sorted() == ["checkpoint.safetensors", "metrics.csv"])
    }

    @Test("two train commands into one folder: the second is refused with the first's PID and the first completes; a killed run's lock is gone")
    func twoCommands() throws {
        let out = Fixtures.temporaryFolder("two-runs")
        defer { try? FileManager.default.removeItem(atPath: out) }
        let first = Process()
        first.executableURL = URL(fileURLWithPath: SignalTests.executable)
        first.arguments = Self.quick + ["--epochs", "3", "--data", TrainingTests.mnist, "--out", out]
        let pipe = Pipe()
        (first.standardOutput, first.standardError) = (pipe, pipe)
        try first.run()
        var output = Data()
        while !String(decoding: output, as: UTF8.self).contains("training "), first.isRunning {
            output += pipe.fileHandleForReading.availableData
        }
        // Paused while the second starts (so it cannot have finished): the lock stays held.
        kill(first.processIdentifier, SIGSTOP)
        // --overwrite: not refused for the run the first may have written, but for its lock.
        let (status, text) = try CommandLineTests.convnet(Self.quick + ["--epochs", "3", "--data", TrainingTests.mnist, "--out", out, "--overwrite"])
        kill(first.processIdentifier, SIGCONT)
        output += pipe.fileHandleForReading.readDataToEndOfFile()
        first.waitUntilExit()
        #expect(status != 0 && text.contains("in use") && text.contains("process \(first.processIdentifier)") && text.contains(out), "\(text)")
        #expect(first.terminationStatus == 0, "\(String(decoding: output, as: UTF8.self))")
        let finished = try Checkpoint.load(path: out + "/checkpoint.safetensors")
        #expect(finished.completedEpochs == 3)

        // A run killed with SIGKILL holds no lock: the next one locks the folder.
        let killed = Process()
        killed.executableURL = URL(fileURLWithPath: SignalTests.executable)
        killed.arguments = Self.quick + ["--epochs", "100", "--data", TrainingTests.mnist, "--out", out, "--resume"]
        let killedPipe = Pipe()
        (killed.standardOutput, killed.standardError) = (killedPipe, killedPipe)
        try killed.run()
        var killedOutput = Data()
        while !String(decoding: killedOutput, as: UTF8.self).contains("training "), killed.isRunning {
            killedOutput += killedPipe.fileHandleForReading.availableData
        }
        kill(killed.processIdentifier, SIGKILL)
        killed.waitUntilExit()
        _ = try Trainer(options: finished.options, dataDirectory: TrainingTests.mnist, outputDirectory: out)
    }

    @Test("train into a folder holding a run: refused without --resume or --overwrite (the run untouched); --overwrite starts afresh")
    func earlierRun() throws {
        let out = Fixtures.temporaryFolder("earlier-run")
        defer { try? FileManager.default.removeItem(atPath: out) }
        let arguments = Self.quick + ["--epochs", "1", "--data", TrainingTests.mnist, "--out", out]
        #expect(try CommandLineTests.convnet(arguments).status == 0)
        let checkpoint = try Data(contentsOf: URL(fileURLWithPath: out + "/checkpoint.safetensors"))
        let metrics = try Data(contentsOf: URL(fileURLWithPath: out + "/metrics.csv"))
        let refused = try BadInputMatrixTests.convnet(arguments + ["--seed", "9"])
        let line = SafeWriteTests.errorLine(refused)
        #expect(line.contains(out) && line.contains("--resume") && line.contains("--overwrite"), "\(line)")
        // Only metrics.csv left of a run counts too.
        try FileManager.default.moveItem(atPath: out + "/checkpoint.safetensors", toPath: out + "/../kept.safetensors")
        defer { try? FileManager.default.removeItem(atPath: out + "/../kept.safetensors") }
        #expect(SafeWriteTests.errorLine(try BadInputMatrixTests.convnet(arguments)).contains("metrics.csv"))
        try FileManager.default.moveItem(atPath: out + "/../kept.safetensors", toPath: out + "/checkpoint.safetensors")
        #expect(try Data(contentsOf: URL(fileURLWithPath: out + "/checkpoint.safetensors")) == checkpoint)
        #expect(try Data(contentsOf: URL(fileURLWithPath: out + "/metrics.csv")) == metrics)
        // Both flags contradict; --resume needs a checkpoint.
        #expect(SafeWriteTests.errorLine(try BadInputMatrixTests.convnet(arguments + ["--resume", "--overwrite"])).contains("give one"))
        #expect(SafeWriteTests.errorLine(try BadInputMatrixTests.convnet(Self.quick + ["--out", out + "/new", "--resume"])).contains("no run to continue"))
        // --overwrite: a new run from scratch (another seed: other weights).
        let (status, text) = try CommandLineTests.convnet(arguments + ["--seed", "9", "--overwrite"])
        #expect(status == 0, "\(text)")
        let replaced = try Checkpoint.load(path: out + "/checkpoint.safetensors")
        #expect(replaced.options.seed == 9 && replaced.completedEpochs == 1)
        #expect(try String(contentsOfFile: out + "/metrics.csv", encoding: .utf8).split(separator: "\n").count == 2)
        // The library refuses the same unless resumed or told to overwrite.
        var options = replaced.options
        options.epochs = 2
        let trainer = try Trainer(options: options, dataDirectory: TrainingTests.mnist, outputDirectory: out)
        #expect { try trainer.run() } throws: { "\($0)".contains("already holds a run") }
    }

    @Test("--out inside the dataset's folder is refused before training")
    func outInsideData() throws {
        let data = Fixtures.temporaryFolder("data-inside")
        defer { try? FileManager.default.removeItem(atPath: data) }
        try FileManager.default.createDirectory(atPath: data, withIntermediateDirectories: true)
        for name in try FileManager.default.contentsOfDirectory(atPath: TrainingTests.mnist) {
            try FileManager.default.createSymbolicLink(atPath: data + "/" + name, withDestinationPath: TrainingTests.mnist + "/" + name)
        }
        let line = SafeWriteTests.errorLine(try BadInputMatrixTests.convnet(Self.quick + ["--data", data, "--out", data + "/run"]))
        #expect(line.contains("--out") && line.contains("inside"), "\(line)")
    }
}
