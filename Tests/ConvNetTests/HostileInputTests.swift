import ConvNet
import Foundation
import Testing

/// Sizes declared by outside bytes are checked before anything is allocated, and every input the
/// fuzzers (Fuzz/, `make fuzz`) found trapping or misread stays fixed.
@Suite("hostile input: declared sizes capped before allocation, fuzzer finds")
struct HostileInputTests {
    /// The message of the ConvNetError `body` throws ("" if it throws none).
    static func message(_ body: () throws -> Any) -> String {
        do {
            _ = try body()
            return ""
        } catch let error as ConvNetError {
            return error.message
        } catch {
            return "unexpected \(error)"
        }
    }

    /// `bytes` gzipped by the system's gzip (what real data sets ship as).
    static func gzipped(_ bytes: [UInt8]) throws -> [UInt8] {
        let path = try DataTests.temporaryDirectory() + "/data.gz"
        defer { try? FileManager.default.removeItem(atPath: (path as NSString).deletingLastPathComponent) }
        try DataTests.gzip(bytes, to: path)
        return [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
    }

    /// CRC-32 (ISO 3309, as PNG chunks use it), so a test can forge a valid IHDR.
    static func crc32(_ bytes: ArraySlice<UInt8>) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
        }
        return ~crc
    }

    static func bigEndian(_ value: UInt32) -> [UInt8] { (0..<4).map { UInt8(value >> (24 - 8 * $0) & 255) } }

    @Test("a gzipped IDX file is not inflated beyond the size its header declares")
    func idxBomb() throws {
        // 12 bytes of header declaring 4 values, then 8 MiB of zeros: refused after the first chunk.
        let bomb = try Self.gzipped(DataTests.idx([4], values: [1, 2, 3, 4]) + [UInt8](repeating: 0, count: 8 << 20))
        #expect(bomb.count < 20_000)
        #expect(Self.message { try IDXArray.parse(bomb, source: "bomb.gz") } == "bomb.gz: decompresses to more than the 12 bytes its header declares")
        // The same header and values with nothing after them read.
        let honest = try IDXArray.parse(try Self.gzipped(DataTests.idx([4], values: [1, 2, 3, 4])), source: "ok.gz")
        #expect(honest.shape == [4] && honest.bytes == [1, 2, 3, 4])
    }

    @Test("a gzipped IDX header declaring more than its compressed bytes can hold is refused before reserving")
    func idxDeclaresTooMuch() throws {
        // MNIST's training images declared (47 MB), ten values given: 1032 × the file's size is far less.
        let forged = try Self.gzipped(DataTests.idx([60000, 28, 28], values: Array(0..<10)))
        let text = Self.message { try IDXArray.parse(forged, source: "forged.gz") }
        #expect(text == "forged.gz: its header declares 47040016 bytes, more than \(forged.count) compressed bytes can hold (deflate expands at most 1032:1); damaged or forged")
        // Sizes whose product overflows are refused in the gzip path too.
        let overflow = try Self.gzipped([0, 0, 8, 3] + [UInt8](repeating: 0xFF, count: 12))
        #expect(Self.message { try IDXArray.parse(overflow, source: "o.gz") }.contains("more than any file holds"))
    }

    @Test("Gzip.decompress stops at its limit")
    func gzipLimit() throws {
        let zeros = try Self.gzipped([UInt8](repeating: 0, count: 300_000))
        #expect(Self.message { try Gzip.decompress(zeros, source: "z.gz", limit: 1000) } == "z.gz: decompresses to more than 1000 bytes; refusing it")
        #expect(try Gzip.decompress(zeros, source: "z.gz", limit: 300_000).count == 300_000)
    }

    @Test("a PNG header declaring more rows than the file's bytes can inflate to is refused before allocating")
    func forgedPNG() throws {
        var png = try ImageCodecTests.fixture("gray8.png")
        // IHDR: length, "IHDR", width, height, … at bytes 8…; the CRC covers type and data.
        png.replaceSubrange(16..<24, with: Self.bigEndian(12000) + Self.bigEndian(12000))
        png.replaceSubrange(29..<33, with: Self.bigEndian(Self.crc32(png[12..<29])))
        #expect(Self.message { try Image.decode(png, source: "forged.png") }
            == "forged.png: PNG: header gives 12000 × 12000 pixels (144012000 bytes of rows), more than a \(png.count)-byte file can hold (deflate expands at most 1032:1); truncated or forged")
        // A flat image, which deflate packs as tightly as it packs anything, still reads.
        let flat = try Image(width: 4096, height: 4096, channels: 1, pixels: [UInt8](repeating: 200, count: 4096 * 4096))
        let path = ImageCodecTests.temporaryPath("flat.png")
        defer { try? FileManager.default.removeItem(atPath: path) }
        try flat.writePNG(path: path)
        let read = try Image.read(path: path, channels: 1)
        #expect(read.width == 4096 && read.pixels == flat.pixels)
    }

    @Test("a JPEG header declaring more than 512 pixels per byte of file is refused; a flat JPEG reads")
    func forgedJPEG() throws {
        var jpeg = try ImageCodecTests.fixture("rgb420.jpg")
        let sof = try #require((0..<(jpeg.count - 1)).first { jpeg[$0] == 0xFF && jpeg[$0 + 1] == 0xC0 })
        jpeg.replaceSubrange((sof + 5)..<(sof + 9), with: [0x07, 0xD0, 0x07, 0xD0])  // 2000 × 2000
        #expect(Self.message { try Image.decode(jpeg, source: "forged.jpg") }
            == "forged.jpg: JPEG: header gives 2000 × 2000 pixels, more than a \(jpeg.count)-byte file can plausibly hold (512 pixels a byte at most); truncated or forged")
        let flat = try Image(width: 2048, height: 2048, channels: 1, pixels: [UInt8](repeating: 90, count: 2048 * 2048))
        let path = ImageCodecTests.temporaryPath("flat.jpg")
        defer { try? FileManager.default.removeItem(atPath: path) }
        try flat.writeJPEG(path: path, quality: 95)
        #expect(try Image.read(path: path, channels: 1).pixels == flat.pixels)
    }

    @Test("fuzzer find: a JPEG of tables only is an error every time, also after other images")
    func tablesOnlyJPEG() throws {
        // TurboJPEG left the size unwritten for it, and the decoder read stack garbage as the image's size.
        let tables = [UInt8](try Data(contentsOf: Fixtures.directory.appendingPathComponent("fuzz/jpeg-tables-only.jpg")))
        for file in ["rgb444.jpg", "progressive.jpg", "cmyk.jpg", "gray.jpg"] {
            _ = try Image.decode(try ImageCodecTests.fixture(file), source: file)
            #expect(Self.message { try Image.header(tables, source: "t.jpg") } == "t.jpg: JPEG: no image frame in the JPEG data (truncated, or tables only)")
            #expect(Self.message { try Image.decode(tables, channels: 1, source: "t.jpg") } == "t.jpg: JPEG: no image frame in the JPEG data (truncated, or tables only)")
        }
    }

    @Test("fuzzer find: a ColorJitter range beyond Float is refused, and a NaN hue does not trap")
    func colorJitterRanges() throws {
        // Found by FuzzAugment: the contrast factor was drawn as infinity, the image became NaN and
        // the hue's HSV → RGB trapped converting NaN to Int.
        let spec = "ColorJitter(0.4, (0.5, 44444444444444444444444444444444444444444444444444444444441.5), 0.8, 0.1)"
        #expect(Self.message { try TransformSpec.parse(spec) }.contains("contrast range"))
        let image = try FloatImage(channels: 3, height: 1, width: 2, values: [.nan, 0.2, 0.5, 0.4, 0.5, 0.6])
        let shifted = ColorJitter.adjustHue(image, 0.25)
        // The NaN pixel stays NaN in some channel; the other pixel is untouched by it.
        #expect([shifted.values[0], shifted.values[2], shifted.values[4]].contains { $0.isNaN })
        #expect(shifted.values[1].isFinite && shifted.values[3].isFinite && shifted.values[5].isFinite)
    }
}
