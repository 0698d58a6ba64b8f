import ConvNet
import Foundation
import Testing

/// Options a careless user (or a script with a bug) passes: each one clear error, before any work.
@Suite("careless options: refused up front", .serialized)
struct CarelessUserTests {
    @Test("counts near Int.max, infinite decay and absurd thread counts are refused, not trapped on")
    func absurdNumbers() throws {
        for change in [{ (o: inout TrainingOptions) in o.epochs = Int.max }, { $0.batchSize = Int.max }, { $0.weightDecay = .infinity },
                       { $0.weightDecay = .nan }, { $0.warmupSteps = Int.max }, { $0.milestones = [Int.max] }] {
            var options = TrainingOptions()
            change(&options)
            #expect(throws: ConvNetError.self) { try options.validate() }
        }
        #expect(throws: ConvNetError.self) { try Backend.setThreads(10_000) }
        #expect(throws: ConvNetError.self) { try Backend.setThreads(0) }
        try Backend.setThreads(Backend.threads)
    }

    @Test("an output folder that is a file, empty, a link, or cannot be written is refused before training")
    func unwritableOutput() throws {
        let file = Fixtures.temporaryFolder("out-file")
        try Data("x".utf8).write(to: URL(fileURLWithPath: file))
        defer { try? FileManager.default.removeItem(atPath: file) }
        var options = TrainingOptions()
        options.trainLimit = 64
        let link = file + "-link"
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: NSTemporaryDirectory())
        defer { try? FileManager.default.removeItem(atPath: link) }
        for (out, words) in [(file, "is a file"), ("", "empty"), ("/proc/\(getpid())", "cannot write"), (file + "/below", "cannot create"),
                             (link, "symbolic link")] {
            do {
                _ = try Trainer(options: options, dataDirectory: TrainingTests.mnist, outputDirectory: out)
                Issue.record("--out \(out) was accepted")
            } catch let error as ConvNetError {
                #expect(error.op == "`outputDirectory`" && error.message.contains(words), "\(error)")
            }
        }
    }

    @Test("predict: label files that do not fit the model, and two sources of names, are errors naming them")
    func predictLabels() throws {
        try #require(FileManager.default.isExecutableFile(atPath: SignalTests.executable))
        let folder = Fixtures.temporaryFolder("predict")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        var options = TrainingOptions()
        (options.trainLimit, options.testLimit, options.epochs, options.threads) = (64, 64, 1, 2)
        let trainer = try Trainer(options: options, dataDirectory: TrainingTests.mnist, outputDirectory: folder + "/run")
        _ = try trainer.run()
        let image = folder + "/digit.png"
        try Image(width: 28, height: 28, channels: 1, pixels: (0..<784).map { UInt8($0 % 251) }).writePNG(path: image)
        try Data("zero\none\ntwo\n".utf8).write(to: URL(fileURLWithPath: folder + "/three.txt"))
        func predict(_ arguments: [String]) throws -> (Int32, String) {
            try CommandLineTests.convnet(["predict", "--model", "lenet5", "--weights", trainer.checkpointPath] + arguments + [image])
        }
        let (badStatus, bad) = try predict(["--labels", folder + "/three.txt"])
        #expect(badStatus != 0 && bad.contains("three.txt") && bad.contains("3 classes") && bad.contains("10"), "\(bad)")
        let (bothStatus, both) = try predict(["--labels", folder + "/three.txt", "--dataset", "mnist"])
        #expect(bothStatus != 0 && both.contains("--labels or --dataset"), "\(both)")
        // The checkpoint's own names (MNIST's digits) need no flag.
        let (status, text) = try predict([])
        #expect(status == 0 && text.contains("digit.png:") && text.contains("%"), "\(text)")
    }
}

@Suite("files that are not files")
struct NonRegularFileTests {
    @Test("a FIFO or a folder given as an image, weights, checkpoint, labels or a data batch is an error, not a hang")
    func fifoAndFolder() throws {
        let folder = Fixtures.temporaryFolder("fifo")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let fifo = folder + "/pipe"
        #expect(mkfifo(fifo, 0o600) == 0)
        for path in [fifo, folder] {
            let readers: [(String, () throws -> Void)] = [
                ("image", { _ = try Image.read(path: path) }),
                ("safetensors", { _ = try SafeTensors.read(path: path) }),
                ("checkpoint", { _ = try Checkpoint.load(path: path) }),
                ("labels", { _ = try ClassNameFile.read(path: path) }),
            ]
            for (name, read) in readers {
                do {
                    try read()
                    Issue.record("\(name) read \(path)")
                } catch let error as ConvNetError {
                    #expect(error.message.contains(path), "\(name): \(error)")
                }
            }
        }
        // A CIFAR folder whose batch is a FIFO.
        let cifar = folder + "/cifar"
        try FileManager.default.createDirectory(atPath: cifar, withIntermediateDirectories: true)
        #expect(mkfifo(cifar + "/data_batch_1.bin", 0o600) == 0)
        #expect(throws: ConvNetError.self) { try CIFAR.load(directory: cifar, variant: .cifar10, split: .train) }
    }
}

@Suite("edited checkpoints", .serialized)
struct TamperedCheckpointTests {
    /// Trains 1.5 epochs of 4 batches (SGD with momentum), stopping mid-epoch, and returns the run's folder and options.
    static func interruptedRun() throws -> (String, TrainingOptions) {
        var options = TrainingOptions()
        (options.trainLimit, options.testLimit, options.epochs, options.batchSize, options.threads) = (256, 64, 3, 64, 2)
        let out = Fixtures.temporaryFolder("tamper")
        let trainer = try Trainer(options: options, dataDirectory: TrainingTests.mnist, outputDirectory: out)
        var polls = 0
        trainer.stopRequested = { polls += 1; return polls == 7 }  // 4 batches, the epoch's end, then 2 more
        #expect(try trainer.run() == .interrupted(epoch: 2, batch: 2))
        return (out, options)
    }

    @Test("progress that does not add up, or a missing optimizer slot, is refused on resume, naming what is wrong",
          arguments: ["batches_into_epoch", "optimizer_step", "completed_epochs", "partial_epoch", "slot", "epochs"])
    func tampered(_ what: String) throws {
        let (out, options) = try Self.interruptedRun()
        defer { try? FileManager.default.removeItem(atPath: out) }
        let path = out + "/checkpoint.safetensors"
        // The untouched checkpoint resumes.
        try Trainer(options: options, dataDirectory: TrainingTests.mnist, outputDirectory: out).resume()
        var contents = try SafeTensors.read(path: path)
        var resumed = options
        switch what {
        case "batches_into_epoch": contents.metadata["batches_into_epoch"] = "4"
        case "optimizer_step": contents.metadata["optimizer_step"] = "9223372036854775807"
        case "completed_epochs": contents.metadata["completed_epochs"] = "2"
        case "partial_epoch": contents.metadata["partial_epoch"] = #"{"correct":500,"lossSum":1,"seconds":1,"seen":128}"#
        case "slot": contents.tensors.removeAll { $0.name == "optimizer.momentum_buffer.conv1.weight" }
        default: resumed.epochs = 1
        }
        try SafeTensors.write(contents, to: path)
        do {
            try Trainer(options: resumed, dataDirectory: TrainingTests.mnist, outputDirectory: out).resume()
            Issue.record("an edited checkpoint (\(what)) was resumed")
        } catch let error as ConvNetError {
            #expect(error.op == "resume" && error.message.contains(path), "\(error)")
            if what == "slot" { #expect(error.message.contains("momentum_buffer") && error.message.contains("conv1.weight"), "\(error)") }
        }
    }
}
