import ConvNet
import Foundation

/// Reads an ONNX `TensorProto` (an initializer or a Constant's value) into an ``ONNXValue``, from
/// its raw bytes, its typed fields or an external file next to the model, checking every size
/// against the dims before anything is allocated.
struct ONNXTensorDecoder {
    /// Where the model came from, for errors.
    var source: String
    /// The model's external-data files (nil for a model given as bytes, which refuses external data).
    let external: ONNXExternalData?

    /// - Parameter folder: the folder external data is read from (the model's); nil for a model given as bytes.
    init(folder: String?, source: String) {
        self.source = source
        external = folder.map { ONNXExternalData(folder: $0, source: source) }
    }

    private func fail(_ what: String, _ message: String) -> ConvNetError {
        ConvNetError(.format, op: "onnx", "\(source): \(what) \(message)")
    }

    /// The tensor's value; `what` names it in errors (`initializer "conv1.weight"`).
    func decode(_ proto: Onnx_TensorProto, what: String) throws -> ONNXValue {
        guard proto.dims.allSatisfy({ $0 >= 0 && $0 <= Int64(ONNXShapeRules.maxDimension) }) else {
            throw fail(what, "has dims \(list: proto.dims): each must be between 0 and 2^31 − 1")
        }
        let shape = proto.dims.map { Int($0) }
        guard (try? ONNXShapeRules.requireCountable(shape)) != nil, let count = MemoryBudget.product(shape) else {
            throw fail(what, "has dims \(list: shape), more elements than can be counted (zeros aside)")
        }
        guard let type = Onnx_TensorProto.DataType(rawValue: Int(proto.dataType)), let width = Self.width(type) else {
            throw fail(what, "has data type \(Self.name(proto.dataType)), which is not supported (float, double, float16, bfloat16, int8/16/32/64, uint8/16/32, bool)")
        }
        guard let bytes = MemoryBudget.product([count, width]) else {
            throw fail(what, "has dims \(list: shape), more bytes than can be counted")
        }
        // Read as floats or as 8-byte integers: that is the memory it takes.
        let isFloat = [.float, .double, .float16, .bfloat16].contains(type)
        try MemoryBudget.require(MemoryBudget.product([count, isFloat ? 4 : 8]) ?? .max, op: "onnx", what: "\(source): \(what)")
        try MemoryBudget.require(bytes, op: "onnx", what: "\(source): \(what)")
        if proto.dataLocation == .external {
            let raw = try externalBytes(proto, what: what, expected: bytes)
            return try Self.fromRaw(raw, type: type, shape: shape, isFloat: isFloat)
        }
        if proto.hasRawData {
            guard proto.rawData.count == bytes else {
                throw fail(what, "of dims \(list: shape) and type \(Self.name(proto.dataType)) needs \(bytes) bytes of raw_data, has \(proto.rawData.count)")
            }
            return try Self.fromRaw(proto.rawData, type: type, shape: shape, isFloat: isFloat)
        }
        // Typed fields: which one holds the values depends on the type (onnx.proto's table).
        func check(_ n: Int, _ field: String) throws {
            guard n == count else { throw fail(what, "of dims \(list: shape) needs \(count) values, its \(field) has \(n)") }
        }
        switch type {
        case .float:
            try check(proto.floatData.count, "float_data")
            return .float(try Tensor(shape: shape, scalars: proto.floatData))
        case .double:
            try check(proto.doubleData.count, "double_data")
            return .float(try Tensor(shape: shape, scalars: proto.doubleData.map { Float($0) }))
        case .float16, .bfloat16:
            try check(proto.int32Data.count, "int32_data")
            let bits = proto.int32Data.map { UInt16(truncatingIfNeeded: $0) }
            return .float(try Tensor(shape: shape, scalars: bits.map {
                type == .float16 ? Float(halfBits: $0) : Float(bitPattern: UInt32($0) << 16)
            }))
        case .int64:
            try check(proto.int64Data.count, "int64_data")
            return .int(ONNXIntTensor(shape: shape, values: proto.int64Data.map { Int($0) }))
        case .uint32:
            try check(proto.uint64Data.count, "uint64_data")
            return .int(ONNXIntTensor(shape: shape, values: proto.uint64Data.map { Int(truncatingIfNeeded: $0) }))
        default:
            try check(proto.int32Data.count, "int32_data")
            return .int(ONNXIntTensor(shape: shape, values: proto.int32Data.map { Int($0) }))
        }
    }

