import CZlib
import Foundation

/// gzip decompression through zlib, streamed a chunk at a time so that a caller can check a
/// header as soon as its bytes are out and nothing is inflated beyond what that header declares
/// (a small file that would inflate to gigabytes is refused after its first chunk, not at the end).
public enum Gzip {
    /// True when `bytes` start with the gzip magic number 1f 8b.
    public static func isGzipped(_ bytes: [UInt8]) -> Bool { bytes.count >= 2 && bytes[0] == 0x1f && bytes[1] == 0x8b }

    /// The largest decompressed size accepted when the caller knows nothing better (2 GiB; the
    /// largest data file we read, CIFAR-100's train.bin, is 154 MB).
    public static let defaultLimit = 1 << 31

    /// Deflate's largest expansion, 1032 : 1 (zlib's FAQ: a 258-byte match costs at least 2 bits
    /// with dynamic codes), so `n` compressed bytes never inflate to more than 1032·n.
    public static let maximumRatio = 1032

    /// Output is produced in chunks of this size; a header is checked after the first one.
    static let chunk = 1 << 16

    /// The decompressed contents of a gzip stream (its first member).
    ///
    /// - Parameters:
    ///   - source: names the data in errors.
    ///   - limit: the most bytes the output may have.
    ///   - expectedSize: called with the output so far after each chunk until it returns a size:
    ///     the exact number of bytes the output must have (e.g. read from a file format's header).
    ///     It returns nil while it needs more bytes and may throw to refuse the header. A size over
    ///     `limit`, or over what `input` can hold at deflate's ``maximumRatio``, is refused before
    ///     room for it is reserved, and output beyond it is refused as soon as it appears.
    ///     A stream that ends short of it is returned as it is (the caller's parser says what is missing).
    /// - Throws: ``ConvNetError`` naming `source` for a corrupt or truncated stream or a size over
    ///   the limits.
    public static func decompress(_ input: [UInt8], source: String, limit: Int = defaultLimit,
                                  expectedSize: (([UInt8]) throws -> Int?)? = nil) throws -> [UInt8] {
        var given = false
        return try inflateStream(compressedBytes: input.count, source: source, limit: limit, expectedSize: expectedSize) {
            defer { given = true }
            return given ? nil : input
        }
    }

    /// ``decompress(_:source:limit:expectedSize:)`` reading the compressed bytes from `file` a
    /// mebibyte at a time: only as much of the file as the gzip stream takes is read (bytes after
    /// its end, however many, are not).
    static func decompress(file: OpenedFile, limit: Int = defaultLimit,
                           expectedSize: (([UInt8]) throws -> Int?)? = nil) throws -> [UInt8] {
        var offset = 0
        return try inflateStream(compressedBytes: file.size, source: file.name, limit: limit, expectedSize: expectedSize) {
            let piece = try file.prefix(1 << 20, at: offset)
            offset += piece.count
            return piece.isEmpty ? nil : piece
        }
    }

    /// Inflates the pieces `next` returns (nil: no more) as ``decompress(_:source:limit:expectedSize:)``
    /// describes; `compressedBytes` is their total, for deflate's ratio.
    private static func inflateStream(compressedBytes: Int, source: String, limit: Int,
                                      expectedSize: (([UInt8]) throws -> Int?)?, next: () throws -> [UInt8]?) throws -> [UInt8] {
        var stream = z_stream()
        // 15 + 16: a gzip (not raw zlib) stream with the largest window.
        guard inflateInit2_(&stream, 15 + 16, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw ConvNetError(.resource, op: "gzip", "\(source): cannot initialise zlib")
        }
        defer { inflateEnd(&stream) }
        let ceiling = compressedBytes.multipliedReportingOverflow(by: maximumRatio)
        let possible = ceiling.overflow ? Int.max : ceiling.partialValue
        var output = [UInt8]()
        var bound = limit            // the most bytes accepted: `limit`, then the declared size
        var declared: Int? = nil
        var buffer = [UInt8](repeating: 0, count: chunk)
        var status: Int32 = Z_OK
        while status != Z_STREAM_END, let piece = try next() {
            try piece.withUnsafeBufferPointer { inBuf in
                stream.next_in = UnsafeMutablePointer(mutating: inBuf.baseAddress)
                stream.avail_in = uInt(inBuf.count)
                repeat {
                    status = buffer.withUnsafeMutableBufferPointer { out in
                        stream.next_out = out.baseAddress
                        stream.avail_out = uInt(chunk)
                        return inflate(&stream, Z_NO_FLUSH)
                    }
                    // Z_BUF_ERROR: no progress without more input (the next piece, or a truncated stream).
                    if status == Z_BUF_ERROR { break }
                    guard status == Z_OK || status == Z_STREAM_END else {
                        let reason = status == Z_DATA_ERROR ? "corrupt data" : "zlib error \(status)"
                        throw ConvNetError(.format, op: "gzip", "\(source): \(reason) after \(output.count) decompressed bytes")
                    }
                    let produced = chunk - Int(stream.avail_out)
                    guard produced <= bound - output.count else {
                        throw ConvNetError(.format, op: "gzip", declared.map { "\(source): decompresses to more than the \($0) bytes its header declares" }
                                           ?? "\(source): decompresses to more than \(limit) bytes; refusing it")
                    }
                    output.append(contentsOf: buffer[0..<produced])
                    if declared == nil, let expectedSize, let size = try expectedSize(output) {
                        guard size <= limit, size <= possible else {
                            let why = size > limit ? "more than the \(limit)-byte limit" : "more than \(compressedBytes) compressed bytes can hold (deflate expands at most \(maximumRatio):1)"
                            throw ConvNetError(.format, op: "gzip", "\(source): its header declares \(size) bytes, \(why); damaged or forged")
                        }
                        guard output.count <= size else {
                            throw ConvNetError(.format, op: "gzip", "\(source): decompresses to more than the \(size) bytes its header declares")
                        }
                        try MemoryBudget.require(size, op: "gzip", what: "\(source): the \(size) bytes its header declares")
                        declared = size
                        bound = size
                        output.reserveCapacity(size)
                    }
                } while status != Z_STREAM_END && (stream.avail_in > 0 || stream.avail_out == 0)
            }
        }
        guard status == Z_STREAM_END else {
            throw ConvNetError(.format, op: "gzip", "\(source): truncated stream (ended after \(output.count) decompressed bytes)")
        }
        return output
    }

    /// Reads a file, decompressing it if it is gzipped, to at most `limit` bytes.
    static func readFile(_ path: String, op: String = "read", limit: Int = defaultLimit) throws -> [UInt8] {
        let file = try RegularFile.open(RawPath(path), op: op)
        if isGzipped(try file.prefix(2)) { return try decompress(file: file, limit: limit) }
        guard file.size <= limit else { throw ConvNetError(.resource, op: op, "\(path): \(file.size) bytes is more than the \(limit)-byte limit for such a file") }
        return try file.bytes(at: 0, count: file.size)
    }
}
