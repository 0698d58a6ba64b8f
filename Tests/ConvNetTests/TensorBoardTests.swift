import ConvNet
import Foundation
import Testing

@Suite("TensorBoard event files", .serialized)
struct TensorBoardTests {
    static let reference = Fixtures.directory.appendingPathComponent("tensorboard/reference.tfevents").path

    @Test("CRC-32C matches the published check value and RFC 3720's iSCSI vectors")
    func crc32c() {
        #expect(CRC32C.checksum(Array("123456789".utf8)) == 0xE306_9283)
        #expect(CRC32C.checksum([UInt8]()) == 0)
        #expect(CRC32C.checksum([UInt8](repeating: 0, count: 32)) == 0x8A91_36AA)
        #expect(CRC32C.checksum([UInt8](repeating: 0xFF, count: 32)) == 0x62A8_AB43)
        #expect(CRC32C.checksum((0..<32).map(UInt8.init)) == 0x46DD_794E)
        #expect(CRC32C.checksum((0..<32).reversed().map(UInt8.init)) == 0x113F_DB5C)
        // The mask: rotate right by 15, add 0xa282ead8 (wrapping).
        let crc = CRC32C.checksum(Array("123456789".utf8))
        #expect(CRC32C.masked(Array("123456789".utf8)) == ((crc >> 15) | (crc << 17)) &+ 0xA282_EAD8)
    }

