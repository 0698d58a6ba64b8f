/// One step of an image pipeline with torchvision's semantics: it maps a ``FloatImage`` to
/// another and takes any randomness from the generator it is given, drawing exactly what the
/// torchvision transform of the same name draws from PyTorch's global generator. So a pipeline
/// applied image after image with a generator seeded `S` gives the images torchvision's gives
/// after `torch.manual_seed(S)`.
public protocol Transform: Sendable, CustomStringConvertible {
    /// Transforms `image`, drawing from `generator` as torchvision draws.
    /// - Throws: ``ConvNetError`` when the image does not suit the transform (e.g. smaller than a crop).
    func callAsFunction(_ image: FloatImage, generator: inout RandomGenerator) throws -> FloatImage

    /// The output size for inputs of `input`'s size and the most pixels held on the way, without
    /// transforming anything (``TransformFootprint``; a transform that keeps the size need not say).
    /// - Throws: ``ConvNetError`` when images of that size do not suit the transform.
    func footprint(for input: ImageSize) throws -> TransformFootprint
}

/// Transforms applied one after the other (torchvision's `Compose`).
public struct Compose: Transform {
    public let transforms: [any Transform]

    public init(_ transforms: [any Transform]) { self.transforms = transforms }

    public func callAsFunction(_ image: FloatImage, generator: inout RandomGenerator) throws -> FloatImage {
        var image = image
        for transform in transforms { image = try transform(image, generator: &generator) }
        return image
    }

    public var description: String { transforms.isEmpty ? "none" : transforms.map(\.description).joined(separator: ", ") }
}

/// `ColorJitter` brightness, contrast and saturation, and the pipeline's clamping: torchvision's
/// `_blend(a, b, r) = clamp(r·a + (1 − r)·b, 0, 1)`, in Float as PyTorch computes it (the factor
/// and 1 − factor rounded to Float first; NaN passes through).
@inline(__always)
func blend(_ a: Float, _ b: Float, ratio: Float, complement: Float) -> Float {
    clampUnit(ratio * a + complement * b)
}

/// `clamp(x, 0, 1)` keeping NaN, as `torch.clamp`.
@inline(__always)
func clampUnit(_ x: Float) -> Float { x < 0 ? 0 : (x > 1 ? 1 : x) }

/// Python's `round()`: to the nearest integer, halves to even. Values beyond ±2⁵² (or NaN, as
/// 0) are pinned there, so a huge or infinite size is a size that does not fit, not a trap.
@inline(__always)
func pythonRound(_ x: Double) -> Int {
    guard x.isFinite else { return x.isNaN ? 0 : (x > 0 ? 1 << 52 : -(1 << 52)) }
    return Int(min(max(x, -0x1p52), 0x1p52).rounded(.toNearestOrEven))
}

/// An output size: height × width.
public struct ImageSize: Sendable, Equatable, CustomStringConvertible {
    public var height: Int, width: Int
    public init(height: Int, width: Int) { (self.height, self.width) = (height, width) }
    /// A square size.
    public init(_ side: Int) { (height, width) = (side, side) }
    public var description: String { height == width ? "\(height)" : "(\(height), \(width))" }

    /// The largest side a transform may produce (a guard against sizes that would exhaust memory).
    public static let maximumSide = 8192

    func validate(_ op: String) throws {
        guard height > 0, width > 0 else { throw ConvNetError(op: op, "size \(height)×\(width) must be positive") }
        guard height <= Self.maximumSide, width <= Self.maximumSide else {
            throw ConvNetError(op: op, "size \(height)×\(width) exceeds \(Self.maximumSide) pixels a side")
        }
    }
}
