/// im2col and col2im: the lowering that turns a convolution into one matrix product.
///
/// For one image x[C][H][W] and a K_h×K_w kernel with stride s and padding p, the column matrix
/// has one row per (c, kh, kw) and one column per output pixel (oh, ow):
///
///     col[(c·K_h + kh)·K_w + kw][oh·W_out + ow] = x[c][oh·s − p + kh][ow·s − p + kw]   (0 outside x)
///
/// so that Y[C_out × (H_out·W_out)] = W[C_out × (C·K_h·K_w)] · col.
enum Im2col {
    /// Fills `col` ((C·K_h·K_w) × (H_out·W_out)) from one image `x` (C × H × W).
    static func lower(_ g: Conv2dGeometry, image x: UnsafePointer<Float>, into col: UnsafeMutablePointer<Float>) {
        let (oh, ow) = (g.outHeight, g.outWidth)
        var row = 0
        for c in 0..<g.inChannels {
            let plane = x + c * g.height * g.width
            for kh in 0..<g.kernelHeight {
                for kw in 0..<g.kernelWidth {
                    let dst = col + row * oh * ow
                    for y in 0..<oh {
                        let iy = y * g.strideHeight - g.padHeight + kh
                        let out = dst + y * ow
                        if iy < 0 || iy >= g.height {
                            out.update(repeating: 0, count: ow)
                            continue
                        }
                        let src = plane + iy * g.width
                        for x in 0..<ow {
                            let ix = x * g.strideWidth - g.padWidth + kw
                            out[x] = (ix >= 0 && ix < g.width) ? src[ix] : 0
                        }
                    }
                    row += 1
                }
            }
        }
    }

    /// The adjoint of `lower`: adds every entry of `col` back onto the input pixel it was copied
    /// from, so overlapping windows sum. `image` must be zeroed first.
    static func raise(_ g: Conv2dGeometry, col: UnsafePointer<Float>, into image: UnsafeMutablePointer<Float>) {
        let (oh, ow) = (g.outHeight, g.outWidth)
        var row = 0
        for c in 0..<g.inChannels {
            let plane = image + c * g.height * g.width
            for kh in 0..<g.kernelHeight {
                for kw in 0..<g.kernelWidth {
                    let src = col + row * oh * ow
                    for y in 0..<oh {
                        let iy = y * g.strideHeight - g.padHeight + kh
                        if iy < 0 || iy >= g.height { continue }
                        let dst = plane + iy * g.width
                        for x in 0..<ow {
                            let ix = x * g.strideWidth - g.padWidth + kw
                            if ix >= 0 && ix < g.width { dst[ix] += src[y * ow + x] }
                        }
                    }
                    row += 1
                }
            }
        }
    }
}
