import ConvNet
import Foundation
import Testing

/// The CIFAR sample written out as class folders of PNG and JPEG files reads back as the binary
/// batches: the same images (PNG exactly, JPEG within its loss) under the same labels.
@Suite("image folders made from CIFAR batches")
struct FolderDatasetTests {
    static func binary(_ n: Int) throws -> ImageDataset {
        try #require(try CIFAR.load(directory: Fixtures.cifarSample, variant: .cifar10, split: .train)).prefix(n)
    }

    /// The binary images in ImageFolder's order: classes by name (CIFAR-10's names sort as its
    /// labels), files by name (the image index) within each class.
    static func folderOrder(_ data: ImageDataset) -> [Int] {
        (0..<data.classNames.count).flatMap { c in (0..<data.count).filter { data.labels[$0] == c } }
    }

    @Test("PNG folders give the binary path's pixels exactly; JPEG (quality 95) within its loss", arguments: ImageDataset.FolderFormat.allCases)
    func sameImages(format: ImageDataset.FolderFormat) throws {
        let data = try Self.binary(60)
        let root = Fixtures.temporaryFolder("folder")
        defer { try? FileManager.default.removeItem(atPath: root) }
        try data.writeFolder(root: root, format: format, quality: 95)
        let folder = try ImageFolder(root: root)
        #expect(folder.classNames == CIFAR.cifar10Names.filter { name in data.labels.contains(CIFAR.cifar10Names.firstIndex(of: name)!) })
        let (loaded, skipped) = try folder.load(channels: 3, workers: 3)
        #expect(skipped.isEmpty && loaded.count == 60 && loaded.height == 32 && loaded.width == 32)
        let expected = data.subset(Self.folderOrder(data))
        #expect(loaded.labels.map { loaded.classNames[$0] } == expected.labels.map { expected.classNames[$0] })
        if format == .png {
            #expect(loaded.pixels == expected.pixels)
        } else {
            let errors = zip(loaded.pixels, expected.pixels).map { abs(Int($0) - Int($1)) }
            let mean = Double(errors.reduce(0, +)) / Double(errors.count)
            // Measured: mean 3.1 levels, largest 66 (4:2:0 chroma on 32×32 colour detail); a
            // misplaced plane or image is off by ~50 on average.
            #expect(mean < 4.5 && errors.max()! < 100, "JPEG error: mean \(mean), max \(errors.max()!)")
            #expect(mean > 0, "a lossy format that is exact would mean the JPEG path was not taken")
        }
    }

    @Test("--dataset folder trains end to end: held-out images, training-set statistics, class names in the checkpoint")
    func trainsFromFolder() throws {
        let data = try Self.binary(300)
        let root = Fixtures.temporaryFolder("folder-train"), out = Fixtures.temporaryFolder("folder-run")
        defer {
            try? FileManager.default.removeItem(atPath: root)
            try? FileManager.default.removeItem(atPath: out)
        }
        try data.writeFolder(root: root + "/train", format: .png)
        // A stray file and a hidden one: the first is skipped with --skip-bad-images, the second ignored.
        try Data("not an image".utf8).write(to: URL(fileURLWithPath: root + "/train/cat/broken.png"))
        try Data("hidden".utf8).write(to: URL(fileURLWithPath: root + "/train/cat/.DS_Store"))
        var options = TrainingOptions()
        (options.model, options.dataset, options.holdout, options.augment) = ("resnet20", "folder", "0.2", "cifar")
        (options.epochs, options.batchSize, options.threads, options.learningRate) = (1, 50, 2, 0.05)
        do {
            _ = try Trainer(options: options, dataDirectory: root, outputDirectory: out)
            Issue.record("a broken image was accepted without --skip-bad-images")
        } catch let error as ConvNetError {
            #expect(error.message.contains("broken.png"), "\(error.message)")
        }
        options.skipBadImages = true
        let trainer = try Trainer(options: options, dataDirectory: root, outputDirectory: out, workers: 2)
        #expect(trainer.data.notes.contains { $0.contains("skipped 1 unreadable image") })
        #expect(trainer.trainLoader.dataset.count == 240 && trainer.testLoader.dataset.count == 60)
        let statistics = ChannelStatistics(trainer.trainLoader.dataset).normalization
        #expect(trainer.data.normalization == statistics)
        #expect(try trainer.run() == .completed)
        let checkpoint = try Checkpoint.load(path: trainer.checkpointPath)
        #expect(checkpoint.classNames == trainer.trainLoader.dataset.classNames && checkpoint.inputShape == [3, 32, 32])
    }

    @Test("a validation folder whose classes differ from the training folder's is refused")
    func mismatchedSplits() throws {
        let data = try Self.binary(40)
        let root = Fixtures.temporaryFolder("folder-splits")
        defer { try? FileManager.default.removeItem(atPath: root) }
        try data.writeFolder(root: root + "/train")
        try data.subset((0..<40).filter { data.labels[$0] != 3 }).writeFolder(root: root + "/val")
        try? FileManager.default.removeItem(atPath: root + "/val/cat")
        var request = DataRequest(dataset: "folder", directory: root, channels: 3)
        request.workers = 2
        #expect(throws: ConvNetError.self) { try DatasetCatalog.prepare(request) }
        try FileManager.default.removeItem(atPath: root + "/val")
        try data.writeFolder(root: root + "/test")
        let prepared = try DatasetCatalog.prepare(request)
        #expect(prepared.evaluationName == "test" && prepared.evaluation.count == 40)
    }
}
