import CZlib
import Foundation

/// gzip decompression through zlib.
enum Gzip {
    /// True when `bytes` start with the gzip magic number 1f 8b.
    static func isGzipped(_ bytes: [UInt8]) -> Bool { bytes.count >= 2 && bytes[0] == 0x1f && bytes[1] == 0x8b }

    /// The largest decompressed size accepted (a guard against decompression bombs; the largest
    /// data file we read, CIFAR-100's train.bin, is 154 MB).
    static let defaultLimit = 1 << 31

    /// The decompressed contents of a gzip stream.
    /// - Throws: ``ConvNetError`` naming `source` when the stream is corrupt or truncated, or
    ///   would decompress to more than `limit` bytes.
    static func decompress(_ input: [UInt8], source: String, limit: Int = defaultLimit) throws -> [UInt8] {
        var stream = z_stream()
        // 15 + 16: a gzip (not raw zlib) stream with the largest window.
        guard inflateInit2_(&stream, 15 + 16, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw ConvNetError(op: "gzip", "\(source): cannot initialise zlib")
        }
        defer { inflateEnd(&stream) }
        var output = [UInt8]()
        output.reserveCapacity(min(input.count, limit / 4) * 4)
        let chunk = 1 << 20
        var buffer = [UInt8](repeating: 0, count: chunk)
        var status: Int32 = Z_OK
        try input.withUnsafeBufferPointer { inBuf in
            stream.next_in = UnsafeMutablePointer(mutating: inBuf.baseAddress)
            stream.avail_in = uInt(inBuf.count)
            repeat {
                status = buffer.withUnsafeMutableBufferPointer { out in
                    stream.next_out = out.baseAddress
                    stream.avail_out = uInt(chunk)
                    return inflate(&stream, Z_NO_FLUSH)
                }
                guard status == Z_OK || status == Z_STREAM_END else {
                    let reason = status == Z_DATA_ERROR ? "corrupt data" : status == Z_BUF_ERROR ? "truncated stream" : "zlib error \(status)"
                    throw ConvNetError(op: "gzip", "\(source): \(reason) after \(output.count) decompressed bytes")
                }
                output.append(contentsOf: buffer[0..<(chunk - Int(stream.avail_out))])
                guard output.count <= limit else {
                    throw ConvNetError(op: "gzip", "\(source): decompresses to more than \(limit) bytes; refusing it")
                }
                if status != Z_STREAM_END && stream.avail_in == 0 && stream.avail_out != 0 {
                    throw ConvNetError(op: "gzip", "\(source): truncated stream (ended after \(output.count) decompressed bytes)")
                }
            } while status != Z_STREAM_END
        }
        return output
    }

    /// Reads a file, decompressing it if it is gzipped.
    static func readFile(_ path: String) throws -> [UInt8] {
        let bytes = try RegularFile.bytes(path, op: "read")
        return isGzipped(bytes) ? try decompress(bytes, source: path) : bytes
    }
}
