import Foundation

/// TFRecord framing, the container of TensorBoard event files: each record is
/// `uint64 length`, `uint32 masked CRC-32C of those 8 bytes`, `length bytes of data`,
/// `uint32 masked CRC-32C of the data`, all little-endian.
public enum TFRecord {
    /// One record framing `data`.
    public static func frame(_ data: Data) -> Data {
        var record = Data(capacity: data.count + 16)
        let length = littleEndianBytes(UInt64(data.count))
        record.append(contentsOf: length)
        record.append(contentsOf: littleEndianBytes(CRC32C.masked(length)))
        record.append(data)
        record.append(contentsOf: littleEndianBytes(CRC32C.masked(data)))
        return record
    }

    /// The records of a whole file, each checked against both of its CRCs.
    /// - Parameter name: the file's name for error messages.
    /// - Throws: ``ConvNetError`` naming the file, the record and its byte offset for a truncated
    ///   record or a CRC that does not match.
    public static func records(in data: Data, name: String) throws -> [Data] {
        let bytes = [UInt8](data)
        var records: [Data] = []
        var offset = 0
        while offset < bytes.count {
            let record = records.count + 1
            guard bytes.count - offset >= 12 else {
                throw ConvNetError(.format, op: "tfrecord", "\(name): record \(record) at byte \(offset) is truncated (\(bytes.count - offset) bytes of a 12-byte header)")
            }
            let lengthBytes = bytes[offset..<offset + 8]
            let length = littleEndian(lengthBytes, as: UInt64.self)
            guard littleEndian(bytes[offset + 8..<offset + 12], as: UInt32.self) == CRC32C.masked(lengthBytes) else {
                throw ConvNetError(.format, op: "tfrecord", "\(name): record \(record) at byte \(offset) has a length whose CRC does not match (a corrupt file)")
            }
            let start = offset + 12
            guard length <= UInt64(bytes.count - start), bytes.count - start - Int(length) >= 4 else {
                throw ConvNetError(.format, op: "tfrecord", "\(name): record \(record) at byte \(offset) declares \(length) bytes but the file ends \(bytes.count - start) bytes later")
            }
            let payload = bytes[start..<start + Int(length)]
            guard littleEndian(bytes[start + Int(length)..<start + Int(length) + 4], as: UInt32.self) == CRC32C.masked(payload) else {
                throw ConvNetError(.format, op: "tfrecord", "\(name): record \(record) at byte \(offset) has data whose CRC does not match (a corrupt file)")
            }
            records.append(Data(payload))
            offset = start + Int(length) + 4
        }
        return records
    }

    private static func littleEndianBytes<T: FixedWidthInteger>(_ value: T) -> [UInt8] {
        withUnsafeBytes(of: value.littleEndian) { Array($0) }
    }

    private static func littleEndian<T: FixedWidthInteger>(_ bytes: ArraySlice<UInt8>, as: T.Type) -> T {
        bytes.reversed().reduce(T.zero) { $0 << 8 | T($1) }
    }
}
