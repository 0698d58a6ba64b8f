import ConvNet
import Foundation
import Testing

/// Every command that reads a file or folder, given each kind of bad one — a missing path, a
/// directory, a FIFO, an empty file, a truncated file, a file of another format — and every
/// command given absurd numbers: each must exit non-zero with one clear `Error:` line that names the
/// path or option, without a trap, a hang or a large allocation. Each run is limited to
/// `memoryLimitKiB` of address space and `timeLimit` seconds.
@Suite("bad-input matrix: every command × every kind of bad file or number", .serialized)
struct BadInputMatrixTests {
    /// 768 MiB of address space: a run that tried to allocate what a forged size declares would die.
    static let memoryLimitKiB = 786_432
    /// A hang or a long computation fails; the slowest case is printed.
    static let timeLimit = 5.0

    struct Outcome {
        var status: Int32, output: String, seconds: Double, signalled: Bool
    }

    /// Runs `convnet` under the memory limit, killing it after `timeLimit` (then the outcome says so).
    static func convnet(_ arguments: [String]) throws -> Outcome {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", "ulimit -v \(memoryLimitKiB); exec \"$0\" \"$@\"", SignalTests.executable] + arguments
        let pipe = Pipe()
        (process.standardOutput, process.standardError) = (pipe, pipe)
        let start = Date()
        try process.run()
        let killer = DispatchWorkItem { if process.isRunning { process.terminate() } }
        DispatchQueue.global().asyncAfter(deadline: .now() + timeLimit, execute: killer)
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        killer.cancel()
        return Outcome(status: process.terminationStatus, output: String(decoding: output, as: UTF8.self),
                       seconds: Date().timeIntervalSince(start), signalled: process.terminationReason == .uncaughtSignal)
    }

    /// The files every case starts from: a trained checkpoint, an image, a label file, MNIST.
    struct Workspace {
        let root: String, checkpoint: String, image: String, labels: String, mnist: String

        init() throws {
            try #require(FileManager.default.isExecutableFile(atPath: SignalTests.executable))
            root = Fixtures.temporaryFolder("bad-input-matrix")
            let fm = FileManager.default
            try fm.createDirectory(atPath: root, withIntermediateDirectories: true)
            var options = TrainingOptions()
            (options.trainLimit, options.testLimit, options.epochs, options.threads) = (64, 64, 1, 2)
            let trainer = try Trainer(options: options, dataDirectory: TrainingTests.mnist, outputDirectory: root + "/run")
            _ = try trainer.run()
            checkpoint = trainer.checkpointPath
            image = root + "/digit.png"
            try Image(width: 28, height: 28, channels: 1, pixels: (0..<784).map { UInt8($0 % 251) }).writePNG(path: image)
            labels = root + "/labels.txt"
            try Data((0..<10).map { "digit \($0)\n" }.joined().utf8).write(to: URL(fileURLWithPath: labels))
            mnist = TrainingTests.mnist
        }

        /// A bad stand-in for `valid` (a file of the same kind) at a fresh path.
        func bad(_ kind: BadKind, like valid: String, name: String) throws -> String {
            let path = root + "/\(kind)-\(name)"
            let fm = FileManager.default
            switch kind {
            case .missing: break
            case .directory: try fm.createDirectory(atPath: path, withIntermediateDirectories: true)
            case .fifo: #expect(mkfifo(path, 0o600) == 0)
            case .empty: fm.createFile(atPath: path, contents: Data())
            case .truncated:
                let bytes = try Data(contentsOf: URL(fileURLWithPath: valid))
                fm.createFile(atPath: path, contents: bytes.prefix(bytes.count / 2))
            case .wrongFormat:
                // Another kind of file: an image where weights are expected, weights where an image is.
                let other = valid.hasSuffix(".png") ? checkpoint : image
                try fm.copyItem(atPath: other, toPath: path)
            }
            return path
        }

        /// A copy of the MNIST folder whose training images file is replaced by a bad one.
        func badMNIST(_ kind: BadKind) throws -> String {
            let folder = root + "/mnist-\(kind)"
            let fm = FileManager.default
            if kind == .missing { return folder }
            try fm.createDirectory(atPath: folder, withIntermediateDirectories: true)
            for name in try fm.contentsOfDirectory(atPath: mnist) where name != "train-images-idx3-ubyte.gz" {
                try fm.createSymbolicLink(atPath: folder + "/" + name, withDestinationPath: mnist + "/" + name)
            }
            let target = folder + "/train-images-idx3-ubyte.gz"
            switch kind {
            case .missing: break
            case .directory: try fm.createDirectory(atPath: target, withIntermediateDirectories: true)
            case .fifo: #expect(mkfifo(target, 0o600) == 0)
            case .empty: fm.createFile(atPath: target, contents: Data())
            case .truncated:
                let bytes = try Data(contentsOf: URL(fileURLWithPath: mnist + "/train-images-idx3-ubyte.gz"))
                fm.createFile(atPath: target, contents: bytes.prefix(bytes.count / 2))
            case .wrongFormat: try fm.copyItem(atPath: image, toPath: target)
            }
            return folder
        }
    }

    enum BadKind: String, CaseIterable, CustomStringConvertible {
        case missing, directory, fifo, empty, truncated, wrongFormat = "wrong-format"
        var description: String { rawValue }
    }

    /// Checks one outcome; returns a failure line or nil.
    static func judge(_ name: String, _ o: Outcome, mustName expected: [String]) -> String? {
        let lines = o.output.split(separator: "\n", omittingEmptySubsequences: true)
        let errorLines = lines.filter { $0.hasPrefix("Error:") }
        let crashed = ["Fatal error", "Program crashed", "Backtrac", "Illegal instruction", "Segmentation", "AddressSanitizer"]
            .contains { o.output.contains($0) }
        if o.signalled || o.seconds >= timeLimit { return "\(name): killed or timed out after \(o.seconds) s: \(o.output.suffix(300))" }
        if o.status == 0 { return "\(name): exit 0: \(o.output.suffix(300))" }
        if crashed { return "\(name): crashed: \(o.output.suffix(400))" }
        guard errorLines.count == 1, let line = errorLines.first else {
            return "\(name): expected one Error: line, got \(errorLines.count): \(o.output.suffix(400))"
        }
        if !expected.contains(where: { line.contains($0) }) { return "\(name): the error does not name \(expected): \(line)" }
        return nil
    }

    @Test("every file argument × missing, directory, FIFO, empty, truncated, wrong format")
    func badFiles() throws {
        let w = try Workspace()
        defer { try? FileManager.default.removeItem(atPath: w.root) }
        var failures: [String] = [], slowest = (0.0, "")
        for kind in BadKind.allCases {
            let weights = try w.bad(kind, like: w.checkpoint, name: "weights.safetensors")
            let image = try w.bad(kind, like: w.image, name: "image.png")
            let labels = try w.bad(kind, like: w.labels, name: "labels.txt")
            let mnist = try w.badMNIST(kind)
            let resumeFolder = w.root + "/resume-\(kind)"
            try FileManager.default.createDirectory(atPath: resumeFolder, withIntermediateDirectories: true)
            if kind != .missing {
                _ = try w.bad(kind, like: w.checkpoint, name: "weights-for-resume")
                try FileManager.default.moveItem(atPath: w.root + "/\(kind)-weights-for-resume", toPath: resumeFolder + "/checkpoint.safetensors")
            }
            let dataFile = "train-images-idx3-ubyte.gz"
            let cases: [(String, [String], [String])] = [
                ("eval --checkpoint", ["eval", "--checkpoint", weights, "--threads", "2"], [weights]),
                ("eval --data", ["eval", "--checkpoint", w.checkpoint, "--dataset", "mnist", "--data", mnist, "--threads", "2"],
                 [mnist, dataFile]),
                ("predict --weights", ["predict", "--model", "lenet5", "--weights", weights, w.image], [weights]),
                ("predict IMAGE", ["predict", "--model", "lenet5", "--weights", w.checkpoint, image], [image]),
                ("predict --labels", ["predict", "--model", "lenet5", "--weights", w.checkpoint, "--labels", labels, w.image],
                 [labels]),
                ("train --data", ["train", "--data", mnist, "--epochs", "1", "--threads", "2", "--out", w.root + "/out-\(kind)"],
                 [mnist, dataFile]),
                ("train --resume", ["train", "--train-limit", "64", "--test-limit", "64", "--threads", "2", "--resume",
                                    "--out", resumeFolder], [resumeFolder]),
                ("stats --data", ["stats", "--dataset", "mnist", "--data", mnist], [mnist, dataFile]),
                ("export-images --data", ["export-images", "--dataset", "mnist", "--data", mnist, "--limit", "3",
                                          "--out", w.root + "/export-\(kind)"], [mnist, dataFile]),
                ("bench loader --data", ["bench", "loader", "--dataset", "mnist", "--data", mnist], [mnist, dataFile]),
                ("bench decode", ["bench", "decode", image], [image]),
                ("report --checkpoint", ["report", "--checkpoint", weights, "--threads", "2", "--out", w.root + "/report-\(kind)"],
                 [weights]),
                ("report --data", ["report", "--checkpoint", w.checkpoint, "--dataset", "mnist", "--data", mnist, "--threads", "2",
                                   "--out", w.root + "/report-data-\(kind)"], [mnist, dataFile]),
            ]
            for (name, arguments, expected) in cases {
                if kind == .truncated && name == "predict --labels" { continue }  // half a name file is a shorter name file
                let outcome = try Self.convnet(arguments)
                if outcome.seconds > slowest.0 { slowest = (outcome.seconds, "\(name) × \(kind)") }
                if let failure = Self.judge("\(name) × \(kind)", outcome, mustName: expected) { failures.append(failure) }
            }
        }
        print("bad-input matrix: slowest case \(slowest.1), \(String(format: "%.2f", slowest.0)) s")
        for failure in failures { Issue.record(Comment(rawValue: failure)) }
    }

    @Test("absurd numbers for every command's options")
    func absurdNumbers() throws {
        let w = try Workspace()
        defer { try? FileManager.default.removeItem(atPath: w.root) }
        let huge = "9223372036854775807", out = w.root + "/absurd"
        let cases: [(String, [String])] = [
            ("--epochs", ["train", "--epochs", huge, "--out", out]),
            ("--batch-size", ["train", "--batch-size", huge, "--out", out]),
            ("--batch-size", ["train", "--batch-size", "0", "--out", out]),
            ("--lr", ["train", "--lr", "-1", "--out", out]),
            ("--weight-decay", ["train", "--weight-decay", "inf", "--out", out]),
            ("--threads", ["train", "--threads", "100000", "--out", out]),
            ("--train-limit", ["train", "--train-limit", "-5", "--out", out]),
            ("--holdout", ["train", "--holdout", "1e300", "--out", out]),
            ("--milestones", ["train", "--schedule", "multistep", "--milestones", huge, "--out", out]),
            ("--warmup-steps", ["train", "--warmup-steps", huge, "--out", out]),
            ("--image-size", ["train", "--image-size", huge, "--out", out]),
            ("--image-size", ["train", "--image-size", "4000", "--out", out]),  // 60000 images of 16 MB: refused before resizing
            ("--workers", ["train", "--workers", "0", "--out", out]),
            ("--threads", ["eval", "--checkpoint", w.checkpoint, "--threads", "-3"]),
            ("--top", ["predict", "--model", "lenet5", "--weights", w.checkpoint, "--top", "0", w.image]),
            ("--threads", ["predict", "--model", "lenet5", "--weights", w.checkpoint, "--threads", huge, w.image]),
            ("--batch", ["summary", "lenet5", "--batch", huge]),
            ("--input", ["summary", "resnet18", "--input", "3x100000x100000"]),
            ("--input", ["summary", "resnet18", "--input", "3x0x7"]),
            ("bench conv", ["bench", "conv", huge, "16", "32", "32", "16", "3", "1", "1"]),
            ("bench conv", ["bench", "conv", "128", "16", "100000", "100000", "16", "3", "1", "1"]),
            ("bench gemm", ["bench", "gemm", "100000", "100000", "100000"]),
            ("bench block", ["bench", "block", "64", "1", "100000", "100000", "6", "5", "2"]),
            ("bench model", ["bench", "model", "resnet18", "--batch", "100000000"]),
            ("--batch", ["bench", "loader", "--dataset", "mnist", "--data", w.mnist, "--batch", "0"]),
            ("--epochs", ["bench", "loader", "--dataset", "mnist", "--data", w.mnist, "--epochs", huge]),
            ("--limit", ["export-images", "--dataset", "mnist", "--data", w.mnist, "--limit", "-1", "--out", out]),
            ("--quality", ["export-images", "--dataset", "mnist", "--data", w.mnist, "--format", "jpeg", "--quality", "1000",
                           "--out", out]),
            ("--channels", ["stats", "--dataset", "mnist", "--data", w.mnist, "--channels", "7"]),
        ]
        var failures: [String] = [], slowest = (0.0, "")
        for (option, arguments) in cases {
            let outcome = try Self.convnet(arguments)
            let name = arguments.joined(separator: " ")
            if outcome.seconds > slowest.0 { slowest = (outcome.seconds, name) }
            // The error names the option, or for positional sizes the numbers themselves.
            let expected = [option, option.replacingOccurrences(of: "--", with: ""), "100000", huge, "batch", "size"]
            if let failure = Self.judge(name, outcome, mustName: expected) { failures.append(failure) }
        }
        print("absurd numbers: slowest case \(slowest.1), \(String(format: "%.2f", slowest.0)) s")
        for failure in failures { Issue.record(Comment(rawValue: failure)) }
    }
}
