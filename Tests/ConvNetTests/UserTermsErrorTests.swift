import ConvNet
import Foundation
import Testing

/// User mistakes are reported in the user's terms: file names as they are (escaped where they are
/// not UTF-8), image sizes and class counts rather than a layer's shapes, and the reason a
/// percentage is refused.
@Suite("errors in the user's terms", .serialized)
struct UserTermsErrorTests {
    /// `bytes` as a path under `root` (the bytes need not be UTF-8).
    static func path(_ root: String, _ bytes: [UInt8]) -> RawPath { RawPath(bytes: Array(root.utf8) + [UInt8(ascii: "/")] + bytes) }

    static func write(_ data: Data, to path: RawPath) throws {
        let fd = (path.bytes + [0]).withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) { open($0.baseAddress!, O_WRONLY | O_CREAT | O_TRUNC, 0o644) }
        }
        try #require(fd >= 0)
        defer { close(fd) }
        _ = data.withUnsafeBytes { Foundation.write(fd, $0.baseAddress, $0.count) }
    }

    static func makeFolder(_ path: RawPath) throws {
        let status = (path.bytes + [0]).withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) { mkdir($0.baseAddress!, 0o755) }
        }
        try #require(status == 0)
    }

    @Test("image folders whose file and class names are not UTF-8 load, and errors name them with \\x escapes")
    func nonUTF8Names() throws {
        let root = Fixtures.temporaryFolder("non-utf8")
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: root) }
        let png = try Image(width: 4, height: 4, channels: 1, pixels: [UInt8](repeating: 200, count: 16)).pngData()
        let latin1Class: [UInt8] = Array("caf".utf8) + [0xE9]           // "café" in Latin-1
        for (folder, files) in [(Array("dog".utf8), [Array("a.png".utf8)]), (latin1Class, [[0xFF, 0x2E, 0x70, 0x6E, 0x67], Array("b.png".utf8)])] {
            try Self.makeFolder(Self.path(root, folder))
            for file in files { try Self.write(png, to: Self.path(root, folder + [UInt8(ascii: "/")] + file)) }
        }
        let folder = try ImageFolder(root: root)
        #expect(folder.classNames == ["caf\\xe9", "dog"])
        #expect(folder.samples.map(\.path) == [root + "/caf\\xe9/b.png", root + "/caf\\xe9/\\xff.png", root + "/dog/a.png"])
        let (dataset, skipped) = try folder.load(channels: 1)
        #expect(dataset.count == 3 && skipped.isEmpty && dataset.labels == [0, 0, 1])

        // An unreadable file is named readably; the command line loads the folder too.
        try Self.write(Data("not an image".utf8), to: Self.path(root, latin1Class + Array("/c".utf8) + [0xFE] + Array(".png".utf8)))
        let outcome = try BadInputMatrixTests.convnet(["stats", "--dataset", "folder", "--data", root])
        #expect(BadInputMatrixTests.judge("stats", outcome, mustName: [root + "/caf\\xe9/c\\xfe.png"]) == nil, "\(outcome.output)")
        let skipping = try BadInputMatrixTests.convnet(["stats", "--dataset", "folder", "--data", root, "--skip-bad-images"])
        #expect(skipping.status == 0, "\(skipping.output)")
    }

    @Test("predict and bench decode open an image argument whose name is not UTF-8, and name it with \\x escapes")
    func nonUTF8Argument() throws {
        let w = try BadInputMatrixTests.Workspace()
        defer { try? FileManager.default.removeItem(atPath: w.root) }
        let png = try Data(contentsOf: URL(fileURLWithPath: w.image))
        try Self.write(png, to: Self.path(w.root, [0x64, 0xFF, 0x2E, 0x70, 0x6E, 0x67]))  // "d\xff.png"
        // Process takes Strings: the shell's printf makes the argument's byte.
        func run(_ command: String) throws -> (status: Int32, output: String) {
            try ChildProcess.shell(command, [SignalTests.executable, w.checkpoint, w.root])
        }
        let predicted = try run(#"exec "$0" predict --model lenet5 --weights "$1" "$2/$(printf 'd\377.png')""#)
        #expect(predicted.status == 0 && predicted.output.hasPrefix(w.root + "/d\\xff.png:"), "\(predicted.output)")
        let decoded = try run(#"exec "$0" bench decode --budget 0.1 "$2/$(printf 'd\377.png')""#)
        #expect(decoded.status == 0, "\(decoded.output)")
        let missing = try run(#"exec "$0" predict --model lenet5 --weights "$1" "$2/$(printf 'e\377.png')""#)
        #expect(missing.status != 0 && missing.output.contains(w.root + "/e\\xff.png: cannot read the file (No such file or directory)"), "\(missing.output)")
    }

    @Test("eval and report on a dataset of other image sizes or classes say so in those terms, not a layer's shapes")
    func otherDataset() throws {
        let w = try BadInputMatrixTests.Workspace()
        defer { try? FileManager.default.removeItem(atPath: w.root) }
        let threeClasses = try BoundedWorkTests.tinyFolder(w.root, classes: 3)
        let cases: [([String], [String])] = [
            (["eval", "--checkpoint", w.checkpoint, "--dataset", "cifar10", "--data", Fixtures.cifarSample, "--threads", "2"],
             ["1×28×28 images", "1×32×32"]),
            (["report", "--checkpoint", w.checkpoint, "--dataset", "cifar10", "--data", Fixtures.cifarSample, "--threads", "2",
              "--out", w.root + "/report"], ["1×28×28 images", "1×32×32"]),
            (["eval", "--checkpoint", w.checkpoint, "--dataset", "folder", "--data", threeClasses, "--threads", "2"],
             ["trained on 10 classes", "have 3"]),
        ]
        for (arguments, expected) in cases {
            let outcome = try BadInputMatrixTests.convnet(arguments)
            #expect(BadInputMatrixTests.judge(arguments.prefix(2).joined(separator: " "), outcome, mustName: expected) == nil, "\(outcome.output)")
            #expect(expected.allSatisfy { outcome.output.contains($0) } && !outcome.output.contains("linear"), "\(outcome.output)")
        }
    }

    @Test("predict with a checkpoint whose input size the model cannot take names the sizes, not a layer's shapes")
    func predictInputShape() throws {
        let w = try BadInputMatrixTests.Workspace()
        defer { try? FileManager.default.removeItem(atPath: w.root) }
        let path = try BoundedWorkTests.edited(w, "input_shape", "[1, 64, 64]")
        let outcome = try BadInputMatrixTests.convnet(["predict", "--model", "lenet5", "--weights", path, w.image])
        #expect(BadInputMatrixTests.judge("predict", outcome, mustName: ["1×64×64 images"]) == nil, "\(outcome.output)")
        #expect(!outcome.output.contains("linear"), "\(outcome.output)")
    }

    @Test("train --resume on another dataset names its classes or image size")
    func resumeOnOtherData() throws {
        let root = Fixtures.temporaryFolder("resume-other")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let first = try BoundedWorkTests.tinyFolder(root + "/first")
        let second = root + "/second/tiny"
        try FileManager.default.createDirectory(atPath: root + "/second", withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: first, toPath: second)
        try FileManager.default.moveItem(atPath: second + "/class0", toPath: second + "/zebra")
        let common = ["train", "--dataset", "folder", "--holdout", "2", "--threads", "2", "--out", root + "/run"]
        let trained = try CommandLineTests.convnet(common + ["--data", first, "--epochs", "1"])
        #expect(trained.status == 0, "\(trained.output)")
        let outcome = try BadInputMatrixTests.convnet(common + ["--data", second, "--epochs", "2", "--resume"])
        #expect(BadInputMatrixTests.judge("train --resume", outcome, mustName: ["trained on other classes"]) == nil, "\(outcome.output)")
        #expect(outcome.output.contains("class 0 is \"class0\" in the checkpoint but \"class1\" here"), "\(outcome.output)")
    }

    @Test("--holdout: percentages 0–100 are read, and 0 % or 100 % are refused with the reason")
    func holdout() throws {
        #expect(try Holdout(parsing: "25%") == .fraction(0.25))
        #expect(try Holdout(parsing: " 12.5 % ") == .fraction(0.125))
        #expect(try Holdout(parsing: "0.25") == .fraction(0.25))
        #expect(try Holdout(parsing: "1000") == .count(1000))
        func reason(_ text: String) -> String { BoundedWorkTests.message { try Holdout(parsing: text) } }
        #expect(reason("100%").hasPrefix("`holdout`: 100%: a holdout of 100 % leaves nothing to train on"))
        #expect(reason("100 %").contains("leaves nothing to train on"))
        #expect(reason("0%").contains("leaves nothing to evaluate on"))
        #expect(reason("1.0").contains("leaves nothing to train on"))
        #expect(reason("0").contains("leaves nothing to evaluate on"))
        #expect(reason("-3").contains("leaves nothing to evaluate on"))
        #expect(reason("150%").contains("more than the whole training set"))
        #expect(reason("2.5").contains("neither a whole number of images nor a fraction"))
        #expect(reason("half").contains("a number of images (1000), a fraction (0.25) or a percentage (25%)"))
        #expect(reason("nan%").contains("not a percentage"))
        let w = try BadInputMatrixTests.Workspace()
        defer { try? FileManager.default.removeItem(atPath: w.root) }
        let outcome = try BadInputMatrixTests.convnet(["train", "--holdout", "100%", "--out", w.root + "/h"])
        #expect(BadInputMatrixTests.judge("train --holdout 100%", outcome, mustName: ["--holdout", "nothing to train on"]) == nil, "\(outcome.output)")
    }
}
