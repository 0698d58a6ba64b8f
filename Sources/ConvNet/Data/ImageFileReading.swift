import Foundation

extension Image {
    /// The bytes of an image file that its decoder needs, read without trusting the file's size:
    /// a PNG up to the end of its IEND chunk (libpng never reads past it, so a small image followed
    /// by gigabytes, sparse or not, costs only the image), any other file whole, and in either
    /// case only after ``MemoryBudget`` has agreed to the bytes.
    /// - Throws: ``ConvNetError`` naming the file: missing or unreadable, not a regular file, or
    ///   more bytes than this process may allocate.
    public static func readFile(_ path: RawPath) throws -> [UInt8] {
        let file = try RegularFile.open(path, op: "image")
        let length = try file.prefix(8) == pngSignature ? try pngLength(file) : file.size
        return try file.bytes(at: 0, count: length)
    }

    /// ``readFile(_:)`` for a path given as text: the bytes ``decode(_:channels:source:)-([UInt8],_,_)`` needs.
    public static func readFile(_ path: String) throws -> [UInt8] { try readFile(RawPath(path)) }

    static let pngSignature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]

    /// How many of an image file's first bytes its decoder needs: for a PNG, up to the end of its
    /// IEND chunk (see ``readFile(_:)``); for anything else, all of them.
    public static func neededLength(of bytes: [UInt8]) -> Int {
        guard bytes.starts(with: pngSignature) else { return bytes.count }
        return pngLength(size: bytes.count) { offset, count in Array(bytes[offset..<min(offset + count, bytes.count)]) }
    }

    /// ``pngLength(size:read:)`` of an open file.
    static func pngLength(_ file: OpenedFile) throws -> Int {
        try pngLength(size: file.size) { offset, count in try file.prefix(count, at: offset) }
    }

    /// Where a PNG file's image ends: the end of its IEND chunk, found by walking the chunk headers
    /// (each chunk's length and type, its data skipped unread) of a file of `size` bytes, `read(offset,
    /// count)` giving up to `count` of them. A chunk header that is not one (a type that is not four
    /// letters, or a length over 2³¹ − 1) ends the walk just after it, so that libpng reports it; a
    /// file without IEND is read whole.
    static func pngLength(size: Int, read: (Int, Int) throws -> [UInt8]) rethrows -> Int {
        var offset = pngSignature.count
        var block: [UInt8] = [], blockStart = 0
        // Chunk headers are read through a 64 KiB window, so that many small chunks cost few reads.
        func header(at position: Int) throws -> ArraySlice<UInt8>? {
            if position < blockStart || position + 8 > blockStart + block.count {
                (block, blockStart) = (try read(position, 1 << 16), position)
            }
            guard position + 8 <= blockStart + block.count else { return nil }
            return block[(position - blockStart)..<(position - blockStart + 8)]
        }
        let isLetter = { (b: UInt8) in (0x41...0x5A).contains(b) || (0x61...0x7A).contains(b) }
        while offset < size, let bytes = try header(at: offset) {
            let h = Array(bytes)
            let length = Int(h[0]) << 24 | Int(h[1]) << 16 | Int(h[2]) << 8 | Int(h[3])
            guard h[4..<8].allSatisfy(isLetter), length < 1 << 31 else { return min(offset + 12, size) }
            let end = offset + 12 + length  // length, type, data, CRC
            if h[4..<8].elementsEqual("IEND".utf8) { return min(end, size) }
            offset = end
        }
        return size
    }
}