    /// The bytes of an external-data tensor: `location`, `offset` and `length` from its
    /// external_data entries, read by ``ONNXExternalData``.
    private func externalBytes(_ proto: Onnx_TensorProto, what: String, expected: Int) throws -> Data {
        var entries: [String: String] = [:]
        for entry in proto.externalData where entries[entry.key] == nil { entries[entry.key] = entry.value }
        guard let location = entries["location"], !location.isEmpty else {
            throw fail(what, "is stored externally but names no location")
        }
        guard let external else {
            throw fail(what, "is stored in the external file \(quoted: location): load the model from its file so that the file can be found beside it")
        }
        func number(_ key: String) throws -> Int? {
            guard let text = entries[key] else { return nil }
            guard let n = Int(text), n >= 0 else { throw fail(what, "has external-data \(key) \(quoted: text), not a byte count") }
            return n
        }
        return try external.bytes(location: location, offset: try number("offset") ?? 0, length: try number("length"),
                                  expected: expected, what: what)
    }

    /// Little-endian bytes of `type` as a value.
    private static func fromRaw(_ raw: Data, type: Onnx_TensorProto.DataType, shape: [Int], isFloat: Bool) throws -> ONNXValue {
        try raw.withUnsafeBytes { (buffer: UnsafeRawBufferPointer) -> ONNXValue in
            func load<T>(_: T.Type, _ f: (T) -> Float) -> [Float] {
                (0..<(buffer.count / MemoryLayout<T>.size)).map { f(buffer.loadUnaligned(fromByteOffset: $0 * MemoryLayout<T>.size, as: T.self)) }
            }
            func ints<T: FixedWidthInteger>(_: T.Type) -> [Int] {
                (0..<(buffer.count / MemoryLayout<T>.size)).map {
                    Int(truncatingIfNeeded: T(littleEndian: buffer.loadUnaligned(fromByteOffset: $0 * MemoryLayout<T>.size, as: T.self)))
                }
            }
            switch type {
            case .float: return .float(try Tensor(shape: shape, scalars: load(UInt32.self) { Float(bitPattern: UInt32(littleEndian: $0)) }))
            case .double: return .float(try Tensor(shape: shape, scalars: load(UInt64.self) { Float(Double(bitPattern: UInt64(littleEndian: $0))) }))
            case .float16: return .float(try Tensor(shape: shape, scalars: load(UInt16.self) { Float(halfBits: UInt16(littleEndian: $0)) }))
            case .bfloat16: return .float(try Tensor(shape: shape, scalars: load(UInt16.self) { Float(bitPattern: UInt32(UInt16(littleEndian: $0)) << 16) }))
            case .int64: return .int(ONNXIntTensor(shape: shape, values: ints(Int64.self)))
            case .int32: return .int(ONNXIntTensor(shape: shape, values: ints(Int32.self)))
            case .uint32: return .int(ONNXIntTensor(shape: shape, values: ints(UInt32.self)))
            case .int16: return .int(ONNXIntTensor(shape: shape, values: ints(Int16.self)))
            case .uint16: return .int(ONNXIntTensor(shape: shape, values: ints(UInt16.self)))
            case .int8: return .int(ONNXIntTensor(shape: shape, values: ints(Int8.self)))
            default: return .int(ONNXIntTensor(shape: shape, values: ints(UInt8.self)))  // uint8, bool
            }
        }
    }

    /// Whether values of `type` are read as integers (``ONNXValue/int(_:)``).
    static func isInteger(_ type: Onnx_TensorProto.DataType) -> Bool {
        width(type) != nil && ![.float, .double, .float16, .bfloat16].contains(type)
    }

    /// Bytes per element of the supported types.
    static func width(_ type: Onnx_TensorProto.DataType) -> Int? {
        switch type {
        case .float, .int32, .uint32: 4
        case .double, .int64: 8
        case .float16, .bfloat16, .int16, .uint16: 2
        case .int8, .uint8, .bool: 1
        default: nil
        }
    }

    /// An ONNX data type's name (`FLOAT`, `STRING`), or its number when unknown.
    static func name(_ type: Int32) -> String {
        guard let known = Onnx_TensorProto.DataType(rawValue: Int(type)) else { return "\(type)" }
        return String(describing: known).uppercased()
    }
}
