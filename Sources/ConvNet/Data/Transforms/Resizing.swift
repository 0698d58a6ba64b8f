import Foundation

/// Antialiased bilinear resampling of float images, as PyTorch's `interpolate(mode="bilinear",
/// antialias=True, align_corners=False)` computes it for torchvision's tensor `Resize`: PIL's
/// triangle filter widened by the downscale factor, weights normalised per output pixel,
/// rows first (along the width), then columns, each pass skipped when that side keeps its size.
enum AntialiasedBilinear {
    /// Taps of one output index: the first input index and the normalised weights from there.
    struct Taps {
        var start: Int
        var weights: [Float]
    }

    /// PyTorch's `_compute_indices_min_size_weights_aa` for the triangle filter, in Float:
    /// scale = in/out, support = max(scale, 1), center = scale·(i + ½),
    /// first = ⌊center − support + ½⌋, weight(j) = max(0, 1 − |(j + first − center + ½)/max(scale, 1)|).
    static func taps(from input: Int, to output: Int) -> [Taps] {
        let scale = Float(input) / Float(output)
        let support: Float = scale >= 1 ? scale : 1
        let invScale: Float = scale >= 1 ? 1 / scale : 1
        let maxTaps = Int(support.rounded(.up)) * 2 + 1
        return (0..<output).map { i in
            let center = scale * (Float(i) + 0.5)
            let first = max(Int(center - support + 0.5), 0)
            let count = min(max(min(Int(center + support + 0.5), input) - first, 0), maxTaps)
            var weights = (0..<count).map { j -> Float in
                let x = abs((Float(j + first) - center + 0.5) * invScale)
                return x < 1 ? 1 - x : 0
            }
            let total = weights.reduce(0, +)
            if total != 0 { weights = weights.map { $0 / total } }
            return Taps(start: first, weights: weights)
        }
    }

    /// `image` resampled to `height × width`.
    static func resize(_ image: FloatImage, height: Int, width: Int) -> FloatImage {
        var current = image
        if width != current.width {
            let taps = self.taps(from: current.width, to: width)
            var out = FloatImage(channels: current.channels, height: current.height, width: width, repeating: 0)
            current.values.withUnsafeBufferPointer { src in
                out.values.withUnsafeMutableBufferPointer { dst in
                    for row in 0..<(current.channels * current.height) {
                        let from = row * current.width, to = row * width
                        for (x, tap) in taps.enumerated() {
                            var sum: Float = 0
                            for (k, w) in tap.weights.enumerated() { sum = k == 0 ? src[from + tap.start] * w : sum + src[from + tap.start + k] * w }
                            dst[to + x] = sum
                        }
                    }
                }
            }
            current = out
        }
        if height != current.height {
            let taps = self.taps(from: current.height, to: height)
            var out = FloatImage(channels: current.channels, height: height, width: current.width, repeating: 0)
            let w = current.width
            current.values.withUnsafeBufferPointer { src in
                out.values.withUnsafeMutableBufferPointer { dst in
                    for c in 0..<current.channels {
                        for (y, tap) in taps.enumerated() {
                            let to = (c * height + y) * w
                            for x in 0..<w {
                                var sum: Float = 0
                                for (k, weight) in tap.weights.enumerated() {
                                    let v = src[(c * current.height + tap.start + k) * w + x]
                                    sum = k == 0 ? v * weight : sum + v * weight
                                }
                                dst[to + x] = sum
                            }
                        }
                    }
                }
            }
            current = out
        }
        return current
    }
}

/// Resizes with antialiased bilinear filtering (torchvision's `Resize` on a tensor image):
/// `.shorterSide(s)` keeps the aspect ratio, the longer side becoming ⌊s·long/short⌋;
/// `.exactly(size)` gives that size.
public struct Resize: Transform {
    /// The target.
    public enum Target: Sendable, Equatable {
        case shorterSide(Int)
        case exactly(ImageSize)
    }
    public let target: Target

    /// - Throws: ``ConvNetError`` for a size that is not positive.
    public init(_ target: Target) throws {
        switch target {
        case let .shorterSide(s): try ImageSize(s).validate("Resize")
        case let .exactly(size): try size.validate("Resize")
        }
        self.target = target
    }

    /// Resize so the shorter side is `shorterSide`.
    public init(_ shorterSide: Int) throws { try self.init(.shorterSide(shorterSide)) }

