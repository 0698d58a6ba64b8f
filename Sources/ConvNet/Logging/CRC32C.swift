/// CRC-32C (Castagnoli): the checksum TFRecord files carry, reflected polynomial 0x82F63B78,
/// initial value and final XOR 0xFFFFFFFF (`crc32c("123456789") == 0xE3069283`).
public enum CRC32C {
    /// One entry per byte value: the remainder of that byte shifted through the polynomial 8 times.
    private static let table: [UInt32] = (0..<256).map { byte in
        var crc = UInt32(byte)
        for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0x82F6_3B78 : crc >> 1 }
        return crc
    }

    /// The checksum of `bytes`.
    public static func checksum<Bytes: Sequence>(_ bytes: Bytes) -> UInt32 where Bytes.Element == UInt8 {
        var crc: UInt32 = 0xFFFF_FFFF
        table.withUnsafeBufferPointer { table in
            for byte in bytes { crc = table[Int((crc ^ UInt32(byte)) & 0xFF)] ^ (crc >> 8) }
        }
        return ~crc
    }

    /// The checksum as TFRecord stores it: rotated right by 15 bits plus a constant, so that a
    /// CRC computed over data that itself holds CRCs does not degenerate.
    public static func masked<Bytes: Sequence>(_ bytes: Bytes) -> UInt32 where Bytes.Element == UInt8 {
        let crc = checksum(bytes)
        return ((crc >> 15) | (crc << 17)) &+ 0xA282_EAD8
    }
}
