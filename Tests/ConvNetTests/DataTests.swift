import ConvNet
import Foundation
import Testing

@Suite("data: IDX, gzip, MNIST, loader")
struct DataTests {
    /// An IDX file of unsigned bytes with the given shape.
    static func idx(_ shape: [Int], values: [UInt8]) -> [UInt8] {
        var bytes: [UInt8] = [0, 0, 0x08, UInt8(shape.count)]
        for d in shape { bytes += [UInt8(d >> 24 & 255), UInt8(d >> 16 & 255), UInt8(d >> 8 & 255), UInt8(d & 255)] }
        return bytes + values
    }

    static func temporaryDirectory() throws -> String {
        let path = NSTemporaryDirectory() + "convnet-test-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    /// gzip-compresses with the system tool (what real datasets ship as).
    static func gzip(_ bytes: [UInt8], to path: String) throws {
        try Data(bytes).write(to: URL(fileURLWithPath: path + ".raw"))
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/sh")
        p.arguments = ["-c", "gzip -c '\(path).raw' > '\(path)' && rm '\(path).raw'"]
        try p.run()
        p.waitUntilExit()
    }

    @Test("IDX parsing of a valid file")
    func parsesIDX() throws {
        let a = try IDXArray.parse(Self.idx([2, 2, 3], values: Array(0..<12)), source: "mem")
        #expect(a.shape == [2, 2, 3])
        #expect(a.bytes == Array(0..<12))
    }

    @Test("IDX errors: wrong magic, unsupported type, truncated data, extra data, short header")
    func idxErrors() {
        func message(_ bytes: [UInt8]) -> String {
            do { _ = try IDXArray.parse(bytes, source: "f.idx"); return "accepted" } catch { return "\(error)" }
        }
        #expect(message([1, 0, 8, 1, 0, 0, 0, 1, 5]).contains("wrong magic number"))
        #expect(message([0, 0, 0x0D, 1, 0, 0, 0, 1, 0, 0, 0, 0]).contains("element type 0xd"))
        let truncated = message(Self.idx([3, 2], values: [1, 2, 3]))
        #expect(truncated.contains("6 values but the file holds 3") && truncated.contains("truncated") && truncated.contains("f.idx"))
        #expect(message(Self.idx([1], values: [1, 2])).contains("1 values but the file holds 2"))
        #expect(message([0, 0, 8, 3, 0, 0]).contains("header declares 3 dimensions"))
        #expect(message([0, 0]).contains("too short"))
        // Three sizes of 2³² − 1: their product overflows Int; an error, not a trap.
        #expect(message([0, 0, 8, 3] + [UInt8](repeating: 0xFF, count: 12) + [1, 2, 3]).contains("more than any file holds"))
    }

    @Test("MNIST loads gzipped files and rejects corrupt, truncated or disagreeing ones")
    func mnistFiles() throws {
        let dir = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Self.gzip(Self.idx([3, 2, 2], values: Array(0..<12)), to: dir + "/t10k-images-idx3-ubyte.gz")
        try Self.gzip(Self.idx([3], values: [7, 0, 9]), to: dir + "/t10k-labels-idx1-ubyte.gz")
        let data = try MNIST.load(directory: dir, split: .test)
        #expect(data.count == 3 && data.height == 2 && data.labels == [7, 0, 9] && data.pixels == Array(0..<12))

        // Labels that disagree with the images.
        try Self.gzip(Self.idx([2], values: [1, 2]), to: dir + "/t10k-labels-idx1-ubyte.gz")
        #expect(throws: ConvNetError.self) { try MNIST.load(directory: dir, split: .test) }
        // A label outside 0…9.
        try Self.gzip(Self.idx([3], values: [1, 2, 12]), to: dir + "/t10k-labels-idx1-ubyte.gz")
        #expect(throws: ConvNetError.self) { try MNIST.load(directory: dir, split: .test) }
        // A truncated gzip stream.
        let good = try Data(contentsOf: URL(fileURLWithPath: dir + "/t10k-images-idx3-ubyte.gz"))
        try good.prefix(good.count / 2).write(to: URL(fileURLWithPath: dir + "/t10k-images-idx3-ubyte.gz"))
        do {
            _ = try MNIST.load(directory: dir, split: .test)
            Issue.record("truncated gzip accepted")
        } catch let error as ConvNetError {
            #expect(error.message.contains("t10k-images-idx3-ubyte.gz"))
        }
        // Missing files.
        #expect(throws: ConvNetError.self) { try MNIST.load(directory: dir, split: .train) }
    }

    @Test("the bundled MNIST has the standard sizes")
    func bundledMNIST() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let test = try MNIST.load(directory: root.path + "/Datasets/mnist", split: .test)
        #expect(test.count == 10_000 && test.height == 28 && test.width == 28)
        #expect(Set(test.labels) == Set(0..<10))
    }

