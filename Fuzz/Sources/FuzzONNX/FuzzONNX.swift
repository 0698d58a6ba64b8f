import ConvNet
import ConvNetONNX
import Foundation
import FuzzSupport

/// ONNX models: the protobuf, opset, operators and attributes, graph order, initializer sizes,
/// external data, metadata_props and shape inference (ONNXModel); the checks of an image
/// classifier (its output, its metadata against the graph); then a model that loads is run on
/// zeros of its declared shape when that input is small.
///
/// External data is read from a scratch folder made once per process (``scratch``): a real file
/// `w.bin`, the same under a subfolder, a link to it and a link out to /etc, so that inputs naming
/// locations reach the path checks and ranged reads without touching anything else.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    guard let model = try? ONNXModel(serializedData: Data(bytes(data, size)), source: "fuzz", folder: scratch) else { return 0 }
    _ = try? model.imageClassifier()
    guard model.inputs.count == 1, let net = try? model.module() else { return 0 }
    let shape = model.inputs[0].dims.enumerated().map { $0.element ?? ($0.offset == 0 ? 1 : 0) }
    guard !shape.contains(0), let count = MemoryBudget.product(shape), count <= 1 << 14 else { return 0 }
    // Run only graphs whose every value is small (a valid model may ask for gigabytes).
    guard let shapes = try? model.shapes(batch: shape.first ?? 1),  // a rank-0 input has no batch
          shapes.allSatisfy({ (MemoryBudget.product($0.shape) ?? .max) <= 1 << 20 }) else { return 0 }
    _ = try? withNoGrad { try net(Tensor.zeros(shape)) }
    return 0
}

/// The scratch folder external data is read from: `w.bin` (W = 0…11 and b = 100…103 as float32),
/// `sub/w.bin`, `link.bin` → `w.bin` and `etc` → `/etc` (both refused).
let scratch: String = {
    let folder = scratchFolder()
    let fm = FileManager.default
    try? fm.createDirectory(atPath: folder + "/sub", withIntermediateDirectories: true)
    let weights = Data(((0..<12).map(Float.init) + [100, 101, 102, 103]).flatMap { v in
        withUnsafeBytes(of: v.bitPattern.littleEndian, Array.init)
    })
    fm.createFile(atPath: folder + "/w.bin", contents: weights)
    fm.createFile(atPath: folder + "/sub/w.bin", contents: weights)
    try? fm.createSymbolicLink(atPath: folder + "/link.bin", withDestinationPath: folder + "/w.bin")
    try? fm.createSymbolicLink(atPath: folder + "/etc", withDestinationPath: "/etc")
    atexit { try? FileManager.default.removeItem(atPath: scratchFolder()) }
    return folder
}()

/// The scratch folder's path, for the exit handler (which cannot capture it).
func scratchFolder() -> String { NSTemporaryDirectory() + "fuzz-onnx-\(getpid())" }

/// Just enough protobuf writing for the seeds: fields appended by number.
struct Proto {
    var bytes: [UInt8] = []
    mutating func varint(_ v: UInt64) {
        var v = v
        while v >= 0x80 { bytes.append(UInt8(v & 0x7f) | 0x80); v >>= 7 }
        bytes.append(UInt8(v))
    }
    mutating func int(_ field: Int, _ v: Int) { varint(UInt64(field << 3)); varint(UInt64(bitPattern: Int64(v))) }
    mutating func data(_ field: Int, _ d: [UInt8]) { varint(UInt64(field << 3 | 2)); varint(UInt64(d.count)); bytes += d }
    mutating func string(_ field: Int, _ s: String) { data(field, Array(s.utf8)) }
    mutating func message(_ field: Int, _ m: Proto) { data(field, m.bytes) }

    /// A StringStringEntryProto (metadata_props, external_data).
    static func entry(_ key: String, _ value: String) -> Proto {
        var e = Proto()
        e.string(1, key)
        e.string(2, value)
        return e
    }

    /// A float tensor of `dims` stored in `location` at `offset`.
    static func external(_ name: String, _ dims: [Int], _ location: String, offset: Int, length: Int) -> Proto {
        var t = Proto()
        for d in dims { t.int(1, d) }
        t.int(2, 1)
        t.string(8, name)
        for (k, v) in [("location", location), ("offset", "\(offset)"), ("length", "\(length)")] { t.message(13, entry(k, v)) }
        t.int(14, 1)
        return t
    }

    /// A float ValueInfoProto, the first dim symbolic.
    static func value(_ name: String, _ dims: [Int]) -> Proto {
        var shape = Proto()
        var batch = Proto()
        batch.string(2, "N")
        shape.message(1, batch)
        for d in dims {
            var dim = Proto()
            dim.int(1, d)
            shape.message(1, dim)
        }
        var tensorType = Proto()
        tensorType.int(1, 1)
        tensorType.message(2, shape)
        var type = Proto()
        type.message(1, tensorType)
        var v = Proto()
        v.string(1, name)
        v.message(2, type)
        return v
    }

    /// y = x·Wᵀ + b with W and b in external files named `weights` and `bias`.
    static func externalGemm(weights: String, bias: String) -> [UInt8] {
        var node = Proto()
        for i in ["x", "w", "b"] { node.string(1, i) }
        node.string(2, "y")
        node.string(4, "Gemm")
        var transB = Proto()
        transB.string(1, "transB")
        transB.int(3, 1)
        transB.int(20, 2)
        node.message(5, transB)
        var graph = Proto()
        graph.message(1, node)
        graph.message(5, external("w", [4, 3], weights, offset: 0, length: 48))
        graph.message(5, external("b", [4], bias, offset: 48, length: 16))
        graph.message(11, value("x", [3]))
        graph.message(12, value("y", [4]))
        var opset = Proto()
        opset.int(2, 17)
        var model = Proto()
        model.int(1, 8)
        model.message(7, graph)
        model.message(8, opset)
        return model.bytes
    }
}

/// The committed tiny CNN fixture (every operator of a torch.onnx.export), its first half, the same
/// with the metadata `convnet export` writes (metadata_props appended: a field may come last), and
/// a Gemm reading its tensors from external files under several spellings and through a link.
func seeds() throws -> [(name: String, bytes: [UInt8])] {
    let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent(
        "../../../Tests/ConvNetTests/Fixtures/onnx/tinycnn.onnx").standardized
    let model = try [UInt8](Data(contentsOf: fixture))
    var metadata = Proto()
    for (key, value) in [("convnet.class_names", "[\"a\", \"b\", \"c\", \"d\", \"e\"]"),
                         ("convnet.input_shape", "[3, 13, 13]"), ("convnet.mean", "[0.4914, 0.4822, 0.4465]"),
                         ("convnet.std", "[0.247, 0.2435, 0.2616]")] {
        metadata.message(14, Proto.entry(key, value))
    }
    return [("tinycnn.onnx", model), ("tinycnn-truncated.onnx", Array(model.prefix(model.count / 2))),
            ("tinycnn-metadata.onnx", model + metadata.bytes),
            ("external.onnx", Proto.externalGemm(weights: "w.bin", bias: "./w.bin")),
            ("external-sub.onnx", Proto.externalGemm(weights: "sub/w.bin", bias: "sub//w.bin")),
            ("external-link.onnx", Proto.externalGemm(weights: "link.bin", bias: "etc/passwd"))]
}

@_cdecl("FuzzONNX_main")
func main(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    fuzzerMain(argc, argv, seeds: seeds, fuzzOneInput)
}
