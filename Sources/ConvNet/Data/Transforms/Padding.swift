/// How `Pad` and `RandomCrop` fill the border (torchvision's `padding_mode`).
public enum PaddingMode: Sendable, Equatable, CustomStringConvertible {
    /// A constant value (torchvision's `fill`, 0 by default).
    case constant(Float)
    /// The last value of the edge repeated (`edge`).
    case edge
    /// Mirrored without repeating the edge: 3 2 | 1 2 3 4 | 3 2 (`reflect`).
    case reflect
    /// Mirrored with the edge repeated: 2 1 | 1 2 3 4 | 4 3 (`symmetric`).
    case symmetric

    public var description: String {
        switch self {
        case let .constant(fill): fill == 0 ? "constant" : "constant(fill=\(fill))"
        case .edge: "edge"
        case .reflect: "reflect"
        case .symmetric: "symmetric"
        }
    }

    /// The source index for padded index `i` (may be outside `0..<n`) or nil for a constant fill.
    @inline(__always)
    func source(_ i: Int, _ n: Int) -> Int? {
        if i >= 0 && i < n { return i }
        switch self {
        case .constant: return nil
        case .edge: return i < 0 ? 0 : n - 1
        case .reflect: return i < 0 ? -i : 2 * (n - 1) - i
        case .symmetric: return i < 0 ? -i - 1 : 2 * n - 1 - i
        }
    }
}

/// Padding on each side, in torchvision's three spellings: one value for all four sides, two
/// (left/right, top/bottom), or four (left, top, right, bottom).
public struct Padding: Sendable, Equatable, CustomStringConvertible {
    public var left: Int, top: Int, right: Int, bottom: Int

    public init(left: Int, top: Int, right: Int, bottom: Int) {
        (self.left, self.top, self.right, self.bottom) = (left, top, right, bottom)
    }

    /// - Throws: ``ConvNetError`` unless `values` has 1, 2 or 4 non-negative entries.
    public init(_ values: [Int]) throws {
        guard [1, 2, 4].contains(values.count), values.allSatisfy({ $0 >= 0 && $0 <= ImageSize.maximumSide }) else {
            throw ConvNetError(op: "pad", "padding \(values) must be 1, 2 or 4 numbers in 0…\(ImageSize.maximumSide)")
        }
        switch values.count {
        case 1: self.init(left: values[0], top: values[0], right: values[0], bottom: values[0])
        case 2: self.init(left: values[0], top: values[1], right: values[0], bottom: values[1])
        default: self.init(left: values[0], top: values[1], right: values[2], bottom: values[3])
        }
    }

    var isZero: Bool { left == 0 && top == 0 && right == 0 && bottom == 0 }

    public var description: String {
        if left == top && top == right && right == bottom { return "\(left)" }
        if left == right && top == bottom { return "(\(left), \(top))" }
        return "(\(left), \(top), \(right), \(bottom))"
    }
}

extension FloatImage {
    /// The image with `padding` added around it (torchvision's `F.pad` on a tensor).
    /// - Throws: ``ConvNetError`` when reflecting by as much as the side's length (PyTorch's
    ///   limit) or mirroring by more than it.
    public func padded(_ padding: Padding, mode: PaddingMode) throws -> FloatImage {
        if padding.isZero { return self }
        switch mode {
        case .reflect:
            guard max(padding.left, padding.right) < width, max(padding.top, padding.bottom) < height else {
                throw ConvNetError(op: "pad", "reflect padding \(padding) must be smaller than the image (\(height)×\(width))")
            }
        case .symmetric:
            guard max(padding.left, padding.right) <= width, max(padding.top, padding.bottom) <= height else {
                throw ConvNetError(op: "pad", "symmetric padding \(padding) must not exceed the image (\(height)×\(width))")
            }
        default: break
        }
        let h = height + padding.top + padding.bottom, w = width + padding.left + padding.right
        var fill: Float = 0
        if case let .constant(value) = mode { fill = value }
        var out = FloatImage(channels: channels, height: h, width: w, repeating: fill)
        let columns = (0..<w).map { mode.source($0 - padding.left, width) }
        values.withUnsafeBufferPointer { src in
            out.values.withUnsafeMutableBufferPointer { dst in
                for y in 0..<h {
                    guard let sy = mode.source(y - padding.top, height) else { continue }
                    for c in 0..<channels {
                        let from = (c * height + sy) * width, to = (c * h + y) * w
                        for (x, sx) in columns.enumerated() { if let sx { dst[to + x] = src[from + sx] } }
                    }
                }
            }
        }
        return out
    }
}

/// Pads every image (torchvision's `Pad`).
public struct Pad: Transform {
    public let padding: Padding, mode: PaddingMode

    public init(_ padding: Padding, mode: PaddingMode = .constant(0)) { (self.padding, self.mode) = (padding, mode) }

    public func callAsFunction(_ image: FloatImage, generator: inout RandomGenerator) throws -> FloatImage {
        _ = try footprint(for: ImageSize(height: image.height, width: image.width))  // within the largest side
        return try image.padded(padding, mode: mode)
    }

    public var description: String { "Pad(\(padding), padding_mode=\(mode))" }
}
