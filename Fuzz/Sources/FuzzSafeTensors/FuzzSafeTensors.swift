import ConvNet
import Foundation
import FuzzSupport

/// safetensors files: the header's JSON, offsets and shapes, and every dtype's conversion.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    if let contents = try? SafeTensors.decode(Data(bytes(data, size)), source: "fuzz") {
        // What was read must write back.
        _ = try? SafeTensors.encode(contents)
    }
    return 0
}

/// A file with the given header entries (name → dtype, shape) over `payload`.
func file(_ entries: [(String, String, [Int], Int)], metadata: [String: String] = [:], payload: [UInt8]) throws -> [UInt8] {
    var header: [String: Any] = [:]
    var offset = 0
    for (name, dtype, shape, bytes) in entries {
        header[name] = ["dtype": dtype, "shape": shape, "data_offsets": [offset, offset + bytes]]
        offset += bytes
    }
    if !metadata.isEmpty { header["__metadata__"] = metadata }
    let json = try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])
    return withUnsafeBytes(of: UInt64(json.count).littleEndian, Array.init) + Array(json) + payload
}

func seeds() throws -> [(name: String, bytes: [UInt8])] {
    let written = try SafeTensors.encode(SafeTensors.Contents(
        tensors: [("conv.weight", try Tensor(shape: [2, 1, 2, 2], scalars: (0..<8).map { Float($0) / 8 - 0.5 })),
                  ("conv.bias", try Tensor(shape: [2], scalars: [0.25, -1])), ("scalar", try Tensor(shape: [], scalars: [3]))],
        metadata: ["format": "pt", "note": "seed"]))
    let dtypes = try file([("f64", "F64", [2], 16), ("f16", "F16", [2], 4), ("bf16", "BF16", [1, 2], 4), ("i64", "I64", [1], 8),
                           ("i32", "I32", [1], 4), ("i16", "I16", [2], 4), ("i8", "I8", [2], 2), ("u8", "U8", [3], 3),
                           ("bool", "BOOL", [1], 1), ("empty", "F32", [0, 4], 0)],
                          payload: (0..<46).map { UInt8($0 * 37 & 255) })
    return [("written.safetensors", Array(written)), ("dtypes.safetensors", dtypes),
            ("empty.safetensors", try file([], payload: [])), ("deep-header.safetensors", deepHeader)]
}

@_cdecl("FuzzSafeTensors_main")
func main(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    fuzzerMain(argc, argv, seeds: seeds, fuzzOneInput)
}

/// A header of arrays nested 1,000 deep (JSONSerialization refuses past 512).
var deepHeader: [UInt8] {
    var json = Array((String(repeating: "[", count: 1000) + String(repeating: "]", count: 1000)).utf8)
    while json.count % 8 != 0 { json.append(0x20) }
    return withUnsafeBytes(of: UInt64(json.count).littleEndian) { Array($0) } + json
}
