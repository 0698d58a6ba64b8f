import ConvNet
import Foundation
import FuzzSupport

/// PNG and JPEG bytes: the header (with its size checks), then, for images of at most 4
/// megapixels (larger ones only slow the fuzzer; the C fuzzer `decode_fuzzer` covers the same
/// code with UBSan), a decode to gray and to RGB; and the length a file reader stops at (a PNG's
/// IEND, ``Image/neededLength(of:)``), whose bytes must decode as the whole file does.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let input = bytes(data, size)
    let needed = Image.neededLength(of: input)
    precondition(needed <= input.count, "the needed length passes the end of the bytes")
    guard let header = try? Image.header(input, source: "fuzz"), header.width * header.height <= 1 << 22 else { return 0 }
    for channels in [1, 3] {
        if let image = try? Image.decode(input, channels: channels, source: "fuzz") {
            precondition(image.width == header.width && image.height == header.height, "decoded size differs from the header's")
            if needed < input.count {
                precondition((try? Image.decode(Array(input.prefix(needed)), channels: channels, source: "fuzz")) == image,
                             "the bytes up to the needed length decode otherwise than the whole file")
            }
        }
    }
    return 0
}

func seeds() throws -> [(name: String, bytes: [UInt8])] {
    let folder = repositoryRoot.appendingPathComponent("Tests/ConvNetTests/Fixtures/images")
    return try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted()
        .filter { $0.hasSuffix(".png") || $0.hasSuffix(".jpg") }
        .map { ($0, Array(try Data(contentsOf: folder.appendingPathComponent($0)))) }
}

@_cdecl("FuzzImage_main")
func main(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    fuzzerMain(argc, argv, seeds: seeds, fuzzOneInput)
}
