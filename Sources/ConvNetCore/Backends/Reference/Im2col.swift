/// im2col and col2im: the lowering that turns a convolution into one matrix product.
///
/// For one image x[C][H][W] (or one group's C = C_in/G consecutive channels of it) and a K_h×K_w
/// kernel with stride s, padding p and dilation d, the column matrix has one row per (c, kh, kw)
/// and one column per output pixel (oh, ow):
///
///     col[(c·K_h + kh)·K_w + kw][oh·W_out + ow] = x[c][oh·s − p + d·kh][ow·s − p + d·kw]   (0 outside x)
///
/// so that Y[C_out × (H_out·W_out)] = W[C_out × (C·K_h·K_w)] · col (per group: the group's rows
/// of W and of Y).
enum Im2col {
    /// Fills `col` ((channels·K_h·K_w) × (H_out·W_out)) from `channels` planes (H × W each) starting at `x`.
    static func lower(_ g: Conv2dGeometry, image x: UnsafePointer<Float>, channels: Int,
                      into col: UnsafeMutablePointer<Float>) {
        let (oh, ow) = (g.outHeight, g.outWidth)
        var row = 0
        for c in 0..<channels {
            let plane = x + c * g.height * g.width
            for kh in 0..<g.kernelHeight {
                for kw in 0..<g.kernelWidth {
                    let dst = col + row * oh * ow
                    let (offsetH, offsetW) = (kh * g.dilationHeight - g.padHeight, kw * g.dilationWidth - g.padWidth)
                    for y in 0..<oh {
                        let iy = y * g.strideHeight + offsetH
                        let out = dst + y * ow
                        if iy < 0 || iy >= g.height {
                            out.update(repeating: 0, count: ow)
                            continue
                        }
                        let src = plane + iy * g.width
                        for x in 0..<ow {
                            let ix = x * g.strideWidth + offsetW
                            out[x] = (ix >= 0 && ix < g.width) ? src[ix] : 0
                        }
                    }
                    row += 1
                }
            }
        }
    }

    /// The adjoint of `lower`: adds every entry of `col` back onto the input pixel it was copied
    /// from, so overlapping windows sum. The `channels` planes from `image` on must be zeroed first.
    static func raise(_ g: Conv2dGeometry, col: UnsafePointer<Float>, channels: Int,
                      into image: UnsafeMutablePointer<Float>) {
        let (oh, ow) = (g.outHeight, g.outWidth)
        var row = 0
        for c in 0..<channels {
            let plane = image + c * g.height * g.width
            for kh in 0..<g.kernelHeight {
                for kw in 0..<g.kernelWidth {
                    let src = col + row * oh * ow
                    let (offsetH, offsetW) = (kh * g.dilationHeight - g.padHeight, kw * g.dilationWidth - g.padWidth)
                    for y in 0..<oh {
                        let iy = y * g.strideHeight + offsetH
                        if iy < 0 || iy >= g.height { continue }
                        let dst = plane + iy * g.width
                        for x in 0..<ow {
                            let ix = x * g.strideWidth + offsetW
                            if ix >= 0 && ix < g.width { dst[ix] += src[y * ow + x] }
                        }
                    }
                    row += 1
                }
            }
        }
    }
}
