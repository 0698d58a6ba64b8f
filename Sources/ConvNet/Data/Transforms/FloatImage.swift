/// An image as torchvision's transforms see a tensor image: `channels × height × width` floats,
/// row-major planes (CHW), pixel values in [0, 1] after ``init(_:)`` (`ToTensor`).
public struct FloatImage: Sendable, Equatable {
    public var channels: Int, height: Int, width: Int
    /// `channels · height · width` values, plane after plane.
    public var values: [Float]

    /// An image from CHW values.
    /// - Throws: ``ConvNetError`` unless every size is positive and `values` holds exactly C·H·W values.
    public init(channels: Int, height: Int, width: Int, values: [Float]) throws {
        guard channels > 0, height > 0, width > 0,
              channels.multipliedReportingOverflow(by: height).partialValue.multipliedReportingOverflow(by: width).partialValue == values.count
        else {
            throw ConvNetError(op: "image", "\(channels)×\(height)×\(width) does not fit \(values.count) values")
        }
        (self.channels, self.height, self.width, self.values) = (channels, height, width, values)
    }

    /// An image of `channels × height × width` filled with `value`.
    init(channels: Int, height: Int, width: Int, repeating value: Float) {
        (self.channels, self.height, self.width) = (channels, height, width)
        values = [Float](repeating: value, count: channels * height * width)
    }

    /// torchvision's `ToTensor()`: interleaved bytes (HWC) to CHW floats, each byte ÷ 255.
    public init(_ image: Image) {
        (channels, height, width) = (image.channels, image.height, image.width)
        let (c, plane) = (image.channels, image.width * image.height)
        values = [Float](unsafeUninitializedCapacity: c * plane) { out, count in
            for ch in 0..<c {
                for i in 0..<plane { out[ch * plane + i] = Float(image.pixels[i * c + ch]) / 255 }
            }
            count = c * plane
        }
    }

    /// `ToTensor()` of an image stored as CHW bytes (one image of an ``ImageDataset``).
    public init(planes: UnsafeBufferPointer<UInt8>, channels: Int, height: Int, width: Int) {
        (self.channels, self.height, self.width) = (channels, height, width)
        values = [Float](unsafeUninitializedCapacity: planes.count) { out, count in
            for i in planes.indices { out[i] = Float(planes[i]) / 255 }
            count = planes.count
        }
    }

    /// Pixels per plane.
    public var planeSize: Int { height * width }

    /// The value of channel `c` at row `y`, column `x`.
    public subscript(c: Int, y: Int, x: Int) -> Float {
        get { values[(c * height + y) * width + x] }
        set { values[(c * height + y) * width + x] = newValue }
    }

    /// The region of `height × width` pixels whose top-left corner is (`top`, `left`); parts
    /// outside the image are 0 (torchvision's `F.crop` on a tensor).
    public func cropped(top: Int, left: Int, height h: Int, width w: Int) -> FloatImage {
        var out = FloatImage(channels: channels, height: h, width: w, repeating: 0)
        let x0 = max(0, -left), x1 = min(w, width - left)
        guard x0 < x1 else { return out }
        values.withUnsafeBufferPointer { src in
            out.values.withUnsafeMutableBufferPointer { dst in
                for c in 0..<channels {
                    for y in 0..<h where (0..<height).contains(top + y) {
                        let from = (c * height + top + y) * width + left, to = (c * h + y) * w
                        for x in x0..<x1 { dst[to + x] = src[from + x] }
                    }
                }
            }
        }
        return out
    }

    /// The image mirrored left to right (`F.hflip`).
    public func flippedHorizontally() -> FloatImage {
        var out = self
        values.withUnsafeBufferPointer { src in
            out.values.withUnsafeMutableBufferPointer { dst in
                for row in 0..<(channels * height) {
                    let base = row * width
                    for x in 0..<width { dst[base + x] = src[base + width - 1 - x] }
                }
            }
        }
        return out
    }

    /// The image mirrored top to bottom (`F.vflip`).
    public func flippedVertically() -> FloatImage {
        var out = self
        for c in 0..<channels {
            for y in 0..<height {
                let from = (c * height + height - 1 - y) * width, to = (c * height + y) * width
                for x in 0..<width { out.values[to + x] = values[from + x] }
            }
        }
        return out
    }
}
