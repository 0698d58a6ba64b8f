import ConvNet
import Foundation
import Testing

@Suite("CIFAR-10 and CIFAR-100 binary batches")
struct CIFARTests {
    /// Writes CIFAR records: per record the label byte(s), then 3,072 pixel bytes whose value
    /// encodes (record, channel, position) so a misplaced byte shows.
    static func records(_ labels: [[UInt8]], start: Int) -> [UInt8] {
        var bytes = [UInt8]()
        for (r, label) in labels.enumerated() {
            bytes += label
            for c in 0..<3 { for i in 0..<1024 { bytes.append(UInt8(truncatingIfNeeded: (start + r) * 7 + c * 50 + i)) } }
        }
        return bytes
    }

    static func write(_ bytes: [UInt8], _ folder: String, _ name: String, gzip: Bool = false) throws {
        let path = folder + "/" + name
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        if gzip {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = ["gzip", "-f", path]
            try process.run()
            process.waitUntilExit()
            #expect(process.terminationStatus == 0)
        }
    }

    @Test("batches in name order, plain and gzipped, CHW pixels, labels and names; the test batch is its own split")
    func readsCIFAR10() throws {
        let folder = Fixtures.temporaryFolder("cifar10")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try Self.write(Self.records([[3], [9], [0]], start: 0), folder, "data_batch_1.bin", gzip: true)
        try Self.write(Self.records([[1], [2]], start: 3), folder, "data_batch_2.bin")
        try Self.write(Self.records([[7]], start: 5), folder, "test_batch.bin")
        try Data(CIFAR.cifar10Names.joined(separator: "\n").appending("\n\n").utf8).write(to: URL(fileURLWithPath: folder + "/batches.meta.txt"))
        let train = try #require(try CIFAR.load(directory: folder, variant: .cifar10, split: .train))
        #expect(train.labels == [3, 9, 0, 1, 2] && train.count == 5)
        #expect(train.channels == 3 && train.height == 32 && train.width == 32)
        #expect(train.classNames == CIFAR.cifar10Names)
        #expect(train.pixels == (0..<5).flatMap { r in Self.records([[0]], start: r).dropFirst() })
        let test = try #require(try CIFAR.load(directory: folder, variant: .cifar10, split: .test))
        #expect(test.labels == [7])
        // Without a test batch there is no test split (the caller holds images out instead).
        try FileManager.default.removeItem(atPath: folder + "/test_batch.bin")
        #expect(try CIFAR.load(directory: folder, variant: .cifar10, split: .test) == nil)
    }

    @Test("CIFAR-100: fine and coarse labels from the same records")
    func readsCIFAR100() throws {
        let folder = Fixtures.temporaryFolder("cifar100")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try Self.write(Self.records([[4, 99], [19, 0], [0, 42]], start: 0), folder, "train.bin")
        try Data((0..<100).map { "fine\($0)" }.joined(separator: "\n").utf8).write(to: URL(fileURLWithPath: folder + "/fine_label_names.txt"))
        let fine = try #require(try CIFAR.load(directory: folder, variant: .cifar100, split: .train, labelLevel: .fine))
        #expect(fine.labels == [99, 0, 42] && fine.classNames.count == 100 && fine.classNames[42] == "fine42")
        let coarse = try #require(try CIFAR.load(directory: folder, variant: .cifar100, split: .train, labelLevel: .coarse))
        #expect(coarse.labels == [4, 19, 0] && coarse.classNames.count == 20)
        #expect(fine.pixels == coarse.pixels)
    }

