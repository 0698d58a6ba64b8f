import Foundation

/// Random brightness, contrast, saturation and hue (torchvision's `ColorJitter`): per image it
/// draws `torch.randperm(4)` (the order of the four operations), then one factor from
/// `uniform_(min, max)` for each operation that is set, in the order brightness, contrast,
/// saturation, hue, and applies them in the drawn order:
/// - brightness: blend with black, clamp(f·x, 0, 1);
/// - contrast: blend with the mean of the grayscale image (one value per image);
/// - saturation: blend with the grayscale image (0.2989 R + 0.587 G + 0.114 B);
/// - hue: through HSV, h ↦ (h + f) mod 1.
/// Gray images skip saturation and hue, as torchvision's do.
public struct ColorJitter: Transform {
    /// The factor ranges; nil = that operation is off (and draws nothing).
    public let brightness: ClosedRange<Double>?, contrast: ClosedRange<Double>?, saturation: ClosedRange<Double>?
    public let hue: ClosedRange<Double>?

    /// Amounts as torchvision's single numbers: brightness, contrast and saturation factors from
    /// [max(0, 1 − x), 1 + x], hue from [−h, h]; 0 turns an operation off.
    /// - Throws: ``ConvNetError`` for a negative amount or a hue above 0.5.
    public init(brightness: Double = 0, contrast: Double = 0, saturation: Double = 0, hue: Double = 0) throws {
        func range(_ x: Double, _ name: String) throws -> ClosedRange<Double>? {
            guard x >= 0, x.isFinite else { throw ConvNetError(op: "ColorJitter", "\(name) \(x) must be a non-negative number") }
            return x == 0 ? nil : max(0, 1 - x)...(1 + x)
        }
        guard hue >= 0, hue <= 0.5 else { throw ConvNetError(op: "ColorJitter", "hue \(hue) must lie in [0, 0.5]") }
        try self.init(ranges: range(brightness, "brightness"), contrast: range(contrast, "contrast"),
                      saturation: range(saturation, "saturation"), hue: hue == 0 ? nil : -hue...hue)
    }

    /// Explicit factor ranges (torchvision's `(min, max)` form).
    /// - Throws: ``ConvNetError`` for negative factors or a hue range outside [−0.5, 0.5].
    public init(ranges brightness: ClosedRange<Double>?, contrast: ClosedRange<Double>?, saturation: ClosedRange<Double>?,
                hue: ClosedRange<Double>?) throws {
        for (name, range) in [("brightness", brightness), ("contrast", contrast), ("saturation", saturation)] {
            // Factors are drawn in Float: a bound beyond Float's range would draw infinity.
            if let range, range.lowerBound < 0 || !Float(range.upperBound).isFinite {
                throw ConvNetError(op: "ColorJitter", "\(name) range \(range) must lie in [0, ∞)")
            }
        }
        if let hue, hue.lowerBound < -0.5 || hue.upperBound > 0.5 {
            throw ConvNetError(op: "ColorJitter", "hue range \(hue) must lie in [-0.5, 0.5]")
        }
        // torchvision turns (1, 1) and (0, 0) off: they would change nothing.
        (self.brightness, self.contrast, self.saturation) =
            (brightness == 1...1 ? nil : brightness, contrast == 1...1 ? nil : contrast, saturation == 1...1 ? nil : saturation)
        self.hue = hue == 0...0 ? nil : hue
    }

    public func callAsFunction(_ image: FloatImage, generator: inout RandomGenerator) throws -> FloatImage {
        guard image.channels == 1 || image.channels == 3 else {
            throw ConvNetError(op: "ColorJitter", "needs 1 or 3 channels, the image has \(image.channels)")
        }
        let order = generator.permutation(4)
        func draw(_ range: ClosedRange<Double>?) -> Float? {
            range.map { generator.uniform(from: Float($0.lowerBound), to: Float($0.upperBound)) }
        }
        let factors = [draw(brightness), draw(contrast), draw(saturation), draw(hue)]
        var image = image
        for operation in order {
            guard let factor = factors[operation] else { continue }
            switch operation {
            case 0: image = Self.adjustBrightness(image, factor)
            case 1: image = Self.adjustContrast(image, factor)
            case 2: image = Self.adjustSaturation(image, factor)
            default: image = Self.adjustHue(image, factor)
            }
        }
        return image
    }

    public var description: String {
        func text(_ r: ClosedRange<Double>?) -> String { r.map { "(\($0.lowerBound), \($0.upperBound))" } ?? "None" }
        return "ColorJitter(brightness=\(text(brightness)), contrast=\(text(contrast)), saturation=\(text(saturation)), hue=\(text(hue)))"
    }

    /// `1 − factor` as torchvision computes it (in double, then rounded to Float).
    private static func complement(_ factor: Float) -> Float { Float(1 - Double(factor)) }

