import Foundation

/// The safetensors format (Hugging Face), which PyTorch reads with `safetensors.torch.load_file`:
/// an 8-byte little-endian header length, a JSON header
/// `{"name": {"dtype": "F32", "shape": [...], "data_offsets": [begin, end]}, "__metadata__": {...}}`,
/// then the raw little-endian tensor bytes.
public enum SafeTensors {
    /// The contents of a file: tensors by name, in file order, and the string metadata.
    public struct Contents {
        public var tensors: [(name: String, tensor: Tensor)]
        public var metadata: [String: String]

        /// Named tensors (in file order) and string metadata.
        public init(tensors: [(name: String, tensor: Tensor)], metadata: [String: String] = [:]) {
            self.tensors = tensors
            self.metadata = metadata
        }

        /// Tensors by name.
        public var dictionary: [String: Tensor] { tensors.dictionary }
    }

    /// Serialises tensors (as F32) and metadata.
    public static func encode(_ contents: Contents) throws -> Data {
        var header: [String: Any] = [:]
        if !contents.metadata.isEmpty { header["__metadata__"] = contents.metadata }
        var offset = 0
        for (name, tensor) in contents.tensors {
            guard header[name] == nil, name != "__metadata__" else {
                throw ConvNetError(.argument, op: "safetensors", "duplicate or reserved tensor name \"\(name)\"")
            }
            let bytes = tensor.count * 4
            header[name] = ["dtype": "F32", "shape": tensor.shape, "data_offsets": [offset, offset + bytes]]
            offset += bytes
        }
        var json = try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])
        // Pad the header with spaces so the data starts 8-byte aligned.
        while json.count % 8 != 0 { json.append(0x20) }
        var data = Data(capacity: 8 + json.count + offset)
        withUnsafeBytes(of: UInt64(json.count).littleEndian) { data.append(contentsOf: $0) }
        data.append(json)
        for (_, tensor) in contents.tensors {
            tensor.withUnsafeBufferPointer { buffer in
                // Float32 in memory is little-endian on every platform Swift supports.
                data.append(UnsafeBufferPointer(start: UnsafeRawPointer(buffer.baseAddress!).assumingMemoryBound(to: UInt8.self),
                                                count: buffer.count * 4))
            }
        }
        return data
    }

    /// The most header bytes accepted (the reference implementation's limit, 100 MB).
    public static let maximumHeaderBytes = 100_000_000

    /// One tensor's entry in the header.
    struct Entry {
        var name: String, dtype: String, shape: [Int], begin: Int, end: Int
    }

    /// Parses safetensors bytes; F32, F64, F16, BF16, I64, I32, I16, I8, U8 and BOOL tensors are
    /// converted to Float. `source` names the data in errors.
    /// - Throws: ``ConvNetError`` for a truncated file, a malformed header, offsets outside the
    ///   data or overlapping, or a size that disagrees with the shape.
    public static func decode(_ data: Data, source: String) throws -> Contents {
        let headerLength = try self.headerLength(Array(data.prefix(8)), fileSize: data.count, source: source)
        let dataStart = 8 + headerLength
        let (metadata, entries) = try header(data.subdata(in: 8..<dataStart), dataBytes: data.count - dataStart, source: source)
        return Contents(tensors: try tensors(entries, data: data.subdata(in: dataStart..<data.count), source: source), metadata: metadata)
    }

    /// The header's length from the file's first 8 bytes, checked against the file's size.
    static func headerLength(_ first: [UInt8], fileSize: Int, source: String) throws -> Int {
        let op = "safetensors"
        guard first.count >= 8 else { throw ConvNetError(.format, op: op, "\(source): \(fileSize) bytes is too short (no header length)") }
        let length = first.prefix(8).enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) }
        guard length <= UInt64(fileSize - 8) else {
            throw ConvNetError(.format, op: op, "\(source): header length \(length) exceeds the file (\(fileSize) bytes); truncated or not safetensors")
        }
        guard length <= UInt64(maximumHeaderBytes) else {
            throw ConvNetError(.format, op: op, "\(source): header length \(length) is more than the \(maximumHeaderBytes)-byte limit; damaged or not safetensors")
        }
        return Int(length)
    }

    /// The metadata and tensor entries of a JSON header, each entry checked against the
    /// `dataBytes` that follow the header.
    static func header(_ json: Data, dataBytes: Int, source: String) throws -> (metadata: [String: String], entries: [Entry]) {
        let op = "safetensors"
        guard let header = try? JSONSerialization.jsonObject(with: json) as? [String: Any] else {
            throw ConvNetError(.format, op: op, "\(source): the header is not a JSON object")
        }
        let metadata = header["__metadata__"] as? [String: String] ?? [:]
        var entries: [Entry] = []
        for (name, value) in header where name != "__metadata__" {
            guard let info = value as? [String: Any], let dtype = info["dtype"] as? String,
                  let shape = (info["shape"] as? [NSNumber])?.map(\.intValue),
                  let offsets = (info["data_offsets"] as? [NSNumber])?.map(\.intValue), offsets.count == 2 else {
                throw ConvNetError(.format, op: op, "\(source): entry \"\(name)\" lacks dtype, shape or data_offsets")
            }
            guard let width = elementSize[dtype] else {
                throw ConvNetError(.unsupported, op: op, "\(source): tensor \"\(name)\" has unsupported dtype \(dtype)")
            }
            // Written so that no sum or product of header numbers can overflow (offsets near 2⁶³,
            // shapes whose product exceeds Int are errors, not traps).
            guard shape.allSatisfy({ $0 >= 0 }), offsets[0] >= 0, offsets[0] <= offsets[1], offsets[1] <= dataBytes else {
                throw ConvNetError(.format, op: op, "\(source): tensor \"\(name)\" has offsets \(offsets) outside the \(dataBytes) data bytes (truncated file?)")
            }
            var bytes = width, overflow = false
            for size in shape where !overflow { (bytes, overflow) = bytes.multipliedReportingOverflow(by: size) }
            guard !overflow, offsets[1] - offsets[0] == bytes else {
                throw ConvNetError(.format, op: op, "\(source): tensor \"\(name)\" of shape \(shape) and dtype \(dtype) needs \(overflow ? "more than \(Int.max)" : String(bytes)) bytes, has \(offsets[1] - offsets[0])")
            }
            entries.append(Entry(name: name, dtype: dtype, shape: shape, begin: offsets[0], end: offsets[1]))
        }
        entries.sort { $0.begin < $1.begin || ($0.begin == $1.begin && $0.end < $1.end) }
        for (a, b) in zip(entries, entries.dropFirst()) where b.begin < a.end {
            throw ConvNetError(.format, op: op, "\(source): tensors \"\(a.name)\" and \"\(b.name)\" overlap")
        }
        return (metadata, entries)
    }

    /// The tensors of `entries` from the data section (`data` starts where the header ends).
    static func tensors(_ entries: [Entry], data: Data, source: String) throws -> [(name: String, tensor: Tensor)] {
        try entries.map { entry in
            let bytes = data.subdata(in: entry.begin..<entry.end)
            return (entry.name, try Tensor(shape: entry.shape, scalars: convert(bytes, dtype: entry.dtype)))
        }
    }

    /// Writes a file atomically: a temporary file in the same folder, flushed, then renamed over
    /// `path`, so a killed process leaves either the old file or the new one, never a torn one.
    public static func write(_ contents: Contents, to path: String) throws {
        try AtomicFile.write(try encode(contents), to: path)
    }

    /// Reads a safetensors file: the header first, then, once the tensors it declares are known
    /// to fit in memory (their bytes and their Float copies, ``MemoryBudget``), only the data
    /// they use (bytes after the last tensor are never read).
    /// - Throws: ``ConvNetError`` as ``decode(_:source:)``, and when the tensors do not fit in memory.
    public static func read(path: String) throws -> Contents {
        let op = "safetensors"
        let file = try RegularFile.open(RawPath(path), op: op)
        let headerLength = try self.headerLength(try file.prefix(8), fileSize: file.size, source: path)
        let dataStart = 8 + headerLength
        let (metadata, entries) = try header(try file.data(at: 8, count: headerLength), dataBytes: file.size - dataStart, source: path)
        let used = entries.map(\.end).max() ?? 0
        let floats = MemoryBudget.sum(entries.map { MemoryBudget.product($0.shape + [MemoryLayout<Float>.size]) ?? .max }) ?? .max
        try MemoryBudget.require(MemoryBudget.sum([used, floats]) ?? .max, op: op,
                                 what: "\(path): \(entries.count) tensors (\(MemoryBudget.format(used)) of data, \(MemoryBudget.format(floats)) as Float)")
        let data = try file.data(at: dataStart, count: used)
        guard data.count == used else { throw ConvNetError(.format, op: op, "\(path): the file shrank while it was read") }
        return Contents(tensors: try tensors(entries, data: data, source: path), metadata: metadata)
    }

    private static let elementSize: [String: Int] = [
        "F32": 4, "F64": 8, "F16": 2, "BF16": 2, "I64": 8, "I32": 4, "I16": 2, "I8": 1, "U8": 1, "BOOL": 1,
    ]

    private static func convert(_ bytes: Data, dtype: String) -> [Float] {
        bytes.withUnsafeBytes { raw -> [Float] in
            func load<T>(_: T.Type, _ f: (T) -> Float) -> [Float] {
                (0..<(raw.count / MemoryLayout<T>.size)).map { f(raw.loadUnaligned(fromByteOffset: $0 * MemoryLayout<T>.size, as: T.self)) }
            }
            switch dtype {
            case "F32": return load(UInt32.self) { Float(bitPattern: UInt32(littleEndian: $0)) }
            case "F64": return load(UInt64.self) { Float(Double(bitPattern: UInt64(littleEndian: $0))) }
            case "F16": return load(UInt16.self) { Float(halfBits: UInt16(littleEndian: $0)) }
            case "BF16": return load(UInt16.self) { Float(bitPattern: UInt32(UInt16(littleEndian: $0)) << 16) }
            case "I64": return load(Int64.self) { Float(Int64(littleEndian: $0)) }
            case "I32": return load(Int32.self) { Float(Int32(littleEndian: $0)) }
            case "I16": return load(Int16.self) { Float(Int16(littleEndian: $0)) }
            case "I8": return load(Int8.self) { Float($0) }
            default: return load(UInt8.self) { Float($0) }  // U8, BOOL
            }
        }
    }
}

extension Float {
    /// An IEEE half-precision value given by its bits.
    package init(halfBits h: UInt16) {
        let sign = UInt32(h >> 15) << 31
        let exponent = UInt32(h >> 10) & 0x1f
        let mantissa = UInt32(h) & 0x3ff
        if exponent == 0 {
            self = (sign != 0 ? -1 : 1) * Float(mantissa) * 0x1p-24  // zero or subnormal
        } else if exponent == 0x1f {
            self = Float(bitPattern: sign | 0x7f80_0000 | mantissa << 13)  // inf or NaN
        } else {
            self = Float(bitPattern: sign | (exponent + 112) << 23 | mantissa << 13)
        }
    }
}
