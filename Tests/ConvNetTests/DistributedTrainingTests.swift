import ConvNet
import Foundation
import Testing

/// Data-parallel training: the shards, the gradient buckets and the backward hook in-process, and
/// `mpirun -np 2 convnet train` end to end against a single-process run of the same global batch.
@Suite("data-parallel training over MPI", .serialized)
struct DistributedTrainingTests {
    @Test("the ranks' shards of every batch make up exactly the global batch (padded as DistributedSampler); evaluation shards split the set")
    func shardsMakeUpGlobalBatches() throws {
        for ranks in 1...4 {
            for count in [1, 5, 12, 13, 64, 101] {
                let order = Array((0..<count).reversed())
                let padded = (count + ranks - 1) / ranks * ranks
                let global = (0..<padded).map { order[$0 % count] }
                for batch in [ranks, 2 * ranks, 6 * ranks] {
                    let parts = try (0..<ranks).map { try DataShard(rank: $0, ranks: ranks, padded: true).part(of: order) }
                    #expect(Set(parts.map(\.count)).count == 1)
                    let perRank = batch / ranks
                    for k in 0..<((padded + batch - 1) / batch) {
                        var union: [Int] = []
                        for part in parts where k * perRank < part.count {
                            union += part[(k * perRank)..<min((k + 1) * perRank, part.count)]
                        }
                        let expected = global[(k * batch)..<min((k + 1) * batch, padded)]
                        #expect(union.sorted() == expected.sorted(), "ranks \(ranks) count \(count) batch \(batch) step \(k)")
                    }
                }
                let evaluation = try (0..<ranks).flatMap { try DataShard(rank: $0, ranks: ranks, padded: false).part(of: order) }
                #expect(evaluation.sorted() == order.sorted())
            }
        }
        #expect(throws: ConvNetError.self) { try DataShard(rank: 2, ranks: 2, padded: true) }
    }

