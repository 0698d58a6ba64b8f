import ConvNet
import Foundation
import Testing

/// One vocabulary across `convnet`'s commands: `--threads`/`--backend` wherever tensors are
/// computed, and optimizer, schedule and shuffle names that argument-parser lists and checks.
@Suite("convnet's shared options and named choices", .serialized)
struct CommandLineVocabularyTests {
    /// Every command that runs tensor operations, with arguments that pass parsing (files that
    /// need not exist: `--threads` is applied before any is read).
    static let computing: [(command: [String], arguments: [String])] = [
        (["train"], ["--out", NSTemporaryDirectory() + "convnet-never-written"]),
        (["eval"], ["--checkpoint", "missing.safetensors"]),
        (["predict"], ["--model", "lenet5", "--weights", "missing.safetensors", "missing.png"]),
        (["report"], ["--checkpoint", "missing.safetensors", "--out", NSTemporaryDirectory() + "convnet-never-written"]),
        (["summary"], ["lenet5"]),
        (["export"], ["--model", "lenet5", "--out", NSTemporaryDirectory() + "convnet-never-written.onnx"]),
        (["bench", "conv"], ["1", "1", "8", "8", "1", "3", "1", "1"]),
        (["bench", "block"], ["1", "1", "8", "8", "1", "3", "1"]),
        (["bench", "gemm"], ["4", "4", "4"]),
        (["bench", "model"], ["lenet5"]),
    ]

