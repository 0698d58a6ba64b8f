import ConvNet
import Foundation
import Testing

@Suite("images: PNG, transforms, prediction")
struct ImageTests {
    static func temporaryPath(_ name: String) -> String { NSTemporaryDirectory() + "convnet-\(UUID().uuidString)-\(name)" }

    @Test("PNG round trip in gray and RGB; gray read of an RGB file is PIL's luma")
    func pngRoundTrip() throws {
        let rgb = try Image(width: 3, height: 2, channels: 3, pixels: (0..<18).map { UInt8($0 * 14) })
        let path = Self.temporaryPath("rgb.png")
        defer { try? FileManager.default.removeItem(atPath: path) }
        try rgb.writePNG(path: path)
        #expect(try Image.readPNG(path: path, channels: 3) == rgb)
        let gray = try Image.readPNG(path: path, channels: 1)
        #expect(gray.channels == 1 && gray.width == 3 && gray.height == 2)
        // PIL's convert("L"): (19595 R + 38470 G + 7471 B + 0x8000) >> 16.
        let luma = stride(from: 0, to: 18, by: 3).map { (i: Int) -> UInt8 in
            let (r, g, b) = (Int(rgb.pixels[i]), Int(rgb.pixels[i + 1]), Int(rgb.pixels[i + 2]))
            return UInt8((19595 * r + 38470 * g + 7471 * b + 0x8000) >> 16)
        }
        #expect(gray.pixels == luma)
        // What PIL itself gives (Pillow 13: `Image.new("RGB", …).putdata(pixels).convert("L")`) for
        // black, white, pure red, green, blue and seven colours where the rounded formula above and
        // the truncated ITU-R 601 one (299 R + 587 G + 114 B) / 1000 differ by one.
        let colours: [UInt8] = [0, 0, 0, 255, 255, 255, 255, 0, 0, 0, 255, 0, 0, 0, 255, 132, 248, 207, 71, 48, 128,
                                75, 158, 50, 37, 169, 241, 51, 181, 222, 7, 47, 204, 55, 154, 149]
        try Image(width: 12, height: 1, channels: 3, pixels: colours).writePNG(path: path)
        #expect(try Image.readPNG(path: path, channels: 1).pixels == [0, 255, 76, 150, 29, 209, 64, 121, 138, 147, 53, 124])
        let white = try Image(width: 2, height: 2, channels: 3, pixels: [UInt8](repeating: 255, count: 12))
        try white.writePNG(path: path)
        #expect(try Image.readPNG(path: path, channels: 1).pixels == [255, 255, 255, 255])
    }

    @Test("unreadable, non-PNG and truncated files are clear errors")
    func pngErrors() throws {
        let path = Self.temporaryPath("bad.png")
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(throws: ConvNetError.self) { try Image.readPNG(path: path) }
        try Data("hello".utf8).write(to: URL(fileURLWithPath: path))
        do {
            _ = try Image.readPNG(path: path)
            Issue.record("a text file was read as PNG")
        } catch let error as ConvNetError {
            #expect(error.message.contains(path) && error.message.contains("PNG"))
        }
        let image = try Image(width: 64, height: 64, channels: 3, pixels: (0..<(64 * 64 * 3)).map { UInt8(truncatingIfNeeded: $0 &* 7) })
        try image.writePNG(path: path)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        try bytes.prefix(bytes.count / 2).write(to: URL(fileURLWithPath: path))
        #expect(throws: ConvNetError.self) { try Image.readPNG(path: path) }
    }