    @Test("bad files: one clear error naming the file and what is wrong")
    func badFiles() throws {
        let folder = Fixtures.temporaryFolder("cifar-bad")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        func expectError(_ contains: [String], _ variant: CIFAR.Variant = .cifar10, level: CIFAR.LabelLevel = .fine) {
            do {
                _ = try CIFAR.load(directory: folder, variant: variant, split: .train, labelLevel: level)
                Issue.record("accepted: expected an error containing \(contains)")
            } catch let error as ConvNetError {
                for part in contains { #expect(error.message.contains(part), "\(error.message)") }
            } catch {
                Issue.record("not a ConvNetError: \(error)")
            }
        }
        expectError(["no training batch"])
        // Not a whole number of records.
        try Self.write(Array(Self.records([[1], [2]], start: 0).dropLast(5)), folder, "data_batch_1.bin")
        expectError(["data_batch_1.bin", "whole number of 3073-byte records"])
        // A label outside the ten classes.
        try Self.write(Self.records([[1], [12]], start: 0), folder, "data_batch_1.bin")
        expectError(["data_batch_1.bin", "record 1", "label 12"])
        // A name file with nine names.
        try Self.write(Self.records([[1]], start: 0), folder, "data_batch_1.bin")
        try Data(CIFAR.cifar10Names.prefix(9).joined(separator: "\n").utf8).write(to: URL(fileURLWithPath: folder + "/batches.meta.txt"))
        expectError(["batches.meta.txt", "9 class names", "has 10"])
        // A truncated gzip stream.
        try FileManager.default.removeItem(atPath: folder + "/batches.meta.txt")
        try Self.write(Self.records([[1], [2], [3]], start: 0), folder, "data_batch_1.bin", gzip: true)
        let gz = folder + "/data_batch_1.bin.gz"
        let bytes = try Data(contentsOf: URL(fileURLWithPath: gz))
        try bytes.prefix(bytes.count / 2).write(to: URL(fileURLWithPath: gz))
        expectError(["data_batch_1.bin.gz"])
        // An empty file.
        try FileManager.default.removeItem(atPath: gz)
        try Data().write(to: URL(fileURLWithPath: folder + "/data_batch_1.bin"))
        expectError(["data_batch_1.bin", "0 bytes"])
        // CIFAR-100 records read as CIFAR-10 do not divide; a fine label over 99.
        try FileManager.default.removeItem(atPath: folder + "/data_batch_1.bin")
        try Self.write(Self.records([[1, 120]], start: 0), folder, "train.bin")
        expectError(["train.bin", "label 120"], .cifar100)
        // A folder that does not exist.
        #expect(throws: ConvNetError.self) { try CIFAR.load(directory: folder + "/missing", variant: .cifar10, split: .train) }
    }

    @Test("the shared sample: 4,000 images, 366–422 per class, held out by seed as torch.randperm would")
    func sample() throws {
        let train = try #require(try CIFAR.load(directory: Fixtures.cifarSample, variant: .cifar10, split: .train))
        #expect(train.count == 4000)
        let perClass = (0..<10).map { c in train.labels.filter { $0 == c }.count }
        #expect(perClass.min()! >= 366 && perClass.max()! <= 422, "\(perClass)")
        var request = DataRequest(dataset: "cifar10", directory: Fixtures.cifarSample, channels: 3)
        request.holdout = .count(1000)
        request.seed = 7
        let prepared = try DatasetCatalog.prepare(request)
        #expect(prepared.train.count == 3000 && prepared.evaluation.count == 1000 && prepared.evaluationName == "held-out")
        var generator = RandomGenerator(seed: 7)
        let held = Array(generator.permutation(4000).prefix(1000)).sorted()
        #expect(prepared.evaluation.labels == held.map { train.labels[$0] })
        #expect(prepared.evaluation.pixels.prefix(3072) == train.pixels[(held[0] * 3072)..<(held[0] * 3072 + 3072)])
        // The rest train, in their order, and no image is in both.
        let heldSet = Set(held)
        #expect(prepared.train.labels == (0..<4000).filter { !heldSet.contains($0) }.map { train.labels[$0] })
        // Without --holdout: 20 %, said in a note.
        request.holdout = nil
        let defaulted = try DatasetCatalog.prepare(request)
        #expect(defaulted.evaluation.count == 800 && defaulted.notes.contains { $0.contains("held out 800 of 4000") })
        // A gray model sees PIL's luma; --image-size resizes.
        request.channels = 1
        request.imageSize = 28
        request.trainLimit = 10
        let gray = try DatasetCatalog.prepare(request)
        #expect(gray.train.channels == 1 && gray.train.height == 28 && gray.normalization.mean.count == 1)
    }

    @Test("--holdout: counts, fractions, percentages; nonsense refused")
    func holdoutParsing() throws {
        #expect(try Holdout(parsing: "1000") == .count(1000))
        #expect(try Holdout(parsing: "0.25") == .fraction(0.25))
        #expect(try Holdout(parsing: "25%") == .fraction(0.25))
        #expect(try Holdout(parsing: "0.25").count(of: 4000) == 1000)
        for bad in ["0", "-3", "1.5", "abc", "100%", ""] { #expect(throws: ConvNetError.self) { try Holdout(parsing: bad) } }
        #expect(throws: ConvNetError.self) { try Holdout.count(4000).count(of: 4000) }
    }
}