    /// `F.adjust_brightness`: clamp(f·x, 0, 1).
    public static func adjustBrightness(_ image: FloatImage, _ factor: Float) -> FloatImage {
        var out = image
        let c = complement(factor)
        for i in out.values.indices { out.values[i] = blend(image.values[i], 0, ratio: factor, complement: c) }
        return out
    }

    /// `F.rgb_to_grayscale` of one pixel: 0.2989 R + 0.587 G + 0.114 B in Float, left to right.
    @inline(__always)
    static func luma(_ r: Float, _ g: Float, _ b: Float) -> Float {
        Float(0.2989) * r + Float(0.587) * g + Float(0.114) * b
    }

    /// The grayscale plane of a 3-channel image (`F.rgb_to_grayscale`).
    static func grayscale(_ image: FloatImage) -> [Float] {
        let n = image.planeSize
        return (0..<n).map { i in luma(image.values[i], image.values[n + i], image.values[2 * n + i]) }
    }

    /// `F.adjust_contrast`: blend with the mean of the grayscale image (of the image itself when gray).
    public static func adjustContrast(_ image: FloatImage, _ factor: Float) -> FloatImage {
        let gray = image.channels == 3 ? grayscale(image) : image.values
        let mean = Float(gray.reduce(0.0) { $0 + Double($1) } / Double(gray.count))
        var out = image
        let c = complement(factor)
        for i in out.values.indices { out.values[i] = blend(image.values[i], mean, ratio: factor, complement: c) }
        return out
    }

    /// `F.adjust_saturation`: blend with the grayscale image; gray images are returned as they are.
    public static func adjustSaturation(_ image: FloatImage, _ factor: Float) -> FloatImage {
        guard image.channels == 3 else { return image }
        let gray = grayscale(image), n = image.planeSize
        var out = image
        let c = complement(factor)
        for ch in 0..<3 {
            for i in 0..<n { out.values[ch * n + i] = blend(image.values[ch * n + i], gray[i], ratio: factor, complement: c) }
        }
        return out
    }

    /// `F.adjust_hue`: RGB → HSV (torchvision's `_rgb2hsv`), h ↦ (h + f) mod 1, HSV → RGB
    /// (`_hsv2rgb`); gray images are returned as they are.
    public static func adjustHue(_ image: FloatImage, _ factor: Float) -> FloatImage {
        guard image.channels == 3 else { return image }
        let n = image.planeSize
        var out = image
        for i in 0..<n {
            let (r, g, b) = (image.values[i], image.values[n + i], image.values[2 * n + i])
            var (h, s, v) = rgbToHSV(r, g, b)
            h = floorMod(h + factor)
            let rgb = hsvToRGB(h, s, v)
            (out.values[i], out.values[n + i], out.values[2 * n + i]) = rgb
        }
        return out
    }

    /// `torch.remainder(x, 1.0)`: fmod, moved into [0, 1) when negative.
    @inline(__always)
    static func floorMod(_ x: Float) -> Float {
        var m = fmodf(x, 1)
        if m != 0 && m < 0 { m += 1 }
        return m
    }

    /// torchvision's `_rgb2hsv` for one pixel, operation for operation in Float.
    static func rgbToHSV(_ r: Float, _ g: Float, _ b: Float) -> (Float, Float, Float) {
        let maxc = max(r, g, b), minc = min(r, g, b)
        let equal = maxc == minc
        let cr = maxc - minc
        let s = cr / (equal ? 1 : maxc)
        let divisor: Float = equal ? 1 : cr
        let rc = (maxc - r) / divisor, gc = (maxc - g) / divisor, bc = (maxc - b) / divisor
        let hr: Float = maxc == r ? bc - gc : 0
        let hg: Float = maxc == g && maxc != r ? 2 + rc - bc : 0
        let hb: Float = maxc != g && maxc != r ? 4 + gc - rc : 0
        let h = fmodf((hr + hg + hb) / 6 + 1, 1)
        return (h, s, maxc)
    }

    /// torchvision's `_hsv2rgb` for one pixel: sector i = ⌊6h⌋ mod 6, f = 6h − ⌊6h⌋,
    /// p = v(1 − s), q = v(1 − s·f), t = v(1 − s(1 − f)), each clamped to [0, 1].
    static func hsvToRGB(_ h: Float, _ s: Float, _ v: Float) -> (Float, Float, Float) {
        let sector = (h * 6).rounded(.down)
        let f = h * 6 - sector
        let p = clampUnit(v * (1 - s)), q = clampUnit(v * (1 - s * f)), t = clampUnit(v * (1 - s * (1 - f)))
        // A NaN hue (from NaN pixels) must not trap: PyTorch casts NaN to INT32_MIN, whose
        // remainder by 6 is 4, so that sector is taken.
        var i = sector.isFinite ? Int(sector) % 6 : 4
        if i < 0 { i += 6 }
        switch i {
        case 0: return (v, t, p)
        case 1: return (q, v, p)
        case 2: return (p, v, t)
        case 3: return (p, q, v)
        case 4: return (t, p, v)
        default: return (v, p, q)
        }
    }
}
