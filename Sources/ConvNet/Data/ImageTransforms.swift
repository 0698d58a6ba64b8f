/// The preprocessing of torchvision's standard evaluation transforms, on ``Image``:
/// `Resize(s)` (shorter side to s, bilinear with antialiasing like PIL), `CenterCrop(h, w)`,
/// `ToTensor()` (÷255, CHW) and `Normalize(mean, std)`.
public enum ImageTransforms {
    /// ImageNet's channel statistics, torchvision's defaults for its pretrained models.
    public static let imageNet = Normalization(mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225])

    /// Resizes so the shorter side is `size`, keeping the aspect ratio (torchvision `Resize(int)`).
    /// - Throws: ``ConvNetError`` for a size that is not positive.
    public static func resize(_ image: Image, shorterSide size: Int) throws -> Image {
        guard size > 0 else { throw ConvNetError(op: "resize", "shorter side \(size) must be positive") }
        // torchvision: new_long = int(size * long / short), the product exact, one division.
        let (short, long) = (min(image.width, image.height), max(image.width, image.height))
        let newLong = Int(Double(size * long) / Double(short))
        let (w, h) = image.width <= image.height ? (size, newLong) : (newLong, size)
        return try resize(image, width: max(w, 1), height: max(h, 1))
    }

    /// Resizes to exactly `width × height` with a triangle (bilinear) filter whose support widens
    /// with the downscale factor, as PIL does, so shrinking averages rather than aliases.
    /// - Throws: ``ConvNetError`` for a size that is not positive.
    public static func resize(_ image: Image, width: Int, height: Int) throws -> Image {
        guard width > 0, height > 0 else { throw ConvNetError(op: "resize", "target size \(width)×\(height) must be positive") }
        let c = image.channels
        let columns = weights(from: image.width, to: width), rows = weights(from: image.height, to: height)
        // Horizontal pass into floats, then vertical pass into bytes.
        var temp = [Float](repeating: 0, count: image.height * width * c)
        for y in 0..<image.height {
            for (x, (start, taps)) in columns.enumerated() {
                for ch in 0..<c {
                    var s: Float = 0
                    for (k, w) in taps.enumerated() { s += w * Float(image.pixels[(y * image.width + start + k) * c + ch]) }
                    temp[(y * width + x) * c + ch] = s
                }
            }
        }
        var out = [UInt8](repeating: 0, count: height * width * c)
        for (y, (start, taps)) in rows.enumerated() {
            for x in 0..<width {
                for ch in 0..<c {
                    var s: Float = 0
                    for (k, w) in taps.enumerated() { s += w * temp[((start + k) * width + x) * c + ch] }
                    out[(y * width + x) * c + ch] = UInt8(max(0, min(255, s.rounded())))
                }
            }
        }
        return try Image(width: width, height: height, channels: c, pixels: out)
    }

    /// Per output index: the first input index and the normalised filter taps from there.
    private static func weights(from input: Int, to output: Int) -> [(Int, [Float])] {
        let scale = Double(input) / Double(output)
        let support = max(scale, 1)
        return (0..<output).map { i in
            let center = (Double(i) + 0.5) * scale
            let lo = max(0, Int((center - support).rounded(.down))), hi = min(input, Int((center + support).rounded(.up)))
            var taps = (lo..<hi).map { j in Float(max(0, 1 - abs((Double(j) + 0.5 - center) / support))) }
            let total = taps.reduce(0, +)
            if total > 0 { taps = taps.map { $0 / total } } else { taps = taps.map { _ in 1 / Float(taps.count) } }
            return (lo, taps)
        }
    }

    /// The central `width × height` region, as torchvision's `CenterCrop`: a side longer than the
    /// crop starts at `round((H − h) / 2)` with Python's round-half-to-even (a 5-pixel excess
    /// starts at 2, a 3-pixel one at 2); a side shorter than the crop is zero-padded, `(h − H) // 2`
    /// before it and the rest after.
    /// - Throws: ``ConvNetError`` for a size that is not positive.
    public static func centerCrop(_ image: Image, width: Int, height: Int) throws -> Image {
        guard width > 0, height > 0 else { throw ConvNetError(op: "center crop", "size \(width)×\(height) must be positive") }
        let c = image.channels
        let top = cropStart(image.height, height), left = cropStart(image.width, width)
        var out = [UInt8](repeating: 0, count: width * height * c)
        for y in 0..<height where (0..<image.height).contains(top + y) {
            for x in 0..<width where (0..<image.width).contains(left + x) {
                for ch in 0..<c { out[(y * width + x) * c + ch] = image.pixels[((top + y) * image.width + left + x) * c + ch] }
            }
        }
        return try Image(width: width, height: height, channels: c, pixels: out)
    }

    /// Where a crop of `crop` starts along a side of `side` pixels (negative: padding before).
    static func cropStart(_ side: Int, _ crop: Int) -> Int {
        guard side >= crop else { return -((crop - side) / 2) }
        let excess = side - crop, half = excess / 2
        // int(round(excess / 2.0)): an odd excess is half-way, rounded to the even neighbour.
        return excess % 2 == 0 || half % 2 == 0 ? half : half + 1
    }

    /// `[C, H, W]` floats: (pixel/255 − mean)/std per channel.
    public static func tensor(_ image: Image, normalization: Normalization) throws -> Tensor {
        guard normalization.mean.count == image.channels, normalization.std.count == image.channels else {
            throw ConvNetError(op: "image", "normalisation has \(normalization.mean.count) channels, the image \(image.channels)")
        }
        let (c, plane) = (image.channels, image.width * image.height)
        var values = [Float](repeating: 0, count: c * plane)
        for i in 0..<plane {
            for ch in 0..<c {
                values[ch * plane + i] = (Float(image.pixels[i * c + ch]) / 255 - normalization.mean[ch]) / normalization.std[ch]
            }
        }
        return try Tensor(shape: [c, image.height, image.width], scalars: values)
    }

    /// torchvision's evaluation pipeline for a model taking `[C, H, W]`: resize the shorter side to
    /// H·256/224 (256 for 224) and center-crop H×W; small gray inputs (MNIST-sized, H ≤ 32) are
    /// resized straight to H×W instead.
    public static func standard(_ image: Image, inputShape: [Int], normalization: Normalization) throws -> Tensor {
        let (h, w) = (inputShape[1], inputShape[2])
        let resized: Image
        if h <= 32 {
            resized = try resize(image, width: w, height: h)
        } else {
            resized = try centerCrop(resize(image, shorterSide: h * 256 / 224), width: w, height: h)
        }
        return try tensor(resized, normalization: normalization)
    }
}
