import CImageCodecs
import Foundation

extension Image {
    /// The file formats ``Image/decode(_:channels:source:)`` reads, recognised by their first
    /// bytes, never by a file name.
    public enum FileFormat: String, Sendable {
        /// PNG, signature 89 50 4E 47 0D 0A 1A 0A.
        case png = "PNG"
        /// JPEG (JFIF, Exif or bare), starting FF D8 FF.
        case jpeg = "JPEG"

        /// The format whose signature `bytes` start with, or nil.
        public init?(sniffing bytes: UnsafeRawBufferPointer) {
            switch cic_sniff(bytes.baseAddress?.assumingMemoryBound(to: UInt8.self), bytes.count) {
            case Int32(CIC_FORMAT_PNG): self = .png
            case Int32(CIC_FORMAT_JPEG): self = .jpeg
            default: return nil
            }
        }
    }

    /// The largest image the decoders accept, in pixels (2^28); bigger headers are refused
    /// before anything is allocated.
    public static let maximumPixels = Int(CIC_MAX_PIXELS)

    /// A PNG header must fit its file: the filtered rows it implies are at most this many times the
    /// file's size (deflate's largest expansion, 1032 : 1), checked before anything is allocated.
    public static let maximumPNGExpansion = Int(CIC_DEFLATE_RATIO)

    /// A JPEG header may declare at most this many pixels per byte of file (512: one bit for each
    /// 8 × 8 block, the least Huffman coding spends), checked before anything is allocated.
    public static let maximumJPEGPixelsPerByte = Int(CIC_JPEG_PIXELS_PER_BYTE)

    /// Decodes a PNG or JPEG image held in memory to 8-bit gray (`channels: 1`) or RGB (`3`),
    /// converting as PIL's `Image.open(f).convert("L")` / `.convert("RGB")` does:
    /// - PNG: palettes expanded (transparency ignored), 1/2/4-bit gray scaled to 8 bits, 16-bit
    ///   samples reduced to their high byte (libpng's `png_set_strip_16`; PIL clips 16-bit gray
    ///   instead), alpha dropped without compositing, interlaced files read, gamma not applied;
    /// - JPEG: libjpeg-turbo's accurate integer IDCT and fancy upsampling (PIL's decoding), CMYK
    ///   files inverted as Adobe writes them and converted with PIL's formula; a truncated file is
    ///   an error, recoverable corruption is not (as in PIL);
    /// - colour to gray: PIL's ITU-R 601-2 luma, L = (19595 R + 38470 G + 7471 B + 32768) >> 16;
    ///   gray to RGB: the value three times.
    ///
    /// - Parameter source: what the bytes are (a file name), for error messages.
    /// - Throws: ``ConvNetError`` naming `source` and the decoder's reason (libpng's or libjpeg's
    ///   own message) for data that is not a PNG or JPEG, corrupt, truncated, or larger than
    ///   ``maximumPixels``.
    public static func decode(_ bytes: UnsafeRawBufferPointer, channels: Int = 3, source: String = "image") throws -> Image {
        guard channels == 1 || channels == 3 else {
            throw ConvNetError(.format, op: "image", "\(source): channels must be 1 or 3, not \(channels)")
        }
        let data = bytes.baseAddress?.assumingMemoryBound(to: UInt8.self)
        var error = [CChar](repeating: 0, count: Int(CIC_ERROR_SIZE))
        func failure() -> ConvNetError {
            let format = FileFormat(sniffing: bytes).map { "\($0.rawValue): " } ?? ""
            return ConvNetError(.format, op: "image", "\(source): \(format)\(decoderMessage(error))")
        }
        var header = cic_header()
        guard cic_read_header(data, bytes.count, &header, &error) == 0 else { throw failure() }
        let (width, height) = (Int(header.width), Int(header.height))
        try MemoryBudget.require(product: [width, height, channels], op: "image",
                                 what: "\(source): decoding a \(width)×\(height) image to \(channels) channel\(channels == 1 ? "" : "s")")
        var status: Int32 = 0
        let pixels = [UInt8](unsafeUninitializedCapacity: width * height * channels) { buffer, count in
            status = cic_decode(data, bytes.count, Int32(channels), buffer.baseAddress, buffer.count, &error)
            // On failure the buffer is only partly written; zero it so the (discarded) array is initialised.
            if status != 0 { buffer.initialize(repeating: 0) }
            count = buffer.count
        }
        guard status == 0 else { throw failure() }
        return try Image(width: width, height: height, channels: channels, pixels: pixels)
    }

    /// Decodes a PNG or JPEG image from bytes, converted as the `UnsafeRawBufferPointer` overload of `decode` describes.
    public static func decode(_ bytes: [UInt8], channels: Int = 3, source: String = "image") throws -> Image {
        try bytes.withUnsafeBytes { try decode($0, channels: channels, source: source) }
    }

    /// Decodes a PNG or JPEG image from `Data`, converted as the `UnsafeRawBufferPointer` overload of `decode` describes.
    public static func decode(_ data: Data, channels: Int = 3, source: String = "image") throws -> Image {
        try data.withUnsafeBytes { try decode($0, channels: channels, source: source) }
    }

    /// Reads a PNG or JPEG file (the format from its first bytes, not its name) as gray
    /// (`channels: 1`) or RGB (`3`), converted as PIL converts (see `decode`).
    /// - Throws: ``ConvNetError`` naming the file: missing or unreadable, empty, not a PNG or
    ///   JPEG, or the decoder's reason.
    public static func read(path: String, channels: Int = 3) throws -> Image {
        try read(path: RawPath(path), channels: channels)
    }

    /// ``read(path:channels:)`` for a path given by its bytes (any name Linux allows); messages
    /// show it with ``RawPath/description``.
    public static func read(path: RawPath, channels: Int = 3) throws -> Image {
        try decode(readFile(path), channels: channels, source: path.description)
    }

    /// The size a PNG or JPEG header gives, without decoding the image (the checks `decode` makes
    /// before it allocates: at most ``maximumPixels``, and no more than the bytes can hold).
    /// - Throws: ``ConvNetError`` naming `source`, as `decode` does.
    public static func header(_ bytes: [UInt8], source: String) throws -> (width: Int, height: Int) {
        var error = [CChar](repeating: 0, count: Int(CIC_ERROR_SIZE))
        var header = cic_header()
        let status = bytes.withUnsafeBytes { cic_read_header($0.baseAddress?.assumingMemoryBound(to: UInt8.self), $0.count, &header, &error) }
        guard status == 0 else {
            let format = bytes.withUnsafeBytes { FileFormat(sniffing: $0) }.map { "\($0.rawValue): " } ?? ""
            throw ConvNetError(.format, op: "image", "\(source): \(format)\(decoderMessage(error))")
        }
        return (Int(header.width), Int(header.height))
    }

}

/// The text of a C error buffer (zero-terminated).
func decoderMessage(_ buffer: [CChar]) -> String {
    String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
}

