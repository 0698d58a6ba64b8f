import ConvNet
import Foundation
import Testing

/// torchvision's ImageFolder layout: class and file order, what is ignored, errors, loading.
@Suite("image folders: torchvision's layout and order, loading")
struct ImageFolderTests {
    /// A fresh folder with `files` (relative paths → contents) and `folders` (relative paths, made empty).
    static func tree(_ files: [String: [UInt8]], folders: [String] = []) throws -> String {
        let root = NSTemporaryDirectory() + "convnet-folder-\(UUID().uuidString)"
        for folder in folders {
            try FileManager.default.createDirectory(atPath: root + "/" + folder, withIntermediateDirectories: true)
        }
        for (path, bytes) in files {
            let url = URL(fileURLWithPath: root + "/" + path)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(bytes).write(to: url)
        }
        return root
    }

    static func remove(_ root: String) { try? FileManager.default.removeItem(atPath: root) }

    /// PNG bytes of a `width × height` RGB image whose pixels start at `seed`.
    static func png(_ width: Int, _ height: Int, seed: Int = 0) throws -> [UInt8] {
        let path = NSTemporaryDirectory() + "convnet-\(UUID().uuidString).png"
        defer { try? FileManager.default.removeItem(atPath: path) }
        let pixels = (0..<(width * height * 3)).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ seed &* 31) }
        try Image(width: width, height: height, channels: 3, pixels: pixels).writePNG(path: path)
        return [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
    }

    static func message(_ body: () throws -> Void) -> String {
        do { try body() } catch let error as ConvNetError { return error.message } catch { return "\(error)" }
        return ""
    }

    @Test("classes and files come in torchvision's make_dataset order; hidden names and other extensions are ignored")
    func order() throws {
        let image = try Self.png(4, 4)
        let root = try Self.tree([
            "a/z.png": image, "a/Y.PNG": image, "a/sub/2.jpg": image, "a/sub/10.jpeg": image, "a/sub b/x.png": image,
            "a/sub/deeper/d.png": image, "B/1.png": image, "b/1.png": image, "ä/1.png": image,
            "a/notes.txt": [1], "a/pic.bmp": [1], "a/.hidden.png": image, "a/.git/x.png": image, ".cache/x/1.png": image,
            "loose.png": image,
        ])
        defer { Self.remove(root) }
        let folder = try ImageFolder(root: root)
        #expect(folder.classNames == ["B", "a", "b", "ä"])
        // As torchvision.datasets.folder.make_dataset lists the same tree (checked with torchvision 0.29).
        let expected: [(String, Int)] = [
            ("B/1.png", 0), ("a/Y.PNG", 1), ("a/pic.bmp", 1), ("a/z.png", 1), ("a/sub/10.jpeg", 1), ("a/sub/2.jpg", 1),
            ("a/sub b/x.png", 1), ("a/sub/deeper/d.png", 1), ("b/1.png", 2), ("ä/1.png", 3),
        ]
        #expect(folder.samples == expected.map { ImageFolder.Sample(path: root + "/" + $0.0, label: $0.1) })
    }

    @Test("missing root, no class folders, an empty class and no images at all are errors naming the folder")
    func errors() throws {
        let missing = NSTemporaryDirectory() + "convnet-missing-\(UUID().uuidString)"
        #expect(Self.message { _ = try ImageFolder(root: missing) } == "\(missing): no such folder")
        let flat = try Self.tree(["a.png": try Self.png(2, 2), ".hidden/b.png": try Self.png(2, 2)])
        defer { Self.remove(flat) }
        #expect(Self.message { _ = try ImageFolder(root: flat) }.hasPrefix("\(flat): no class folders"))
        #expect(Self.message { _ = try ImageFolder(root: flat + "/a.png") } == "\(flat)/a.png: not a folder")
        let emptyClass = try Self.tree(["cat/1.png": try Self.png(2, 2), "dog/readme.txt": [1]], folders: ["emu"])
        defer { Self.remove(emptyClass) }
        #expect(Self.message { _ = try ImageFolder(root: emptyClass) }.hasPrefix("\(emptyClass): no images in the class folders \"dog\", \"emu\" (looked for .bmp .jpeg .jpg"))
        let nothing = try Self.tree(["cat/a.txt": [1]], folders: ["dog/deep"])
        defer { Self.remove(nothing) }
        #expect(Self.message { _ = try ImageFolder(root: nothing) }.hasPrefix("\(nothing): no images in any of its 2 class folders"))
    }

    @Test("splits: ROOT/train with ROOT/val or ROOT/test, else ROOT alone")
    func splits() throws {
        let image = try Self.png(2, 2)
        let both = try Self.tree(["train/a/1.png": image, "val/a/1.png": image, "test/a/1.png": image])
        let testOnly = try Self.tree(["train/a/1.png": image, "test/a/1.png": image])
        let plain = try Self.tree(["a/1.png": image])
        defer { [both, testOnly, plain].forEach(Self.remove) }
        #expect(ImageFolder.splits(root: both) == (both + "/train", both + "/val"))
        #expect(ImageFolder.splits(root: testOnly) == (testOnly + "/train", testOnly + "/test"))
        #expect(ImageFolder.splits(root: plain) == (plain, nil))
    }

    @Test("load: CHW bytes in sample order with labels; PNG and JPEG; gray; the same with 1 and 3 workers")
    func load() throws {
        let jpeg = [UInt8](try Data(contentsOf: ImageCodecTests.folder.appendingPathComponent("rgb420.jpg")))
        let png = [UInt8](try Data(contentsOf: ImageCodecTests.folder.appendingPathComponent("rgb8.png")))
        var files: [String: [UInt8]] = [:]
        for i in 0..<7 { files["cat/\(i).jpg"] = jpeg; files["dog/\(i).png"] = png }
        let root = try Self.tree(files)
        defer { Self.remove(root) }
        let folder = try ImageFolder(root: root)
        let (one, skipped) = try folder.load(channels: 3, imageSize: nil, workers: 1, skipBadImages: false)
        #expect(skipped.isEmpty && one.count == 14 && one.labels == Array(repeating: 0, count: 7) + Array(repeating: 1, count: 7))
        #expect(one.channels == 3 && one.height == 29 && one.width == 37 && one.classNames == ["cat", "dog"])
        let photo = try Image.decode(jpeg)
        let plane = 29 * 37
        let red: [UInt8] = (0..<plane).map { photo.pixels[$0 * 3] }, green: [UInt8] = (0..<plane).map { photo.pixels[$0 * 3 + 1] }
        #expect(Array(one.pixels[0..<plane]) == red && Array(one.pixels[plane..<(2 * plane)]) == green)
        let three = try folder.load(channels: 3, imageSize: nil, workers: 3, skipBadImages: false).dataset
        #expect(three.pixels == one.pixels && three.labels == one.labels)
        let gray = try folder.load(channels: 1, imageSize: 16, workers: 3, skipBadImages: false).dataset
        #expect(gray.channels == 1 && gray.height == 16 && gray.width == 16 && gray.count == 14)
        let expected = try ImageTransforms.centerCrop(ImageTransforms.resize(Image.decode(png, channels: 1), shorterSide: 16), width: 16, height: 16)
        #expect(Array(gray.pixels.suffix(256)) == expected.pixels)
    }

    @Test("images of different sizes need an image size; the error names the file and both sizes")
    func sizes() throws {
        let root = try Self.tree(["a/1.png": try Self.png(8, 6), "a/2.png": try Self.png(8, 6), "b/1.png": try Self.png(5, 9)])
        defer { Self.remove(root) }
        let folder = try ImageFolder(root: root)
        for workers in [1, 3] {
            #expect(Self.message { _ = try folder.load(channels: 3, imageSize: nil, workers: workers, skipBadImages: true) }
                == "\(root)/b/1.png: 5×9 pixels, but \(root)/a/1.png has 8×6; images of different sizes need an image size (`imageSize` S) to be resized and center-cropped to S×S")
        }
        let resized = try folder.load(channels: 3, imageSize: 4, workers: 2, skipBadImages: false).dataset
        #expect(resized.count == 3 && resized.height == 4 && resized.width == 4)
    }

    @Test("unreadable files fail the load naming the first one, or are skipped and counted")
    func badImages() throws {
        let good = try Self.png(6, 6)
        let truncated = Array(try Self.png(6, 6, seed: 3).prefix(40))
        let root = try Self.tree([
            "a/1.png": good, "a/2.png": [UInt8]("not an image".utf8), "a/3.png": good, "b/1.jpg": [], "b/2.png": good,
            "b/3.png": truncated, "b/4.bmp": [0x42, 0x4D, 0, 0], "c/1.png": good,
        ])
        defer { Self.remove(root) }
        let folder = try ImageFolder(root: root)
        for workers in [1, 3] {
            #expect(Self.message { _ = try folder.load(channels: 3, imageSize: nil, workers: workers, skipBadImages: false) }
                == "\(root)/a/2.png: not a PNG or JPEG image (it starts with 6e 6f 74 20 61 6e 20 69) (`skipBadImages` leaves unreadable files out)")
            let (dataset, skipped) = try folder.load(channels: 1, imageSize: nil, workers: workers, skipBadImages: true)
            #expect(skipped.map(\.path) == ["a/2.png", "b/1.jpg", "b/3.png", "b/4.bmp"].map { root + "/" + $0 })
            #expect(skipped.allSatisfy { $0.reason.hasPrefix($0.path + ": ") })
            #expect(dataset.count == 4 && dataset.labels == [0, 0, 1, 2] && dataset.pixels.count == 4 * 36)
        }
        // The first file unreadable: its reason, before any size is known.
        let first = try Self.tree(["a/0.png": [], "a/1.png": good])
        defer { Self.remove(first) }
        #expect(Self.message { _ = try ImageFolder(root: first).load(channels: 3, imageSize: nil, workers: 2, skipBadImages: false) }
            == "\(first)/a/0.png: empty (0 bytes), not an image (`skipBadImages` leaves unreadable files out)")
        #expect(try ImageFolder(root: first).load(channels: 3, imageSize: nil, workers: 2, skipBadImages: true).dataset.count == 1)
        let none = try Self.tree(["a/0.png": [], "b/1.png": [1, 2]])
        defer { Self.remove(none) }
        #expect(Self.message { _ = try ImageFolder(root: none).load(channels: 3, imageSize: 8, workers: 2, skipBadImages: true) }
            .hasPrefix("\(none): none of the 2 images could be read (first: \(none)/a/0.png: empty"))
    }
}