    static func tinyDataset(_ n: Int) throws -> ImageDataset {
        try ImageDataset(pixels: (0..<(n * 4)).map { UInt8($0 % 256) }, labels: (0..<n).map { $0 % 3 }, channels: 1,
                         height: 2, width: 2, classNames: ["a", "b", "c"])
    }

    @Test("loader: each sample once per epoch, order fixed by (seed, epoch), drop-last, normalisation")
    func loader() throws {
        let data = try Self.tinyDataset(10)
        let loader = try DataLoader(data, batchSize: 4, seed: 3, normalization: Normalization(mean: [0.5], std: [0.25]))
        #expect(loader.count == 3)
        let epoch0 = loader.order(epoch: 0)
        #expect(epoch0.sorted() == Array(0..<10))
        #expect(epoch0 == loader.order(epoch: 0))
        #expect(epoch0 != loader.order(epoch: 1))
        #expect(try DataLoader(data, batchSize: 4, seed: 4).order(epoch: 0) != epoch0)
        let batches = Array(loader.batches(epoch: 0))
        #expect(batches.map { $0.labels.count } == [4, 4, 2])
        let first = batches[0]
        #expect(first.images.shape == [4, 1, 2, 2])
        let sample = epoch0[0]
        let expected = (0..<4).map { (Float(data.pixels[sample * 4 + $0]) / 255 - 0.5) / 0.25 }
        #expect(zip(first.images.scalars.prefix(4), expected).allSatisfy { abs($0 - $1) < 1e-5 })
        #expect(first.labels[0] == data.labels[sample])
        #expect(try DataLoader(data, batchSize: 4, dropLast: true).count == 2)
        #expect(throws: ConvNetError.self) { try DataLoader(data, batchSize: 0) }
        #expect(throws: ConvNetError.self) { try DataLoader(data, batchSize: 2, normalization: .init(mean: [0, 0], std: [1, 1])) }
    }

    @Test("prefetching gives the same batches as assembling in place, also when resumed mid-epoch")
    func prefetchMatches() throws {
        let data = try Self.tinyDataset(37)
        let a = try DataLoader(data, batchSize: 5, seed: 9, prefetch: true)
        let b = try DataLoader(data, batchSize: 5, seed: 9, prefetch: false)
        for start in [0, 3] {
            let x = Array(a.batches(epoch: 2, from: start)), y = Array(b.batches(epoch: 2, from: start))
            #expect(x.count == 8 - start && x.count == y.count)
            for (p, q) in zip(x, y) { #expect(p.images.scalars == q.images.scalars && p.labels == q.labels) }
        }
        // A consumer that takes batches at once assembles many itself; a slow one finds them
        // assembled ahead by the producer. Both see the same batches.
        var slow: [Batch] = []
        for batch in a.batches(epoch: 1) {
            slow.append(batch)
            Thread.sleep(forTimeInterval: 0.003)
        }
        let inPlace = Array(b.batches(epoch: 1))
        #expect(slow.count == inPlace.count)
        for (p, q) in zip(slow, inPlace) { #expect(p.images.scalars == q.images.scalars && p.labels == q.labels) }
        // Leaving a loop early stops the producer without hanging.
        for _ in a.batches(epoch: 0) { break }
    }
}
