import CImageCodecs
import Foundation

/// An 8-bit image in memory: `height × width × channels` bytes, row-major, channels interleaved
/// (1 = gray, 3 = RGB).
public struct Image: Sendable, Equatable {
    public var width: Int, height: Int, channels: Int
    public var pixels: [UInt8]

    /// An image from interleaved bytes.
    /// - Throws: ``ConvNetError`` unless `pixels` holds exactly width·height·channels bytes and channels is 1 or 3.
    public init(width: Int, height: Int, channels: Int, pixels: [UInt8]) throws {
        guard width > 0, height > 0, channels == 1 || channels == 3, pixels.count == width * height * channels else {
            throw ConvNetError(op: "image", "\(width)×\(height)×\(channels) does not fit \(pixels.count) bytes (channels must be 1 or 3)")
        }
        (self.width, self.height, self.channels, self.pixels) = (width, height, channels, pixels)
    }

    /// Reads a PNG (or JPEG) file as gray (`channels: 1`) or RGB (`3`); the same as
    /// ``read(path:channels:)``, which recognises the format by the file's first bytes.
    /// - Throws: ``ConvNetError`` naming the file and the decoder's reason for an unreadable file.
    public static func readPNG(path: String, channels: Int = 3) throws -> Image {
        try read(path: path, channels: channels)
    }

    /// Writes a PNG file (8-bit gray or RGB, not interlaced) atomically.
    /// - Throws: ``ConvNetError`` naming the file when encoding or writing fails.
    public func writePNG(path: String) throws {
        try AtomicFile.write(pngData(name: path), to: path)
    }

    /// The image encoded as a PNG file's bytes (8-bit gray or RGB, not interlaced).
    /// - Parameter name: what error messages call the image.
    /// - Throws: ``ConvNetError`` when encoding fails.
    public func pngData(name: String = "image") throws -> Data {
        var error = [CChar](repeating: 0, count: Int(CIC_ERROR_SIZE))
        var png: UnsafeMutablePointer<UInt8>?
        var size = 0
        let status = pixels.withUnsafeBufferPointer {
            cic_encode_png($0.baseAddress, Int32(width), Int32(height), Int32(channels), &png, &size, &error)
        }
        defer { cic_free(png) }
        guard status == 0, let png else {
            throw ConvNetError(op: "png", "\(name): cannot encode a \(width)×\(height) image (\(decoderMessage(error)))")
        }
        return Data(bytes: png, count: size)
    }

    /// Writes a baseline JPEG file atomically (`quality` 1–100; colour with 4:2:0 chroma
    /// subsampling, PIL's default).
    public func writeJPEG(path: String, quality: Int = 95) throws {
        try AtomicFile.write(jpegData(name: path, quality: quality), to: path)
    }

    /// The image encoded as a baseline JPEG file's bytes (see ``writeJPEG(path:quality:)``).
    /// - Parameter name: what error messages call the image.
    /// - Throws: ``ConvNetError`` when encoding fails.
    public func jpegData(name: String = "image", quality: Int = 95) throws -> Data {
        var error = [CChar](repeating: 0, count: Int(CIC_ERROR_SIZE))
        var jpeg: UnsafeMutablePointer<UInt8>?
        var size = 0
        let status = pixels.withUnsafeBufferPointer {
            cic_encode_jpeg($0.baseAddress, Int32(width), Int32(height), Int32(channels), Int32(quality), &jpeg, &size, &error)
        }
        defer { cic_free(jpeg) }
        guard status == 0, let jpeg else {
            throw ConvNetError(op: "jpeg", "\(name): cannot encode a \(width)×\(height) image (\(decoderMessage(error)))")
        }
        return Data(bytes: jpeg, count: size)
    }
}