    @Test("every computing command lists --threads and --backend in its help, and applies --threads before it starts")
    func computeOptionsEverywhere() throws {
        try #require(FileManager.default.isExecutableFile(atPath: SignalTests.executable), "build convnet first")
        for (command, arguments) in Self.computing {
            let name = command.joined(separator: " ")
            let (helpStatus, help) = try CommandLineTests.convnet(command + ["--help"])
            #expect(helpStatus == 0 && help.contains("--threads <threads>") && help.contains("--backend <backend>")
                    && help.contains("values: reference, onednn"), "\(name) --help: \(help)")
            // A thread count out of range is Backend.setThreads's one error, from every command.
            let (status, text) = try CommandLineTests.convnet(command + arguments + ["--threads", "0", "--backend", "reference"])
            #expect(status != 0 && text.hasPrefix("Error: threads: thread count 0 must be at least 1"), "\(name): \(text)")
            #expect(!text.contains("Usage:"), "\(name): a value error, not a usage error: \(text)")
        }
    }

    @Test("summary runs on either backend with --threads 1; an unknown backend is one error naming the choices")
    func backendChoice() throws {
        try #require(FileManager.default.isExecutableFile(atPath: SignalTests.executable), "build convnet first")
        let (defaultStatus, expected) = try CommandLineTests.convnet(["summary", "lenet5", "--json"])
        #expect(defaultStatus == 0, "\(expected)")
        for backend in ["reference", "onednn"] {
            let (status, text) = try CommandLineTests.convnet(["summary", "lenet5", "--json", "--backend", backend, "--threads", "1"])
            #expect(status == 0 && text == expected, "--backend \(backend): \(text)")
        }
        let (status, text) = try CommandLineTests.convnet(["summary", "lenet5", "--backend", "cuda"])
        #expect(status != 0, "--backend cuda was accepted: \(text)")
        let first = text.split(separator: "\n").first.map(String.init) ?? ""
        #expect(first == "Error: The value 'cuda' is invalid for '--backend <backend>'. Please provide one of 'reference' and 'onednn'.",
                "\(text)")
    }

    @Test("train --help lists the optimizers, schedules and shuffle conventions; a name not among them is one error listing them")
    func namedChoices() throws {
        try #require(FileManager.default.isExecutableFile(atPath: SignalTests.executable), "build convnet first")
        let (status, help) = try CommandLineTests.convnet(["train", "--help"])
        #expect(status == 0)
        // argument-parser wraps help lines: compare with runs of spaces and line breaks as one space.
        let flat = help.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        for values in ["values: sgd, adam, adamw; default: sgd", "values: none, step, multistep, cosine, onecycle; default: none",
                       "values: randperm, dataloader; default: randperm"] {
            #expect(flat.contains(values), "train --help lacks \"\(values)\": \(help)")
        }
        let out = NSTemporaryDirectory() + "convnet-never-written"
        for (option, bad, choices) in [("--optimizer", "rmsprop", "'sgd', 'adam' or 'adamw'"),
                                       ("--schedule", "linear", "'none', 'step', 'multistep', 'cosine' or 'onecycle'"),
                                       ("--shuffle", "random", "'randperm' and 'dataloader'")] {
            let (status, text) = try CommandLineTests.convnet(["train", option, bad, "--out", out])
            let first = text.split(separator: "\n").first.map(String.init) ?? ""
            #expect(status != 0 && first == "Error: The value '\(bad)' is invalid for '\(option) <\(option.dropFirst(2))>'. Please provide one of \(choices).",
                    "\(option) \(bad): \(text)")
            #expect(!FileManager.default.fileExists(atPath: out), "\(option) \(bad) wrote \(out)")
        }
    }

    @Test("every train flag lands in its TrainingOptions field: the checkpoint holds the options the flags name")
    func flagsBuildOptions() throws {
        try #require(FileManager.default.isExecutableFile(atPath: SignalTests.executable), "build convnet first")
        let out = TrainingTests.outputDirectory()
        defer { try? FileManager.default.removeItem(atPath: out) }
        // Every field away from its default (momentum too: it is kept for SGD).
        let (status, text) = try CommandLineTests.convnet([
            "train", "--model", "lenet5", "--dataset", "mnist", "--data", TrainingTests.mnist, "--epochs", "1", "--batch-size", "16",
            "--optimizer", "sgd", "--lr", "0.02", "--momentum", "0.5", "--nesterov", "--weight-decay", "0.001",
            "--schedule", "multistep", "--milestones", "1, 2", "--gamma", "0.5", "--warmup-steps", "2", "--seed", "7",
            "--shuffle", "dataloader", "--threads", "1", "--train-limit", "64", "--test-limit", "32",
            "--augment", "RandomHorizontalFlip()", "--image-size", "28", "--label-level", "coarse", "--skip-bad-images",
            "--workers", "1", "--out", out])
        try #require(status == 0, "\(text)")
        var expected = TrainingOptions()
        (expected.epochs, expected.batchSize, expected.optimizer, expected.learningRate) = (1, 16, .sgd, 0.02)
        (expected.momentum, expected.nesterov, expected.weightDecay, expected.schedule) = (0.5, true, 0.001, .multiStep)
        (expected.milestones, expected.gamma, expected.warmupSteps, expected.seed, expected.shuffle) = ([1, 2], 0.5, 2, 7, .dataLoader)
        (expected.threads, expected.trainLimit, expected.testLimit, expected.augment) = (1, 64, 32, "RandomHorizontalFlip()")
        (expected.imageSize, expected.labelLevel, expected.skipBadImages) = (28, .coarse, true)
        let saved = try Checkpoint.load(path: out + "/checkpoint.safetensors").options
        #expect(saved == expected, "differs: \(saved) vs \(expected)")
        #expect(text.contains("batch 16, sgd lr 0.02, seed 7 (dataloader order), 1 threads"), "\(text)")

        // Momentum belongs to SGD: with Adam it is recorded as 0, whatever --momentum says.
        let adamOut = TrainingTests.outputDirectory()
        defer { try? FileManager.default.removeItem(atPath: adamOut) }
        let (adamStatus, adamText) = try CommandLineTests.convnet([
            "train", "--data", TrainingTests.mnist, "--epochs", "1", "--optimizer", "adamw", "--lr", "0.001", "--momentum", "0.5",
            "--holdout", "16", "--train-limit", "64", "--threads", "1", "--workers", "1", "--out", adamOut])
        try #require(adamStatus == 0, "\(adamText)")
        let adam = try Checkpoint.load(path: adamOut + "/checkpoint.safetensors").options
        #expect(adam.optimizer == .adamW && adam.momentum == 0 && adam.holdout == "16" && adam.learningRate == 0.001, "\(adam)")
        #expect(adamText.contains("adamw lr 0.001"), "\(adamText)")
    }
}
