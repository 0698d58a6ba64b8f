import Foundation

/// A path exactly as the file system spells it. Linux allows any bytes but "/" and NUL in a name,
/// not only UTF-8, and a Swift `String` cannot hold the others: a file listed from a folder is
/// opened by these bytes, and shown in messages by ``description``, where each byte that is not
/// part of valid UTF-8 is written `\xNN` (as Python's `repr` of a `bytes` path writes it).
public struct RawPath: Sendable, Hashable, CustomStringConvertible {
    /// The path's bytes (no NUL).
    public let bytes: [UInt8]

    /// The path of a `String` (its UTF-8).
    public init(_ path: String) { bytes = Array(path.utf8) }

    /// The path of raw bytes.
    public init(bytes: [UInt8]) { self.bytes = bytes }

    /// The path readable: valid UTF-8 as it is, any other byte as `\xNN`.
    public var description: String { Self.readable(bytes) }

    /// True when the bytes are valid UTF-8 (``description`` then spells the path exactly).
    public var isUTF8: Bool { String(validating: bytes, as: UTF8.self) != nil }

    /// `self/name`.
    func appending(_ name: [UInt8]) -> RawPath {
        RawPath(bytes: bytes.last == UInt8(ascii: "/") ? bytes + name : bytes + [UInt8(ascii: "/")] + name)
    }

    /// Calls `body` with the path as a NUL-terminated C string.
    func withCString<T>(_ body: (UnsafePointer<CChar>) throws -> T) rethrows -> T {
        try (bytes + [0]).withUnsafeBufferPointer { buffer in
            try buffer.withMemoryRebound(to: CChar.self) { try body($0.baseAddress!) }
        }
    }

    /// `bytes` as text, each byte outside a valid UTF-8 sequence escaped as `\xNN`.
    static func readable(_ bytes: [UInt8]) -> String {
        if let text = String(validating: bytes, as: UTF8.self) { return text }
        var text = "", i = 0
        while i < bytes.count {
            // The longest valid sequence (1 to 4 bytes) starting here, else one escaped byte.
            var taken = 0
            for length in 1...4 where i + length <= bytes.count {
                if let scalar = String(validating: bytes[i..<(i + length)], as: UTF8.self), scalar.unicodeScalars.count == 1 {
                    text += scalar
                    taken = length
                    break
                }
            }
            if taken == 0 {
                text += "\\x" + (bytes[i] < 16 ? "0" : "") + String(bytes[i], radix: 16)
                taken = 1
            }
            i += taken
        }
        return text
    }
}
