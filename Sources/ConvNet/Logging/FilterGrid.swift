/// Pictures of convolution filters: one tile per filter, laid out in a grid.
public enum FilterGrid {
    /// The first convolution's weight of `model` (the first 4-dimensional parameter in state_dict
    /// order) with its name, or nil for a model without one.
    public static func firstConvolution(of model: Module) -> (name: String, weight: Tensor)? {
        model.namedParameters().first { $0.tensor.rank == 4 }.map { ($0.name, $0.tensor) }
    }

    /// A tile grid of `weight [out, in, kh, kw]`: with 3 input channels one RGB tile per filter,
    /// otherwise one gray tile per (filter, input channel) pair, filter by filter. Each tile is
    /// scaled to 0–255 by its own minimum and maximum (torchvision's `make_grid(normalize=True,
    /// scale_each=True)`), enlarged `scale` times without smoothing, and separated by `scale`
    /// pixels of black; the grid is as close to square as the tile count allows.
    /// - Throws: ``ConvNetError`` unless `weight` is 4-dimensional and non-empty and `scale` ≥ 1.
    public static func image(of weight: Tensor, scale: Int = 8) throws -> Image {
        guard weight.rank == 4, weight.count > 0, scale >= 1 else {
            throw ConvNetError(op: "filter grid", "needs a non-empty [out, in, kh, kw] weight and a scale of at least 1, got shape \(weight.shape) and scale \(scale)")
        }
        let (out, inputs, kh, kw) = (weight.shape[0], weight.shape[1], weight.shape[2], weight.shape[3])
        let channels = inputs == 3 ? 3 : 1
        let tiles = inputs == 3 ? out : out * inputs
        let columns = Int((Double(tiles).squareRoot()).rounded(.up))
        let rows = (tiles + columns - 1) / columns
        let (tileWidth, tileHeight) = (kw * scale, kh * scale)
        let width = columns * (tileWidth + scale) + scale, height = rows * (tileHeight + scale) + scale
        var pixels = [UInt8](repeating: 0, count: width * height * channels)
        let values = weight.scalars
        let tileSize = kh * kw * channels  // the values of one tile, [channel, y, x]
        for tile in 0..<tiles {
            let slice = values[tile * tileSize..<(tile + 1) * tileSize]
            // In Double, so that neither a range near ±3e38 nor a subnormal one overflows.
            let finite = slice.filter(\.isFinite)
            let low = Double(finite.min() ?? 0), high = Double(finite.max() ?? 0)
            let range = high > low ? high - low : 1
            let left = scale + (tile % columns) * (tileWidth + scale), top = scale + (tile / columns) * (tileHeight + scale)
            for y in 0..<tileHeight {
                for x in 0..<tileWidth {
                    for c in 0..<channels {
                        let value = slice[slice.startIndex + (c * kh + y / scale) * kw + x / scale]
                        // Non-finite weights (a run resumed with --allow-nonfinite) draw black.
                        let level = ((Double(value) - low) / range * 255).rounded()
                        pixels[((top + y) * width + left + x) * channels + c] = level.isFinite ? UInt8(Swift.min(Swift.max(level, 0), 255)) : 0
                    }
                }
            }
        }
        return try Image(width: width, height: height, channels: channels, pixels: pixels)
    }
}