    /// The output size for an input of `height × width` (torchvision's `_compute_resized_output_size`).
    public func outputSize(height: Int, width: Int) -> ImageSize {
        switch target {
        case let .exactly(size): return size
        case let .shorterSide(s):
            let (short, long) = width <= height ? (width, height) : (height, width)
            let newLong = Int(min(Double(s) * Double(long) / Double(short), Double(Int32.max)))
            return width <= height ? ImageSize(height: newLong, width: s) : ImageSize(height: s, width: newLong)
        }
    }

    public func callAsFunction(_ image: FloatImage, generator: inout RandomGenerator) throws -> FloatImage {
        let size = outputSize(height: image.height, width: image.width)
        guard size.height <= ImageSize.maximumSide, size.width <= ImageSize.maximumSide else {
            throw ConvNetError(op: "Resize", "\(image.height)×\(image.width) would become \(size.height)×\(size.width), over \(ImageSize.maximumSide) pixels a side")
        }
        return AntialiasedBilinear.resize(image, height: max(size.height, 1), width: max(size.width, 1))
    }

    public var description: String {
        switch target {
        case let .shorterSide(s): "Resize(\(s))"
        case let .exactly(size): "Resize(\(size.height), \(size.width))"
        }
    }
}

/// A crop of random area and aspect ratio, resized to `size` (torchvision's `RandomResizedCrop`):
/// up to 10 attempts, each drawing the area fraction from U(scale) and the log aspect ratio from
/// U(log ratio) (both `uniform_` in Float), the crop's sides `round(√(area·r))` and
/// `round(√(area/r))`; the first that fits draws its top and left offsets with `randint`; after
/// 10 misses, the central crop at the nearest allowed ratio. Resized antialiased bilinear.
public struct RandomResizedCrop: Transform {
    public let size: ImageSize
    public let scale: (Double, Double)
    public let ratio: (Double, Double)

    /// - Throws: ``ConvNetError`` for a size that is not positive, or scale/ratio ranges that are
    ///   not increasing positive pairs.
    public init(_ size: ImageSize, scale: (Double, Double) = (0.08, 1), ratio: (Double, Double) = (3.0 / 4, 4.0 / 3)) throws {
        try size.validate("RandomResizedCrop")
        guard scale.0 > 0, scale.0 <= scale.1, ratio.0 > 0, ratio.0 <= ratio.1 else {
            throw ConvNetError(op: "RandomResizedCrop", "scale \(scale) and ratio \(ratio) must be increasing positive ranges")
        }
        (self.size, self.scale, self.ratio) = (size, scale, ratio)
    }

    /// The crop (top, left, height, width) for an image of `height × width`, drawn as torchvision's `get_params`.
    public func cropParameters(height: Int, width: Int, generator: inout RandomGenerator) -> (top: Int, left: Int, height: Int, width: Int) {
        let area = Double(height * width)
        // torch.log(torch.tensor(ratio)): the bounds rounded to Float, their logarithms in Float.
        let logLow = log(Float(ratio.0)), logHigh = log(Float(ratio.1))
        for _ in 0..<10 {
            let targetArea = area * Double(generator.uniform(from: Float(scale.0), to: Float(scale.1)))
            let aspect = Double(exp(generator.uniform(from: logLow, to: logHigh)))
            let w = pythonRound((targetArea * aspect).squareRoot())
            let h = pythonRound((targetArea / aspect).squareRoot())
            if w > 0 && w <= width && h > 0 && h <= height {
                let top = generator.randomInteger(below: height - h + 1)
                let left = generator.randomInteger(below: width - w + 1)
                return (top, left, h, w)
            }
        }
        let inRatio = Double(width) / Double(height)
        var (w, h) = (width, height)
        if inRatio < min(ratio.0, ratio.1) {
            h = pythonRound(Double(w) / min(ratio.0, ratio.1))
        } else if inRatio > max(ratio.0, ratio.1) {
            w = pythonRound(Double(h) * max(ratio.0, ratio.1))
        }
        return ((height - h) / 2, (width - w) / 2, h, w)
    }

    public func callAsFunction(_ image: FloatImage, generator: inout RandomGenerator) throws -> FloatImage {
        let crop = cropParameters(height: image.height, width: image.width, generator: &generator)
        let region = image.cropped(top: crop.top, left: crop.left, height: crop.height, width: crop.width)
        return AntialiasedBilinear.resize(region, height: size.height, width: size.width)
    }

    public var description: String {
        var text = "RandomResizedCrop(\(size)"
        if scale != (0.08, 1) { text += ", scale=(\(scale.0), \(scale.1))" }
        if ratio != (3.0 / 4, 4.0 / 3) { text += ", ratio=(\(ratio.0), \(ratio.1))" }
        return text + ")"
    }
}
