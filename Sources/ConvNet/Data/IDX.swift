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
    public static func read(path: String) throws -> IDXArray {
        try parse(try Gzip.readFile(path), source: path)
    }

    /// Parses IDX bytes; `source` names them in errors.
    public static func parse(_ data: [UInt8], source: String) throws -> IDXArray {
        let op = "idx"
        guard data.count >= 4 else { throw ConvNetError(op: op, "\(source): \(data.count) bytes is too short for an IDX header") }
        guard data[0] == 0, data[1] == 0 else {
            throw ConvNetError(op: op, "\(source): wrong magic number \(hex(data[0..<4])) (an IDX file starts with 00 00)")
        }
        guard data[2] == 0x08 else {
            throw ConvNetError(op: op, "\(source): element type 0x\(String(data[2], radix: 16)) is not supported (only 0x08, unsigned byte)")
        }
        let dims = Int(data[3])
        let headerSize = 4 + 4 * dims
        guard dims >= 1, data.count >= headerSize else {
            throw ConvNetError(op: op, "\(source): header declares \(dims) dimensions but the file has only \(data.count) bytes")
        }
        let shape = (0..<dims).map { d -> Int in
            let o = 4 + 4 * d
            return Int(data[o]) << 24 | Int(data[o + 1]) << 16 | Int(data[o + 2]) << 8 | Int(data[o + 3])
        }
        // The product of up to 255 sizes of up to 2³² − 1 overflows Int: checked, not trapped.
        var count = 1, overflow = false
        for size in shape where !overflow { (count, overflow) = count.multipliedReportingOverflow(by: size) }
        guard !overflow else {
            throw ConvNetError(op: op, "\(source): header says \(shape.map(String.init).joined(separator: "×")) values, more than any file holds")
        }
        guard data.count - headerSize == count else {
            throw ConvNetError(op: op, "\(source): header says \(shape.map(String.init).joined(separator: "×")) = \(count) values but the file holds \(data.count - headerSize)\(data.count - headerSize < count ? " (truncated?)" : "")")
        }
        return IDXArray(shape: shape, bytes: Array(data[headerSize...]))
    }

    private static func hex(_ bytes: ArraySlice<UInt8>) -> String {
        bytes.map { b in (b < 16 ? "0" : "") + String(b, radix: 16) }.joined(separator: " ")
    }
}
