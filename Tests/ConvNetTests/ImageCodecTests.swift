import ConvNet
import Foundation
import Testing

/// PNG and JPEG decoding against what PIL makes of the same files (Tools/export_image_codec_fixtures.py).
@Suite("image codecs: PNG and JPEG decoded as PIL decodes them")
struct ImageCodecTests {
    static let folder = Fixtures.directory.appendingPathComponent("images")

    /// PIL's `convert("RGB")` and `convert("L")` pixels per fixture file (16-bit gray: the high byte).
    static let expected: [String: (rgb: [UInt8], gray: [UInt8], width: Int, height: Int)] = {
        guard let contents = try? SafeTensors.read(path: folder.appendingPathComponent("expected.safetensors").path) else { return [:] }
        let tensors = contents.dictionary
        var cases: [String: (rgb: [UInt8], gray: [UInt8], width: Int, height: Int)] = [:]
        for (name, rgb) in tensors where name.hasSuffix(".rgb") {
            let file = String(name.dropLast(4))
            guard let gray = tensors[file + ".l"] else { continue }
            cases[file] = (rgb.scalars.map { UInt8($0) }, gray.scalars.map { UInt8($0) }, rgb.shape[1], rgb.shape[0])
        }
        return cases
    }()

    static func temporaryPath(_ name: String) -> String { NSTemporaryDirectory() + "convnet-\(UUID().uuidString)-\(name)" }

