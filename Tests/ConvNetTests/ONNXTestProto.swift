import Foundation

/// Just enough protobuf writing to build ONNX models in tests (the library's generated types are
/// internal): fields are appended by number, messages nest as bytes.
struct ONNXTestProto {
    var bytes: [UInt8] = []

    mutating func varint(_ v: UInt64) {
        var v = v
        while v >= 0x80 { bytes.append(UInt8(v & 0x7f) | 0x80); v >>= 7 }
        bytes.append(UInt8(v))
    }

    mutating func int(_ field: Int, _ v: Int) { varint(UInt64(field << 3)); varint(UInt64(bitPattern: Int64(v))) }
    mutating func float(_ field: Int, _ v: Float) {
        varint(UInt64(field << 3 | 5))
        withUnsafeBytes(of: v.bitPattern.littleEndian) { bytes += $0 }
    }
    mutating func data(_ field: Int, _ d: [UInt8]) { varint(UInt64(field << 3 | 2)); varint(UInt64(d.count)); bytes += d }
    mutating func string(_ field: Int, _ s: String) { data(field, Array(s.utf8)) }
    mutating func message(_ field: Int, _ m: ONNXTestProto) { data(field, m.bytes) }

    // MARK: ONNX messages

    /// A float tensor (TensorProto) of `dims` with `values` as raw data (or `rawBytes` when given).
    static func tensor(_ name: String, _ dims: [Int], _ values: [Float], rawBytes: [UInt8]? = nil, type: Int = 1) -> ONNXTestProto {
        var t = ONNXTestProto()
        for d in dims { t.int(1, d) }
        t.int(2, type)
        t.string(8, name)
        t.data(9, rawBytes ?? values.flatMap { v in withUnsafeBytes(of: v.bitPattern.littleEndian, Array.init) })
        return t
    }

    /// An int64 tensor in int64_data (packed, so that a million values stay a few megabytes).
    static func packedInts(_ name: String, _ values: [Int], dims: [Int]) -> ONNXTestProto {
        var t = ONNXTestProto()
        var dimBytes = ONNXTestProto()
        for d in dims { dimBytes.varint(UInt64(bitPattern: Int64(d))) }
        t.data(1, dimBytes.bytes)
        t.int(2, 7)
        var valueBytes = ONNXTestProto()
        for v in values { valueBytes.varint(UInt64(bitPattern: Int64(v))) }
        t.data(7, valueBytes.bytes)
        t.string(8, name)
        return t
    }

    /// An int64 tensor in int64_data.
    static func ints(_ name: String, _ values: [Int], dims: [Int]? = nil) -> ONNXTestProto {
        var t = ONNXTestProto()
        for d in dims ?? [values.count] { t.int(1, d) }
        t.int(2, 7)
        for v in values { t.int(7, v) }
        t.string(8, name)
        return t
    }

    /// A tensor stored in an external file.
    static func external(_ name: String, _ dims: [Int], location: String, offset: Int, length: Int) -> ONNXTestProto {
        var t = ONNXTestProto()
        for d in dims { t.int(1, d) }
        t.int(2, 1)
        t.string(8, name)
        for (k, v) in [("location", location), ("offset", "\(offset)"), ("length", "\(length)")] {
            var entry = ONNXTestProto()
            entry.string(1, k)
            entry.string(2, v)
            t.message(13, entry)
        }
        t.int(14, 1)
        return t
    }

    enum Attribute {
        case int(String, Int), float(String, Float), ints(String, [Int]), string(String, String), tensor(String, ONNXTestProto)
    }

    static func node(_ op: String, _ inputs: [String], _ outputs: [String], name: String = "", _ attributes: [Attribute] = []) -> ONNXTestProto {
        var n = ONNXTestProto()
        for i in inputs { n.string(1, i) }
        for o in outputs { n.string(2, o) }
        n.string(3, name.isEmpty ? op.lowercased() : name)
        n.string(4, op)
        for a in attributes {
            var p = ONNXTestProto()
            switch a {
            case .int(let k, let v): p.string(1, k); p.int(3, v); p.int(20, 2)
            case .float(let k, let v): p.string(1, k); p.float(2, v); p.int(20, 1)
            case .ints(let k, let v): p.string(1, k); for x in v { p.int(8, x) }; p.int(20, 7)
            case .string(let k, let v): p.string(1, k); p.string(4, v); p.int(20, 3)
            case .tensor(let k, let v): p.string(1, k); p.message(5, v); p.int(20, 4)
            }
            n.message(5, p)
        }
        return n
    }

    /// A float ValueInfoProto; nil dims are symbolic (`N`).
    static func value(_ name: String, _ dims: [Int?]) -> ONNXTestProto {
        var shape = ONNXTestProto()
        for d in dims {
            var dim = ONNXTestProto()
            if let d { dim.int(1, d) } else { dim.string(2, "N") }
            shape.message(1, dim)
        }
        var tensorType = ONNXTestProto()
        tensorType.int(1, 1)
        tensorType.message(2, shape)
        var type = ONNXTestProto()
        type.message(1, tensorType)
        var v = ONNXTestProto()
        v.string(1, name)
        v.message(2, type)
        return v
    }

    /// A ModelProto of one graph, with `metadata` as its metadata_props.
    static func model(nodes: [ONNXTestProto], initializers: [ONNXTestProto] = [], inputs: [ONNXTestProto],
                      outputs: [ONNXTestProto], opset: Int = 17, metadata: [(String, String)] = []) -> Data {
        var g = ONNXTestProto()
        for n in nodes { g.message(1, n) }
        g.string(2, "test")
        for i in initializers { g.message(5, i) }
        for i in inputs { g.message(11, i) }
        for o in outputs { g.message(12, o) }
        var opsetID = ONNXTestProto()
        opsetID.string(1, "")
        opsetID.int(2, opset)
        var m = ONNXTestProto()
        m.int(1, 8)
        m.string(2, "swift-convnet tests")
        m.message(7, g)
        m.message(8, opsetID)
        for (key, value) in metadata {
            var entry = ONNXTestProto()
            entry.string(1, key)
            entry.string(2, value)
            m.message(14, entry)
        }
        return Data(m.bytes)
    }
}
