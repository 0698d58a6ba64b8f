import ConvNet
import FuzzSupport

/// gzip streams: inflated under a limit, and under a size that the output's first four bytes
/// declare (big-endian), as a file format's header would.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let input = bytes(data, size)
    if let output = try? Gzip.decompress(input, source: "fuzz", limit: 1 << 22) {
        precondition(output.count <= 1 << 22, "output over the limit")
    }
    let declared = try? Gzip.decompress(input, source: "fuzz") { prefix in
        prefix.count < 4 ? nil : prefix.prefix(4).reduce(0) { $0 << 8 | Int($1) }
    }
    if let declared, declared.count >= 4 {
        precondition(declared.count <= declared.prefix(4).reduce(0) { $0 << 8 | Int($1) }, "output over the declared size")
    }
    return 0
}

func seeds() throws -> [(name: String, bytes: [UInt8])] {
    let text = Array("the quick brown fox jumps over the lazy dog\n".utf8)
    let sized: [UInt8] = [0, 0, 4, 0] + [UInt8](repeating: 0x5a, count: 1020)
    return [("text.gz", try gzipped(text)), ("sized.gz", try gzipped(sized)), ("empty.gz", try gzipped([])),
            ("zeros.gz", try gzipped([UInt8](repeating: 0, count: 1 << 16))),
            ("idx.gz", try gzipped(idx([2, 2], [1, 2, 3, 4])))]
}

@_cdecl("FuzzGzip_main")
func main(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    fuzzerMain(argc, argv, seeds: seeds, fuzzOneInput)
}