    @Test("a file written by the tensorboard package's own writer: both CRCs pass, events and the PNG decode")
    func readsReference() throws {
        let events = try TensorBoardEvents.read(path: Self.reference)
        #expect(events.count == 4)
        #expect(events[0].fileVersion == "brain.Event:2" && events[0].wallTime == 1_700_000_000)
        #expect(events[1].step == 7 && events[1].wallTime == 1_700_000_001.5
                && events[1].values == [.scalar(tag: "train/batch_loss", value: 0.6931472)])
        #expect(events[2].step == 938 && events[2].values == [.scalar(tag: "epoch/test_accuracy", value: 97.5)])
        guard case let .image(tag, width, height, channels, png)? = events[3].values.first else {
            Issue.record("no image in \(events[3])")
            return
        }
        #expect(tag == "filters/conv1.weight" && width == 3 && height == 2 && channels == 3)
        let image = try Image.decode(png, channels: 3)
        #expect(image.pixels == [255, 0, 0, 0, 255, 0, 0, 0, 255, 0, 0, 0, 128, 128, 128, 255, 255, 255])
    }

    @Test("the writer's bytes equal the tensorboard package's for the same events")
    func writesReferenceBytes() throws {
        let folder = Fixtures.temporaryFolder("tensorboard")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let writer = try TensorBoardWriter(directory: folder, now: Date(timeIntervalSince1970: 1_700_000_000))
        try writer.addScalar("train/batch_loss", 0.6931472, step: 7, wallTime: Date(timeIntervalSince1970: 1_700_000_001.5))
        try writer.addScalar("epoch/test_accuracy", 97.5, step: 938, wallTime: Date(timeIntervalSince1970: 1_700_000_002.25))
        try writer.flush()
        #expect((writer.path as NSString).lastPathComponent.hasPrefix("events.out.tfevents.1700000000."))
        let ours = try Data(contentsOf: URL(fileURLWithPath: writer.path))
        let theirs = try Data(contentsOf: URL(fileURLWithPath: Self.reference))
        // The first three records (the image's PNG is encoded by another library in the fixture).
        let prefix = try TFRecord.records(in: theirs, name: "reference").prefix(3).reduce(0) { $0 + $1.count + 16 }
        #expect(ours.count == prefix)
        #expect(ours == theirs.prefix(prefix))
    }

    @Test("a flipped bit in a length, in data or a truncated file is reported with the record and offset")
    func detectsCorruption() throws {
        let good = try Data(contentsOf: URL(fileURLWithPath: Self.reference))
        let records = try TFRecord.records(in: good, name: "reference")
        let second = records[0].count + 16  // where record 2 starts
        for (offset, expected) in [(second + 1, "length whose CRC"), (second + 12 + 3, "data whose CRC"),
                                   (good.count - 2, "data whose CRC")] {
            var bad = good
            bad[offset] ^= 0x10
            #expect {
                try TFRecord.records(in: bad, name: "bad.tfevents")
            } throws: { error in
                let text = "\(error)"
                return text.contains("bad.tfevents") && text.contains(expected)
            }
        }
        #expect { try TFRecord.records(in: good.prefix(good.count - 3), name: "short") } throws: { "\($0)".contains("ends") }
        #expect { try TFRecord.records(in: good.prefix(second + 5), name: "short") } throws: { "\($0)".contains("truncated") }
    }

    @Test("filter grid: one tile per filter, each scaled to 0–255 by its own range, enlarged, black between")
    func filterGrid() throws {
        // Two 1×2×2 filters: [0, 1, 2, 3] and [-1, -1, -1, 5].
        let weight = try Tensor(shape: [2, 1, 2, 2], scalars: [0, 1, 2, 3, -1, -1, -1, 5])
        let image = try FilterGrid.image(of: weight, scale: 2)
        // 2 tiles → 2 columns, 1 row; each 4×4 plus a 2-pixel border.
        #expect(image.width == 2 * (4 + 2) + 2 && image.height == 4 + 4 && image.channels == 1)
        func pixel(_ x: Int, _ y: Int) -> UInt8 { image.pixels[y * image.width + x] }
        #expect(pixel(0, 0) == 0 && pixel(2, 2) == 0 && pixel(3, 3) == 0 && pixel(4, 2) == 85 && pixel(5, 5) == 255)
        #expect(pixel(2, 4) == 170 && pixel(6, 2) == 0)  // the gap between the tiles
        #expect(pixel(8, 2) == 0 && pixel(10, 2) == 0 && pixel(10, 4) == 255 && pixel(11, 5) == 255)
        // Three input channels: one RGB tile per filter.
        let rgb = try FilterGrid.image(of: Tensor.zeros([4, 3, 5, 5]), scale: 1)
        #expect(rgb.channels == 3 && rgb.width == 2 * 6 + 1 && rgb.height == 2 * 6 + 1)
    }

    @Test("a short run logged through the observer reads back: steps, each batch's loss and rate, epoch metrics, filters")
    func trainingRun() throws {
        let folder = Fixtures.temporaryFolder("tensorboard-run")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        var options = TrainingOptions()
        (options.epochs, options.trainLimit, options.testLimit, options.batchSize, options.threads) = (2, 256, 200, 64, 2)
        (options.schedule, options.learningRate) = (.cosine, 0.05)
        let trainer = try Trainer(options: options, dataDirectory: TrainingTests.mnist, outputDirectory: folder + "/run")
        let board = TensorBoardObserver(writer: try TensorBoardWriter(directory: folder + "/tb"), trainer: trainer)
        trainer.observer = board
        #expect(try trainer.run() == .completed)
        #expect(board.failure == nil)

        let files = try TensorBoardEvents.files(in: folder + "/tb")
        #expect(files.count == 1)
        let events = try TensorBoardEvents.read(path: files[0])
        #expect(events.first?.fileVersion == "brain.Event:2")
        var scalars: [String: [(step: Int, value: Float)]] = [:]
        var images: [(tag: String, step: Int, image: Image)] = []
        for event in events {
            for value in event.values {
                switch value {
                case let .scalar(tag, number): scalars[tag, default: []].append((event.step, number))
                case let .image(tag, _, _, channels, png): images.append((tag, event.step, try Image.decode(png, channels: channels)))
                case .other: Issue.record("unexpected value \(value)")
                }
            }
        }
        let losses = scalars["train/batch_loss"] ?? []
        #expect(losses.map(\.step) == Array(1...8))
        // All batches hold 64 images, so each epoch's mean of batch losses is its train loss.
        for epoch in 0..<2 {
            let mean = losses[epoch * 4..<epoch * 4 + 4].map { Double($0.value) }.reduce(0, +) / 4
            #expect(abs(mean - trainer.history[epoch].trainLoss) < 1e-5)
        }
        let rates = scalars["train/learning_rate"] ?? []
        #expect(rates.map(\.step) == Array(1...8) && abs(Double(rates[0].value) - 0.05) < 1e-7 && rates[7].value < rates[0].value)
        for (tag, path) in [("epoch/train_loss", \EpochMetrics.trainLoss), ("epoch/train_accuracy", \.trainAccuracy),
                            ("epoch/test_loss", \.testLoss), ("epoch/test_accuracy", \.testAccuracy)] {
            let logged = scalars[tag] ?? []
            #expect(logged.map(\.step) == [4, 8], "\(tag)")
            #expect(logged.map(\.value) == trainer.history.map { Float($0[keyPath: path]) }, "\(tag)")
        }
        // The filters as the run started and after each epoch: LeNet-5's six 5×5 gray filters, 3×2 tiles.
        #expect(images.map(\.step) == [0, 4, 8] && images.allSatisfy { $0.tag == "filters/conv1.weight" })
        #expect(images.allSatisfy { $0.image.channels == 1 && $0.image.width == 3 * 48 + 8 && $0.image.height == 2 * 48 + 8 })
        #expect(images[2].image == (try FilterGrid.image(of: trainer.model.namedParameters()[0].tensor)))
        #expect(images[0].image != images[2].image)
    }

    @Test("--tensorboard at a file or where no folder can be made: one line naming it, before training")
    func badFolder() throws {
        let folder = Fixtures.temporaryFolder("tensorboard-bad")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let file = folder + "/file"
        try Data("x".utf8).write(to: URL(fileURLWithPath: file))
        #expect { try TensorBoardWriter.prepare(directory: file) } throws: { "\($0)".contains("\(file) is a file") }
        #expect { try TensorBoardWriter.prepare(directory: file + "/sub") } throws: { "\($0)".contains("cannot create the folder \(file)/sub") }
        for target in [file, file + "/sub"] {
            let (status, output) = try CommandLineTests.convnet(["train", "--epochs", "1", "--train-limit", "64", "--test-limit", "64",
                                                                 "--out", folder + "/run", "--tensorboard", target])
            #expect(status != 0)
            let lines = output.split(separator: "\n")
            #expect(lines.count == 1 && lines[0].contains(target), "\(output)")
            #expect(!FileManager.default.fileExists(atPath: folder + "/run/metrics.csv"))
        }
    }
}
