import ConvNet
import Foundation
import Testing

/// What a process may allocate is what its limits leave (`ulimit -v`, a cgroup), not the machine's
/// memory; files are read header first, and only what the header says is needed. Every command
/// here runs under ``BadInputMatrixTests/convnet(_:)``'s 768 MiB address-space limit.
@Suite("memory: the process's own limits, files read header first", .serialized)
struct MemoryLimitTests {
    /// `path` grown to 3.5 GB without writing: the bytes after what is there read as zeros.
    static func sparse(_ path: String) throws {
        let handle = try #require(FileHandle(forWritingAtPath: path))
        try handle.truncate(atOffset: 3_500 << 20)
        try handle.close()
    }

    @Test("the limits include physical memory, and what is left is never more than it")
    func limitsInProcess() {
        let limits = MemoryLimit.current()
        #expect(limits.first?.total == MemoryBudget.physicalBytes)
        #expect(MemoryBudget.availableBytes <= MemoryBudget.physicalBytes)
        #expect(MemoryBudget.tightestLimit().available == limits.map(\.available).min())
    }

    @Test("sizes that fit the machine but not ulimit -v are errors naming the limit, not traps")
    func addressSpaceLimit() throws {
        let w = try BadInputMatrixTests.Workspace()
        defer { try? FileManager.default.removeItem(atPath: w.root) }
        // Each needs a few GB: within this machine's memory (so the old check passed), over 768 MiB.
        let cases: [[String]] = [
            ["summary", "resnet18", "--input", "3x1500x1500"],
            ["bench", "gemm", "12000", "12000", "12000"],
            ["export", "--model", "lenet5", "--batch", "20000", "--out", w.root + "/x.onnx"],
        ]
        var failures: [String] = []
        // On a machine with less than 8 GB the machine's memory may be the tighter limit; it is named then.
        let expected = MemoryBudget.physicalBytes > 8 << 30 ? ["ulimit -v"] : ["ulimit -v", "this machine has"]
        for arguments in cases {
            let outcome = try BadInputMatrixTests.convnet(arguments)
            let name = arguments.joined(separator: " ")
            if let failure = BadInputMatrixTests.judge(name, outcome, mustName: expected) { failures.append(failure) }
        }
        for failure in failures { Issue.record(Comment(rawValue: failure)) }
    }

    @Test("a 3.5 GB sparse PNG after a valid image: read up to its IEND, quickly, by every command that reads images")
    func sparsePNG() throws {
        let w = try BadInputMatrixTests.Workspace()
        defer { try? FileManager.default.removeItem(atPath: w.root) }
        let png = w.root + "/sparse.png"
        try FileManager.default.copyItem(atPath: w.image, toPath: png)
        try Self.sparse(png)
        let folder = w.root + "/folder"
        for c in ["a", "b"] {
            try FileManager.default.createDirectory(atPath: folder + "/" + c, withIntermediateDirectories: true)
            try FileManager.default.copyItem(atPath: w.image, toPath: folder + "/\(c)/x.png")
        }
        try Self.sparse(folder + "/a/x.png")  // not copied from `png`: a copy would write 3.5 GB
        for arguments in [["predict", "--model", "lenet5", "--weights", w.checkpoint, png],
                          ["bench", "decode", png, "--budget", "0.1"],
                          ["stats", "--dataset", "folder", "--data", folder, "--workers", "2"]] {
            let outcome = try BadInputMatrixTests.convnet(arguments)
            #expect(outcome.status == 0 && !outcome.signalled, "\(arguments): \(outcome.output.suffix(300))")
            #expect(outcome.seconds < 3, "\(arguments) took \(outcome.seconds) s")
        }
        // The same bytes decode as the small file does.
        #expect(try Image.read(path: png, channels: 1) == (try Image.read(path: w.image, channels: 1)))
    }

    @Test("3.5 GB sparse weights, JPEG, IDX, CIFAR and label files: read by their headers or refused by their size")
    func sparseFiles() throws {
        let w = try BadInputMatrixTests.Workspace()
        defer { try? FileManager.default.removeItem(atPath: w.root) }
        let fm = FileManager.default
        // Weights: the tensors end long before the file does; only they are read.
        let weights = w.root + "/sparse.safetensors"
        try fm.copyItem(atPath: w.checkpoint, toPath: weights)
        try Self.sparse(weights)
        // A JPEG whose file is gigabytes: a decoder needs it whole, so it is refused by its size here.
        let jpeg = w.root + "/sparse.jpg"
        try Image(width: 28, height: 28, channels: 1, pixels: [UInt8](repeating: 90, count: 784)).writeJPEG(path: jpeg)
        try Self.sparse(jpeg)
        // A plain IDX file whose header disagrees with its size.
        let mnist = w.root + "/mnist-sparse"
        try fm.createDirectory(atPath: mnist, withIntermediateDirectories: true)
        for name in try fm.contentsOfDirectory(atPath: w.mnist) where name != "train-images-idx3-ubyte.gz" {
            try fm.createSymbolicLink(atPath: mnist + "/" + name, withDestinationPath: w.mnist + "/" + name)
        }
        let header: [UInt8] = [0, 0, 8, 3, 0, 0, 0xEA, 0x60, 0, 0, 0, 28, 0, 0, 0, 28]
        fm.createFile(atPath: mnist + "/train-images-idx3-ubyte", contents: Data(header))
        try Self.sparse(mnist + "/train-images-idx3-ubyte")
        // A plain CIFAR batch of 3.5 GB.
        let cifar = w.root + "/cifar-sparse"
        try fm.createDirectory(atPath: cifar, withIntermediateDirectories: true)
        fm.createFile(atPath: cifar + "/data_batch_1.bin", contents: Data([3] + [UInt8](repeating: 7, count: 3072)))
        try Self.sparse(cifar + "/data_batch_1.bin")
        // A label file of 3.5 GB.
        let labels = w.root + "/sparse-labels.txt"
        try fm.copyItem(atPath: w.labels, toPath: labels)
        try Self.sparse(labels)

        var failures: [String] = []
        let fine = try BadInputMatrixTests.convnet(["predict", "--model", "lenet5", "--weights", weights, w.image])
        if fine.status != 0 || fine.seconds > 3 { failures.append("sparse weights: exit \(fine.status), \(fine.seconds) s: \(fine.output.suffix(300))") }
        let refused: [([String], [String])] = [
            (["predict", "--model", "lenet5", "--weights", w.checkpoint, jpeg], [jpeg]),
            (["stats", "--dataset", "mnist", "--data", mnist], ["train-images-idx3-ubyte"]),
            (["stats", "--dataset", "cifar10", "--data", cifar], ["data_batch_1.bin"]),
            (["predict", "--model", "lenet5", "--weights", w.checkpoint, "--labels", labels, w.image], [labels]),
        ]
        for (arguments, expected) in refused {
            let outcome = try BadInputMatrixTests.convnet(arguments)
            if let failure = BadInputMatrixTests.judge(arguments.joined(separator: " "), outcome, mustName: expected) { failures.append(failure) }
        }
        for failure in failures { Issue.record(Comment(rawValue: failure)) }
    }
}
