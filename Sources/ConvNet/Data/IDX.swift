/// The IDX format of MNIST and Fashion-MNIST: a big-endian header — two zero bytes, a type code
/// (0x08 = unsigned byte), the number of dimensions d — then d big-endian UInt32 sizes, then the
/// values row-major.
public struct IDXArray: Sendable {
    /// The sizes of each dimension (`[60000, 28, 28]` for MNIST training images).
    public var shape: [Int]
    /// The values, row-major.
    public var bytes: [UInt8]

    /// Parses an IDX file (plain or gzipped).
    /// - Throws: ``ConvNetError`` naming the file for a wrong magic number, an unsupported type,
    ///   or a size that disagrees with the header.
    ///
    /// The header is read first: a plain file whose size disagrees with it is refused before its
    /// values are read, and a gzipped one is inflated straight from the file, so that neither a
    /// forged header nor bytes after the data (a sparse file of gigabytes) are ever allocated.
    public static func read(path: String) throws -> IDXArray {
        let file = try RegularFile.open(RawPath(path), op: "idx")
        let start = try file.prefix(4 + 4 * 255)  // the longest header: 255 dimensions
        if Gzip.isGzipped(start) {
            let inflated = try Gzip.decompress(file: file) { prefix in
                try header(prefix, source: path).map { $0.size + $0.count }
            }
            return try parsePlain(inflated, source: path)
        }
        if let (shape, headerSize, count) = try header(start, source: path), file.size - headerSize != count {
            throw sizeMismatch(shape: shape, count: count, holds: file.size - headerSize, source: path)
        }
        return try parsePlain(try file.bytes(at: 0, count: file.size), source: path)
    }

    /// Parses the bytes of an IDX file, plain or gzipped; `source` names them in errors.
    ///
    /// A gzipped file is inflated a chunk at a time: its header is checked as soon as it is out,
    /// and nothing beyond the size the header declares is inflated (nor a declared size that the
    /// compressed bytes cannot hold), so a small file cannot make the reader allocate gigabytes.
    /// - Throws: ``ConvNetError`` as ``read(path:)`` does, and for a corrupt or truncated gzip stream.
    public static func parse(_ data: [UInt8], source: String) throws -> IDXArray {
        guard Gzip.isGzipped(data) else { return try parsePlain(data, source: source) }
        let inflated = try Gzip.decompress(data, source: source) { prefix in
            try header(prefix, source: source).map { $0.size + $0.count }
        }
        return try parsePlain(inflated, source: source)
    }

    /// Parses uncompressed IDX bytes.
    static func parsePlain(_ data: [UInt8], source: String) throws -> IDXArray {
        guard let (shape, headerSize, count) = try header(data, source: source) else {
            throw ConvNetError(.format, op: "idx", data.count < 4 ? "\(source): \(data.count) bytes is too short for an IDX header"
                               : "\(source): header declares \(data[3]) dimensions but the file has only \(data.count) bytes")
        }
        guard data.count - headerSize == count else {
            throw sizeMismatch(shape: shape, count: count, holds: data.count - headerSize, source: source)
        }
        return IDXArray(shape: shape, bytes: Array(data[headerSize...]))
    }

    private static func sizeMismatch(shape: [Int], count: Int, holds: Int, source: String) -> ConvNetError {
        ConvNetError(.format, op: "idx", "\(source): header says \(shape.map(String.init).joined(separator: "×")) = \(count) values but the file holds \(holds)\(holds < count ? " (truncated?)" : "")")
    }

    /// The header at the start of `data`: the shape, the header's size in bytes and the number of
    /// values it declares; nil when `data` is too short to hold it all.
    /// - Throws: ``ConvNetError`` for a wrong magic number, an unsupported type, no dimensions,
    ///   or sizes whose product overflows.
    static func header(_ data: [UInt8], source: String) throws -> (shape: [Int], size: Int, count: Int)? {
        let op = "idx"
        guard data.count >= 4 else { return nil }
        guard data[0] == 0, data[1] == 0 else {
            throw ConvNetError(.format, op: op, "\(source): wrong magic number \(hex(data[0..<4])) (an IDX file starts with 00 00)")
        }
        guard data[2] == 0x08 else {
            throw ConvNetError(.unsupported, op: op, "\(source): element type 0x\(String(data[2], radix: 16)) is not supported (only 0x08, unsigned byte)")
        }
        let dims = Int(data[3])
        let headerSize = 4 + 4 * dims
        guard dims >= 1 else { throw ConvNetError(.format, op: op, "\(source): header declares 0 dimensions") }
        guard data.count >= headerSize else { return nil }
        let shape = (0..<dims).map { d -> Int in
            let o = 4 + 4 * d
            return Int(data[o]) << 24 | Int(data[o + 1]) << 16 | Int(data[o + 2]) << 8 | Int(data[o + 3])
        }
        // The product of up to 255 sizes of up to 2³² − 1 overflows Int: checked, not trapped;
        // so does the total with the header's size.
        var count = 1, overflow = false
        for size in shape where !overflow { (count, overflow) = count.multipliedReportingOverflow(by: size) }
        guard !overflow, count <= Int.max - headerSize else {
            throw ConvNetError(.format, op: op, "\(source): header says \(shape.map(String.init).joined(separator: "×")) values, more than any file holds")
        }
        return (shape, headerSize, count)
    }

    private static func hex(_ bytes: ArraySlice<UInt8>) -> String {
        bytes.map { b in (b < 16 ? "0" : "") + String(b, radix: 16) }.joined(separator: " ")
    }
}