    @Test("resize keeps flat images flat, averages when shrinking, keeps the aspect ratio")
    func resize() throws {
        let flat = try Image(width: 10, height: 6, channels: 1, pixels: [UInt8](repeating: 77, count: 60))
        #expect(try ImageTransforms.resize(flat, width: 4, height: 9).pixels.allSatisfy { $0 == 77 })
        // Alternating columns 0/200 shrunk 2× average to 100 away from the borders (no aliasing:
        // point sampling would give all 0 or all 200).
        let stripes = try Image(width: 8, height: 1, channels: 1, pixels: (0..<8).map { $0 % 2 == 0 ? 0 : 200 })
        let half = try ImageTransforms.resize(stripes, width: 4, height: 1)
        #expect(half.pixels[1...2].allSatisfy { abs(Int($0) - 100) <= 1 })
        let wide = try Image(width: 400, height: 300, channels: 3, pixels: [UInt8](repeating: 5, count: 400 * 300 * 3))
        let resized = try ImageTransforms.resize(wide, shorterSide: 256)
        #expect(resized.height == 256 && resized.width == 341)
        let cropped = try ImageTransforms.centerCrop(resized, width: 224, height: 224)
        #expect(cropped.width == 224 && cropped.height == 224)
        #expect(throws: ConvNetError.self) { try ImageTransforms.resize(flat, width: 0, height: 3) }
        #expect(throws: ConvNetError.self) { try ImageTransforms.resize(flat, shorterSide: 0) }
        #expect(throws: ConvNetError.self) { try ImageTransforms.centerCrop(flat, width: 2, height: -1) }
    }

    @Test("center crop takes the middle, placed as torchvision's CenterCrop (round half to even, zero padding)")
    func crop() throws {
        let image = try Image(width: 4, height: 4, channels: 1, pixels: (0..<16).map(UInt8.init))
        #expect(try ImageTransforms.centerCrop(image, width: 2, height: 2).pixels == [5, 6, 9, 10])
        // torchvision 0.29, F.center_crop on a 1-row PIL image with values 1…W, crop width 3 (or 5, 6):
        // W 6 → 3 4 5, W 7 → 3 4 5, W 8 → 3 4 5, W 10 → 5 6 7, W 2 → 0 1 2 0 0, W 3 (crop 6) → 0 1 2 3 0 0.
        for (width, crop, expected) in [(6, 3, [3, 4, 5]), (7, 3, [3, 4, 5]), (8, 3, [3, 4, 5]), (10, 3, [5, 6, 7]),
                                        (2, 5, [0, 1, 2, 0, 0]), (3, 6, [0, 1, 2, 3, 0, 0])] as [(Int, Int, [UInt8])] {
            let row = try Image(width: width, height: 1, channels: 1, pixels: (1...width).map(UInt8.init))
            #expect(try ImageTransforms.centerCrop(row, width: crop, height: 1).pixels == expected, "width \(width), crop \(crop)")
        }
    }

    @Test("a 28×28 digit goes through prediction exactly as the training loader normalises it")
    func predictionMatchesTraining() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let test = try MNIST.load(directory: root.path + "/Datasets/mnist", split: .test).prefix(1)
        let loader = try DataLoader(test, batchSize: 1, shuffle: false, normalization: .mnist)
        let fromLoader = Array(loader.batches(epoch: 0))[0].images
        let path = Self.temporaryPath("digit.png")
        defer { try? FileManager.default.removeItem(atPath: path) }
        try Image(width: 28, height: 28, channels: 1, pixels: test.pixels).writePNG(path: path)
        let fromPNG = try ImageTransforms.standard(Image.readPNG(path: path, channels: 1), inputShape: [1, 28, 28],
                                                   normalization: .mnist)
        #expect(zip(fromLoader.scalars, fromPNG.scalars).allSatisfy { abs($0 - $1) < 1e-6 })
    }

    @Test("top-k is sorted by probability and names the classes")
    func topK() throws {
        let logits = try Tensor(shape: [2, 3], scalars: [1, 3, 2, 0, 0, 5])
        let top = try Classifier.topK(logits, k: 2, classNames: ["a", "b", "c"])
        #expect(top[0].map(\.className) == ["b", "c"] && top[1].map(\.classIndex) == [2, 0])
        #expect(top[0][0].probability > top[0][1].probability)
        #expect(try Classifier.topK(logits, k: 9, classNames: []).first?.count == 3)
        #expect(try Classifier.topK(logits, k: 1, classNames: [])[0][0].className == "class 1")
    }
}
