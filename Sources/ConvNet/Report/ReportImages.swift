import Foundation

/// Pictures for `convnet report`: tensors and images as PNG tiles, inlined as data URIs so that
/// the page is one self-contained file.
enum ReportImages {
    /// `<img>` source for `image` (PNG through libpng, base64).
    static func dataURI(_ image: Image) throws -> String {
        "data:image/png;base64," + (try image.pngData(name: "report image")).base64EncodedString()
    }

    /// `image` with every pixel repeated `factor` × `factor` times (sharp when shown larger).
    static func upscaled(_ image: Image, by factor: Int) throws -> Image {
        guard factor > 1 else { return image }
        let (w, h, c) = (image.width * factor, image.height * factor, image.channels)
        var pixels = [UInt8](repeating: 0, count: w * h * c)
        for y in 0..<h {
            for x in 0..<w {
                let from = ((y / factor) * image.width + x / factor) * c, to = (y * w + x) * c
                for k in 0..<c { pixels[to + k] = image.pixels[from + k] }
            }
        }
        return try Image(width: w, height: h, channels: c, pixels: pixels)
    }

    /// A plane of values as gray pixels, its minimum black and its maximum white.
    static func gray(_ values: ArraySlice<Float>, height: Int, width: Int) throws -> Image {
        let finite = values.filter(\.isFinite)
        // In Double: the width of a Float range near ±3e38 would overflow, and 255 over a
        // subnormal one would too.
        let low = Double(finite.min() ?? 0), high = Double(finite.max() ?? 0)
        let scale = high > low ? 255 / (high - low) : 0
        return try Image(width: width, height: height, channels: 1,
                         pixels: values.map { $0.isFinite ? UInt8(max(0, min(255, ((Double($0) - low) * scale).rounded()))) : 0 })
    }

    /// Tiles of equal size in a grid of `columns`, 2-pixel white gaps, as RGB.
    static func grid(_ tiles: [Image], columns: Int) throws -> Image {
        guard let first = tiles.first else { return try Image(width: 1, height: 1, channels: 3, pixels: [255, 255, 255]) }
        let (tw, th, gap) = (first.width, first.height, 2)
        let cols = min(columns, tiles.count), rows = (tiles.count + cols - 1) / cols
        let (w, h) = (cols * tw + (cols - 1) * gap, rows * th + (rows - 1) * gap)
        var pixels = [UInt8](repeating: 255, count: w * h * 3)
        for (i, tile) in tiles.enumerated() {
            let (x0, y0) = ((i % cols) * (tw + gap), (i / cols) * (th + gap))
            for y in 0..<min(th, tile.height) {
                for x in 0..<min(tw, tile.width) {
                    let from = (y * tile.width + x) * tile.channels, to = ((y0 + y) * w + x0 + x) * 3
                    for c in 0..<3 { pixels[to + c] = tile.pixels[from + (tile.channels == 3 ? c : 0)] }
                }
            }
        }
        return try Image(width: w, height: h, channels: 3, pixels: pixels)
    }

    /// A heat value in [0, 1] as a colour (dark blue → cyan → yellow → red).
    static func heatColour(_ v: Float) -> (UInt8, UInt8, UInt8) {
        let t = max(0, min(1, v.isFinite ? v : 0))
        let stops: [(Float, Float, Float)] = [(0, 0, 0.5), (0, 0.6, 1), (1, 1, 0), (1, 0, 0)]
        let s = t * Float(stops.count - 1), i = min(Int(s), stops.count - 2), f = s - Float(i)
        let (a, b) = (stops[i], stops[i + 1])
        func mix(_ x: Float, _ y: Float) -> UInt8 { UInt8((255 * (x + (y - x) * f)).rounded()) }
        return (mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2))
    }

    /// `heat` (`[H, W]` in [0, 1], the image's size) blended over `image` at half opacity.
    static func overlay(_ heat: [Float], on image: Image) throws -> Image {
        var pixels = [UInt8](repeating: 0, count: image.width * image.height * 3)
        for i in 0..<(image.width * image.height) {
            let (r, g, b) = heatColour(heat[i])
            for (c, h) in [r, g, b].enumerated() {
                let base = image.pixels[i * image.channels + (image.channels == 3 ? c : 0)]
                pixels[i * 3 + c] = UInt8((Float(base) * 0.5 + Float(h) * 0.5).rounded())
            }
        }
        return try Image(width: image.width, height: image.height, channels: 3, pixels: pixels)
    }
}
