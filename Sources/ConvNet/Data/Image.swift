import CPNG
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

    /// Reads a PNG file (any colour type or bit depth) as gray (`channels: 1`) or RGB (`3`);
    /// transparency is composited onto black.
    /// - Throws: ``ConvNetError`` naming the file and libpng's reason for an unreadable file.
    public static func readPNG(path: String, channels: Int = 3) throws -> Image {
        guard channels == 1 || channels == 3 else { throw ConvNetError(op: "png", "channels must be 1 or 3, not \(channels)") }
        guard FileManager.default.isReadableFile(atPath: path) else {
            throw ConvNetError(op: "png", "\(path): cannot read the file (missing or unreadable)")
        }
        var image = png_image()
        image.version = shim_png_image_version()
        defer { png_image_free(&image) }
        func failure(_ what: String) -> ConvNetError {
            let reason = withUnsafeBytes(of: image.message) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            return ConvNetError(op: "png", "\(path): \(what)\(reason.isEmpty ? "" : " (\(reason))")")
        }
        // png_image_begin_read_from_file: reads the header; format then selects the output layout.
        guard png_image_begin_read_from_file(&image, path) != 0 else { throw failure("not a readable PNG image") }
        image.format = channels == 1 ? shim_png_format_gray() : shim_png_format_rgb()
        let (width, height) = (Int(image.width), Int(image.height))
        var pixels = [UInt8](repeating: 0, count: width * height * channels)
        // png_image_finish_read: decodes and converts every row into our buffer.
        let ok = pixels.withUnsafeMutableBytes { png_image_finish_read(&image, nil, $0.baseAddress, Int32(width * channels), nil) }
        guard ok != 0 else { throw failure("corrupt or truncated PNG data") }
        return try Image(width: width, height: height, channels: channels, pixels: pixels)
    }

    /// Writes a PNG file atomically.
    public func writePNG(path: String) throws {
        var image = png_image()
        image.version = shim_png_image_version()
        image.width = UInt32(width)
        image.height = UInt32(height)
        image.format = channels == 1 ? shim_png_format_gray() : shim_png_format_rgb()
        var size = 0
        // png_image_write_to_memory with a null buffer reports the size needed, then encodes.
        guard pixels.withUnsafeBytes({ png_image_write_to_memory(&image, nil, &size, 0, $0.baseAddress, Int32(width * channels), nil) }) != 0 else {
            throw ConvNetError(op: "png", "\(path): cannot encode a \(width)×\(height) image")
        }
        var data = Data(count: size)
        let ok = data.withUnsafeMutableBytes { out in
            pixels.withUnsafeBytes { png_image_write_to_memory(&image, out.baseAddress, &size, 0, $0.baseAddress, Int32(width * channels), nil) }
        }
        guard ok != 0 else { throw ConvNetError(op: "png", "\(path): cannot encode a \(width)×\(height) image") }
        try AtomicFile.write(data.prefix(size), to: path)
    }
}
