import ConvNet
import FuzzSupport

/// IDX files (MNIST), plain or gzipped, as `convnet` reads them.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    _ = try? IDXArray.parse(bytes(data, size), source: "fuzz")
    return 0
}

func seeds() throws -> [(name: String, bytes: [UInt8])] {
    let images = idx([2, 3, 3], (0..<18).map { UInt8($0 * 14) })
    let labels = idx([2], [7, 1])
    return [("images", images), ("labels", labels), ("images.gz", try gzipped(images)), ("labels.gz", try gzipped(labels)),
            ("empty.gz", try gzipped(idx([0, 28, 28], [])))]
}

@_cdecl("FuzzIDX_main")
func main(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    fuzzerMain(argc, argv, seeds: seeds, fuzzOneInput)
}