    @Test("backward's gradient-ready hook reports every parameter once, with its final gradient, output layers first")
    func gradientReadyHook() throws {
        let model = try ModelZoo.make("lenet5", classes: 10)
        let x = Tensor.randn([3, 1, 28, 28], generator: &Self.generator)
        let loss = try crossEntropy(try model(x), labels: [1, 2, 3])
        var reported: [(Tensor, [Float])] = []
        try loss.backward(gradientReady: { reported.append(($0, $0.grad!.scalars)) })
        let parameters = model.parameters
        #expect(reported.count == parameters.count)
        #expect(Set(reported.map { ObjectIdentifier($0.0) }) == Set(parameters.map(ObjectIdentifier.init)))
        for (tensor, seen) in reported { #expect(seen == tensor.grad!.scalars) }
        // The last layer's weight is final before the first convolution's.
        let position = { (t: Tensor) in reported.firstIndex { $0.0 === t }! }
        #expect(position(parameters.last!) < position(parameters.first!))
    }

    @Test("buckets hold every parameter once, in reverse order, within their capacity; one rank's average is the plain gradient")
    func buckets() throws {
        let model = try ModelZoo.make("resnet20", classes: 10)
        let parameters = model.parameters
        let parallel = DataParallel(parameters: parameters, communicator: SingleProcessCommunicator(), bucketCapacity: 40_000,
                                    firstBucketCapacity: 10_000)
        let flat = parallel.buckets.flatMap { $0 }
        #expect(flat == Array(parameters.indices.reversed()))
        for (b, bucket) in parallel.buckets.enumerated() {
            let bytes = bucket.reduce(0) { $0 + parameters[$1].count * 4 }
            #expect(bucket.count == 1 || bytes <= (b == 0 ? 10_000 : 40_000))
        }
        #expect(parallel.buckets.count > 3)
        let x = Tensor.randn([2, 3, 32, 32], generator: &Self.generator)
        try parallel.backward(try crossEntropy(try model(x), labels: [0, 1]))
        let viaParallel = parameters.map { $0.grad!.scalars }
        for p in parameters { p.grad = nil }
        try crossEntropy(try model(x), labels: [0, 1]).backward()
        #expect(viaParallel == parameters.map { $0.grad!.scalars })
    }

    nonisolated(unsafe) static var generator = RandomGenerator(seed: 7)

    // MARK: - mpirun end to end

    /// `mpirun`'s path, or nil when Open MPI is not installed (CI installs it, and there its absence fails).
    static func mpirun() throws -> String? {
        let path = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin").split(separator: ":")
            .map { $0 + "/mpirun" }.first { FileManager.default.isExecutableFile(atPath: $0) }
        if path == nil {
            try #require(ProcessInfo.processInfo.environment["CI"] == nil, "CI must install Open MPI (openmpi-bin)")
            print("data-parallel end-to-end tests skipped: mpirun not found (apt-get install openmpi-bin libopenmpi-dev)")
        }
        return path
    }

    /// Runs `command` (mpirun with its arguments), killed after `limit` seconds: status, output, and whether it was killed.
    static func run(_ command: [String], limit: Double = 300) throws -> (status: Int32, output: String, killed: Bool) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: command[0])
        process.arguments = Array(command.dropFirst())
        process.environment = mpiEnvironment
        let pipe = Pipe()
        (process.standardOutput, process.standardError) = (pipe, pipe)
        try process.run()
        let killed = LockedFlag()
        let killer = DispatchWorkItem {
            if process.isRunning { killed.set(); kill(process.processIdentifier, SIGKILL) }
        }
        DispatchQueue.global().asyncAfter(deadline: .now() + limit, execute: killer)
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        killer.cancel()
        return (process.terminationStatus, String(decoding: output, as: UTF8.self), killed.isSet)
    }

    /// This process's environment, with Open MPI allowed to run as root (CI runs as root).
    static var mpiEnvironment: [String: String] {
        var environment = ProcessInfo.processInfo.environment
        (environment["OMPI_ALLOW_RUN_AS_ROOT"], environment["OMPI_ALLOW_RUN_AS_ROOT_CONFIRM"]) = ("1", "1")
        return environment
    }

    final class LockedFlag: @unchecked Sendable {
        private let lock = NSLock()
        private var value = false
        func set() { lock.withLock { value = true } }
        var isSet: Bool { lock.withLock { value } }
    }

    static func mpi(_ mpirun: String, ranks: Int, _ arguments: [String]) -> [String] {
        [mpirun, "-np", String(ranks), "--oversubscribe", SignalTests.executable] + arguments
    }

    /// Tensors of a safetensors file by name.
    static func tensors(_ path: String) throws -> [String: Tensor] {
        Dictionary(uniqueKeysWithValues: try SafeTensors.read(path: path).tensors.map { ($0.0, $0.1) })
    }

    /// The largest |a − b| over a tensor, relative to b's largest magnitude, over all tensors.
    static func largestDifference(_ a: [String: Tensor], _ b: [String: Tensor]) -> Double {
        a.keys.map { name in
            let (x, y) = (a[name]!.scalars, b[name]!.scalars)
            let scale = max(y.map { abs(Double($0)) }.max() ?? 0, 1e-30)
            return zip(x, y).map { abs(Double($0) - Double($1)) }.max().map { $0 / scale } ?? 0
        }.max() ?? 0
    }

    static func bitwiseEqual(_ a: [String: Tensor], _ b: [String: Tensor]) -> Bool {
        a.keys.sorted() == b.keys.sorted() && a.keys.allSatisfy { a[$0]!.scalars.map(\.bitPattern) == b[$0]!.scalars.map(\.bitPattern) }
    }

    /// Trains `arguments` on `ranks` ranks of 1 thread and on 1 process of 1 thread with
    /// `singleExtra` too; returns every rank's replica and the single run's weights.
    static func ranksAndOne(_ mpirun: String, ranks: Int = 2, _ arguments: [String], name: String, singleExtra: [String] = []) throws
        -> (replicas: [[String: Tensor]], single: [String: Tensor], output: String) {
        let folder = Fixtures.temporaryFolder(name)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let several = try run(mpi(mpirun, ranks: ranks, arguments + ["--threads", "1", "--out", folder + "/several", "--save-replicas"]))
        try #require(several.status == 0 && !several.killed, "\(several.output)")
        let one = try run([SignalTests.executable] + arguments + ["--threads", "1", "--out", folder + "/one", "--save-replicas"] + singleExtra)
        try #require(one.status == 0, "\(one.output)")
        return (try (0..<ranks).map { try tensors(folder + "/several/replica-\($0).safetensors") },
                try tensors(folder + "/one/replica-0.safetensors"), several.output)
    }

    @Test("LeNet-5 on MNIST, 2 ranks: after 10 steps both replicas are identical bit for bit and equal the 1-process run to 1e-6")
    func lenetTwoRanks() throws {
        guard let mpirun = try Self.mpirun() else { return }
        let arguments = ["train", "--model", "lenet5", "--dataset", "mnist", "--epochs", "1", "--batch-size", "64",
                         "--train-limit", "640", "--test-limit", "200", "--lr", "0.05"]
        let (replicas, single, output) = try Self.ranksAndOne(mpirun, arguments, name: "mpi-lenet")
        #expect(output.contains("data-parallel over MPI: 2 ranks"))
        #expect(Self.bitwiseEqual(replicas[0], replicas[1]))
        let difference = Self.largestDifference(replicas[0], single)
        #expect(difference > 0 || Self.bitwiseEqual(replicas[0], single))
        #expect(difference < 1e-6, "2 ranks vs 1: \(difference)")
    }

    @Test("LeNet-5 on 3 ranks (1/3 is not exact in binary): identical replicas, within 1e-6 of one process")
    func lenetThreeRanks() throws {
        guard let mpirun = try Self.mpirun() else { return }
        // 630 images: 10 global batches of 63, so no padding (which would change the last step).
        let arguments = ["train", "--model", "lenet5", "--dataset", "mnist", "--epochs", "1", "--batch-size", "63",
                         "--train-limit", "630", "--test-limit", "200", "--lr", "0.05"]
        let (replicas, single, _) = try Self.ranksAndOne(mpirun, ranks: 3, arguments, name: "mpi-three")
        #expect(replicas.count == 3 && Self.bitwiseEqual(replicas[0], replicas[1]) && Self.bitwiseEqual(replicas[0], replicas[2]))
        let difference = Self.largestDifference(replicas[0], single)
        #expect(difference < 1e-6, "3 ranks vs 1: \(difference)")
    }

    @Test("ResNet-20 on CIFAR images, 2 ranks: identical replicas with per-rank batch norm; with --sync-bn within 1e-5 of 1 process after 2 steps")
    func resnetTwoRanks() throws {
        guard let mpirun = try Self.mpirun() else { return }
        let arguments = ["train", "--model", "resnet20", "--dataset", "cifar10", "--data", Fixtures.cifarSample, "--epochs", "1",
                         "--batch-size", "16", "--train-limit", "32", "--test-limit", "32", "--lr", "0.05"]
        let perRank = try Self.ranksAndOne(mpirun, arguments, name: "mpi-resnet")
        #expect(Self.bitwiseEqual(perRank.replicas[0], perRank.replicas[1]))
        // Statistics over 8 images per rank are not those over 16: the run differs from one process.
        #expect(Self.largestDifference(perRank.replicas[0], perRank.single) > 1e-4)
        // Batch norm over a few images makes β's gradient a sum that nearly cancels, so float32
        // rounding grows fast: after 2 steps oneDNN's batch norm (float sums) on 1 and 2 threads
        // differ by 8 % of a β's scale. Synchronized batch norm sums in Double, as the reference
        // backend's does: the single process runs on that backend, and the two agree to 2e-6.
        let synchronized = try Self.ranksAndOne(mpirun, arguments + ["--sync-bn"], name: "mpi-resnet-sync",
                                                singleExtra: ["--backend", "reference"])
        #expect(Self.bitwiseEqual(synchronized.replicas[0], synchronized.replicas[1]))
        let difference = Self.largestDifference(synchronized.replicas[0], synchronized.single)
        #expect(difference < 1e-5, "2 ranks with --sync-bn vs 1: \(difference)")
    }

    @Test("SIGTERM to one rank stops both after the same batch with a checkpoint; --resume ends bit for bit as an uninterrupted run")
    func sigtermOneRank() throws {
        guard let mpirun = try Self.mpirun() else { return }
        let folder = Fixtures.temporaryFolder("mpi-sigterm")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let arguments = ["train", "--model", "lenet5", "--dataset", "mnist", "--epochs", "2", "--train-limit", "12800",
                         "--test-limit", "500", "--threads", "1", "--batch-size", "64"]
        let process = Process()
        process.executableURL = URL(fileURLWithPath: mpirun)
        process.arguments = ["-np", "2", "--oversubscribe", SignalTests.executable] + arguments + ["--out", folder + "/stopped"]
        process.environment = Self.mpiEnvironment
        let pipe = Pipe()
        (process.standardOutput, process.standardError) = (pipe, pipe)
        try process.run()
        let output = LockedText()
        let reader = Thread {
            while true {
                let chunk = pipe.fileHandleForReading.availableData
                output.append(chunk)
                if chunk.isEmpty { break }
            }
        }
        reader.start()
        // Once rank 0 is training (its progress line has appeared), signal rank 1 alone.
        let deadline = Date().addingTimeInterval(60)
        while !output.text.contains("epoch 1/2") && Date() < deadline && process.isRunning { usleep(20_000) }
        let ranks = try Self.run(["/usr/bin/pgrep", "-P", String(process.processIdentifier)]).output
            .split(separator: "\n").compactMap { Int32($0) }.sorted()
        try #require(ranks.count == 2, "ranks of mpirun: \(ranks)")
        kill(ranks[1], SIGTERM)
        // A stop that only one rank saw would leave the other waiting in its next sum: a hang fails.
        let killed = LockedFlag()
        let killer = DispatchWorkItem { if process.isRunning { killed.set(); kill(process.processIdentifier, SIGKILL) } }
        DispatchQueue.global().asyncAfter(deadline: .now() + 120, execute: killer)
        process.waitUntilExit()
        killer.cancel()
        #expect(!killed.isSet, "the ranks did not stop together")
        while !output.finished { usleep(10_000) }
        #expect(process.terminationStatus == 130, "\(output.text)")
        #expect(output.text.contains("interrupted at epoch"), "\(output.text)")
        let resumed = try Self.run(Self.mpi(mpirun, ranks: 2, arguments + ["--out", folder + "/stopped", "--resume"]))
        try #require(resumed.status == 0, "\(resumed.output)")
        let whole = try Self.run(Self.mpi(mpirun, ranks: 2, arguments + ["--out", folder + "/whole"]))
        try #require(whole.status == 0, "\(whole.output)")
        #expect(Self.bitwiseEqual(try Self.tensors(folder + "/stopped/checkpoint.safetensors"),
                                  try Self.tensors(folder + "/whole/checkpoint.safetensors")))
    }

    /// Output gathered by a reader thread.
    final class LockedText: @unchecked Sendable {
        private let lock = NSLock()
        private var data = Data()
        private var done = false
        /// Adds a chunk; an empty one marks the end.
        func append(_ more: Data) { lock.withLock { if more.isEmpty { done = true } else { data.append(more) } } }
        var text: String { lock.withLock { String(decoding: data, as: UTF8.self) } }
        var finished: Bool { lock.withLock { done } }
    }

    @Test("a rank with a missing dataset, other options, a global batch the ranks cannot share, a resume on another rank count: one clear error, no hang")
    func badInput() throws {
        guard let mpirun = try Self.mpirun() else { return }
        let folder = Fixtures.temporaryFolder("mpi-bad")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let base = ["train", "--model", "lenet5", "--epochs", "1", "--train-limit", "128", "--test-limit", "64", "--threads", "1",
                    "--out", folder]
        func expectFailure(_ command: [String], _ expected: [String]) throws {
            let result = try Self.run(command, limit: 120)
            #expect(!result.killed, "hung: \(command)")
            #expect(result.status != 0)
            for text in expected { #expect(result.output.contains(text), "\(expected) in \(result.output)") }
        }
        let convnet = SignalTests.executable
        // MPMD: rank 1 runs other arguments than rank 0.
        try expectFailure([mpirun, "-np", "1", convnet] + base + [":", "-np", "1", convnet] + base + ["--dataset", "mnist", "--data", folder + "/missing"],
                          ["rank 1 of 2", "missing"])
        try expectFailure([mpirun, "-np", "1", convnet] + base + [":", "-np", "1", convnet] + base + ["--lr", "0.5"],
                          ["rank 1 differs from rank 0", "learningRate"])
        try expectFailure(Self.mpi(mpirun, ranks: 2, base + ["--batch-size", "1"]), ["--batch-size 1", "smaller than the 2 ranks"])
        try expectFailure(Self.mpi(mpirun, ranks: 2, base + ["--batch-size", "33"]), ["multiple of the 2 ranks"])
        // A checkpoint of 2 ranks resumed by 1 process.
        let trained = try Self.run(Self.mpi(mpirun, ranks: 2, base + ["--batch-size", "32"]))
        try #require(trained.status == 0, "\(trained.output)")
        let resumed = try Self.run([convnet] + base + ["--batch-size", "32", "--epochs", "2", "--resume"])
        #expect(resumed.status != 0 && resumed.output.contains("ranks: 2 vs 1"), "\(resumed.output)")
    }
}