    static func fixture(_ name: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: folder.appendingPathComponent(name)))
    }

    /// The message of the ConvNetError `body` throws ("" if it throws none).
    static func errorMessage(_ body: () throws -> Void) -> String {
        do {
            try body()
        } catch let error as ConvNetError {
            return error.message
        } catch {
            return "not a ConvNetError: \(error)"
        }
        return ""
    }

    @Test("every fixture kind is there", arguments: [
        "gray1.png", "gray2.png", "gray4.png", "gray8.png", "gray8-trns.png", "gray16.png", "rgb8.png", "rgb16.png",
        "rgba8.png", "rgba16.png", "la8.png", "la16.png", "palette4.png", "palette8.png", "palette8-trns.png",
        "interlaced-rgb8.png", "interlaced-rgba8.png", "interlaced-gray4.png", "interlaced-palette2.png",
        "rgb420.jpg", "rgb422.jpg", "rgb444.jpg", "progressive.jpg", "gray.jpg", "cmyk.jpg",
    ])
    func fixtureListed(_ file: String) {
        #expect(Self.expected[file] != nil, "expected.safetensors lacks \(file); run Tools/export_image_codec_fixtures.py")
    }

    @Test("RGB and gray pixels equal PIL's, bit for bit, for every PNG and JPEG kind",
          arguments: expected.keys.sorted())
    func matchesPIL(_ file: String) throws {
        let want = try #require(Self.expected[file])
        let path = Self.folder.appendingPathComponent(file).path
        for (channels, pixels) in [(3, want.rgb), (1, want.gray)] {
            let image = try Image.read(path: path, channels: channels)
            #expect(image.width == want.width && image.height == want.height && image.channels == channels)
            let differences = zip(image.pixels, pixels).filter { $0 != $1 }
            let largest = differences.map { abs(Int($0) - Int($1)) }.max() ?? 0
            #expect(image.pixels == pixels, "\(file), \(channels) channels: \(differences.count) of \(pixels.count) samples differ from PIL's, by up to \(largest)")
        }
    }

    @Test("decoding bytes in memory equals reading the file; the format comes from the bytes, not the name")
    func memoryAndSniffing() throws {
        let jpeg = try Self.fixture("rgb420.jpg")
        let fromFile = try Image.read(path: Self.folder.appendingPathComponent("rgb420.jpg").path)
        #expect(try Image.decode(jpeg, source: "memory") == fromFile)
        #expect(try Image.decode(Data(jpeg), source: "memory") == fromFile)
        let misnamed = Self.temporaryPath("photo.png")
        defer { try? FileManager.default.removeItem(atPath: misnamed) }
        try Data(jpeg).write(to: URL(fileURLWithPath: misnamed))
        #expect(try Image.read(path: misnamed) == fromFile)
        #expect(try Image.readPNG(path: misnamed) == fromFile)
        #expect(jpeg.withUnsafeBytes { Image.FileFormat(sniffing: $0) } == .jpeg)
        #expect(try Self.fixture("rgb8.png").withUnsafeBytes { Image.FileFormat(sniffing: $0) } == .png)
        #expect([UInt8]("GIF89a".utf8).withUnsafeBytes { Image.FileFormat(sniffing: $0) } == nil)
    }

    @Test("truncated PNG and JPEG files are errors naming the file and the decoder's reason")
    func truncated() throws {
        for (file, reason) in [("rgb8.png", "PNG"), ("rgb420.jpg", "truncated JPEG data (Premature end of JPEG file)")] {
            let bytes = try Self.fixture(file)
            let path = Self.temporaryPath("cut-" + file)
            defer { try? FileManager.default.removeItem(atPath: path) }
            try Data(bytes.prefix(bytes.count * 3 / 4)).write(to: URL(fileURLWithPath: path))  // inside the image data
            let message = Self.errorMessage { _ = try Image.read(path: path) }
            #expect(message.hasPrefix(path + ": ") && message.contains(reason), "\(message)")
        }
        // A PNG cut inside its header, and inside its first chunk.
        let png = try Self.fixture("rgb8.png")
        for length in [8, 20, 40] {
            let message = Self.errorMessage { _ = try Image.decode(Array(png.prefix(length)), source: "cut.png") }
            #expect(message.hasPrefix("cut.png: PNG: "), "\(length) bytes: \(message)")
        }
    }

    @Test("a text file named .png, an empty file and a missing file are clear errors naming the file")
    func notImages() throws {
        let text = Self.temporaryPath("notes.png"), empty = Self.temporaryPath("empty.jpg")
        defer {
            try? FileManager.default.removeItem(atPath: text)
            try? FileManager.default.removeItem(atPath: empty)
        }
        try Data("hello, world".utf8).write(to: URL(fileURLWithPath: text))
        try Data().write(to: URL(fileURLWithPath: empty))
        #expect(Self.errorMessage { _ = try Image.read(path: text) } == "\(text): not a PNG or JPEG image (it starts with 68 65 6c 6c 6f 2c 20 77)")
        #expect(Self.errorMessage { _ = try Image.read(path: empty) } == "\(empty): empty (0 bytes), not an image")
        let missing = Self.temporaryPath("missing.png")
        #expect(Self.errorMessage { _ = try Image.read(path: missing) } == "\(missing): cannot read the file (No such file or directory)")
        #expect(Self.errorMessage { _ = try Image.read(path: NSTemporaryDirectory()) }.hasSuffix(" is a folder, not a file to read"))
        #expect(Self.errorMessage { _ = try Image.read(path: text, channels: 2) } == "\(text): channels must be 1 or 3, not 2")
    }

    @Test("a PNG header claiming 65536 × 65536 pixels is refused before anything is allocated")
    func absurdSize() throws {
        let path = Self.folder.appendingPathComponent("bad/huge.png").path
        let message = Self.errorMessage { _ = try Image.read(path: path) }
        #expect(message == "\(path): PNG: PNG header gives 65536 × 65536 pixels, more than the 268435456 this decoder accepts")
        // A JPEG header with 65500 × 65500 (the format's largest) is refused the same way.
        var jpeg = try Self.fixture("rgb420.jpg")
        let sof = try #require((0..<(jpeg.count - 1)).first { jpeg[$0] == 0xFF && jpeg[$0 + 1] == 0xC0 })
        jpeg.replaceSubrange((sof + 5)..<(sof + 9), with: [0xFF, 0xDC, 0xFF, 0xDC])
        #expect(Self.errorMessage { _ = try Image.decode(jpeg, source: "big.jpg") }
            == "big.jpg: JPEG: JPEG header gives 65500 × 65500 pixels, more than the 268435456 this decoder accepts")
    }

    @Test("mangled files (cut at every length, bytes overwritten) give errors or images, never a crash")
    func mangled() throws {
        var generator = RandomGenerator(seed: 7)
        for file in ["interlaced-palette2.png", "gray16.png", "progressive.jpg", "cmyk.jpg"] {
            let bytes = try Self.fixture(file)
            for length in stride(from: 0, to: bytes.count, by: max(1, bytes.count / 97)) {
                for channels in [1, 3] { _ = try? Image.decode(Array(bytes.prefix(length)), channels: channels, source: file) }
            }
            for _ in 0..<150 {
                var copy = bytes
                for _ in 0..<(1 + Int(generator.next32() % 4)) {
                    copy[Int(generator.next32()) % copy.count] = UInt8(truncatingIfNeeded: generator.next32())
                }
                if let image = try? Image.decode(copy, channels: 3, source: file) {
                    #expect(image.pixels.count == image.width * image.height * 3)
                }
            }
        }
    }
}
