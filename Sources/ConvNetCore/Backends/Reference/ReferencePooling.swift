/// Pooling as plain loops over each window.
enum ReferencePooling {
    /// y = max over each window (padding never wins); also returns, per output, the flat index
    /// into the input plane of the winner, which is where backward sends the gradient.
    static func maxForward(_ g: Pool2dGeometry, x: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>) -> [Int32] {
        let (oh, ow) = (g.outHeight, g.outWidth)
        var argmax = [Int32](repeating: 0, count: g.batch * g.channels * oh * ow)
        argmax.withUnsafeMutableBufferPointer { idx in
            for plane in 0..<(g.batch * g.channels) {
                let src = x + plane * g.height * g.width
                for oy in 0..<oh {
                    for ox in 0..<ow {
                        var best = -Float.infinity, bestIndex = -1
                        for ky in 0..<g.kernelHeight {
                            let iy = oy * g.strideHeight - g.padHeight + ky
                            guard iy >= 0 && iy < g.height else { continue }
                            for kx in 0..<g.kernelWidth {
                                let ix = ox * g.strideWidth - g.padWidth + kx
                                guard ix >= 0 && ix < g.width else { continue }
                                let v = src[iy * g.width + ix]
                                if v > best || bestIndex < 0 || v.isNaN { best = v; bestIndex = iy * g.width + ix }
                            }
                        }
                        let o = (plane * oh + oy) * ow + ox
                        y[o] = best
                        idx[o] = Int32(bestIndex)
                    }
                }
            }
        }
        return argmax
    }

    /// dX[winner] += dY for each window.
    static func maxBackward(_ g: Pool2dGeometry, dy: UnsafePointer<Float>, argmax: [Int32], dx: UnsafeMutablePointer<Float>) {
        let planeOut = g.outHeight * g.outWidth, planeIn = g.height * g.width
        dx.update(repeating: 0, count: g.batch * g.channels * planeIn)
        for plane in 0..<(g.batch * g.channels) {
            for o in 0..<planeOut {
                dx[plane * planeIn + Int(argmax[plane * planeOut + o])] += dy[plane * planeOut + o]
            }
        }
    }

    /// The divisor of one average-pooling window: when padding counts (PyTorch's default
    /// `count_include_pad=True`) the window's part inside the padded input (K_h·K_w but for a
    /// ceil-mode window that runs past the padding), else the number of input pixels it covers.
    @inline(__always)
    static func divisor(_ g: Pool2dGeometry, _ oy: Int, _ ox: Int, includePad: Bool) -> Float {
        let y0 = oy * g.strideHeight - g.padHeight, x0 = ox * g.strideWidth - g.padWidth
        if includePad {
            let rows = min(y0 + g.kernelHeight, g.height + g.padHeight) - y0
            let cols = min(x0 + g.kernelWidth, g.width + g.padWidth) - x0
            return Float(rows * cols)
        }
        let rows = min(y0 + g.kernelHeight, g.height) - max(y0, 0)
        let cols = min(x0 + g.kernelWidth, g.width) - max(x0, 0)
        return Float(max(rows, 1) * max(cols, 1))
    }

    /// y = (sum of the window) / divisor.
    static func averageForward(_ g: Pool2dGeometry, x: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>,
                               includePad: Bool = true) {
        let (oh, ow) = (g.outHeight, g.outWidth)
        for plane in 0..<(g.batch * g.channels) {
            let src = x + plane * g.height * g.width
            for oy in 0..<oh {
                for ox in 0..<ow {
                    var s: Float = 0
                    for ky in 0..<g.kernelHeight {
                        let iy = oy * g.strideHeight - g.padHeight + ky
                        guard iy >= 0 && iy < g.height else { continue }
                        for kx in 0..<g.kernelWidth {
                            let ix = ox * g.strideWidth - g.padWidth + kx
                            if ix >= 0 && ix < g.width { s += src[iy * g.width + ix] }
                        }
                    }
                    y[(plane * oh + oy) * ow + ox] = s / divisor(g, oy, ox, includePad: includePad)
                }
            }
        }
    }

    /// Every input pixel of a window receives dY / divisor.
    static func averageBackward(_ g: Pool2dGeometry, dy: UnsafePointer<Float>, dx: UnsafeMutablePointer<Float>,
                                includePad: Bool = true) {
        let (oh, ow) = (g.outHeight, g.outWidth)
        dx.update(repeating: 0, count: g.batch * g.channels * g.height * g.width)
        for plane in 0..<(g.batch * g.channels) {
            let dst = dx + plane * g.height * g.width
            for oy in 0..<oh {
                for ox in 0..<ow {
                    let share = dy[(plane * oh + oy) * ow + ox] / divisor(g, oy, ox, includePad: includePad)
                    for ky in 0..<g.kernelHeight {
                        let iy = oy * g.strideHeight - g.padHeight + ky
                        guard iy >= 0 && iy < g.height else { continue }
                        for kx in 0..<g.kernelWidth {
                            let ix = ox * g.strideWidth - g.padWidth + kx
                            if ix >= 0 && ix < g.width { dst[iy * g.width + ix] += share }
                        }
                    }
                }
            }
        }
    }
}

extension ReferencePooling: PoolingKernels {
    static func maxPool(_ g: Pool2dGeometry, x: Tensor, needsBackward: Bool) throws -> KernelResult<Tensor> {
        let y = Tensor(uninitializedShape: g.outputShape)
        let argmax = maxForward(g, x: x.plainStorage().pointer, y: y.plainStorage().pointer)
        return KernelResult(output: y, backward: needsBackward ? { dy in
            let dx = Tensor(uninitializedShape: g.inputShape)
            maxBackward(g, dy: dy.plainStorage().pointer, argmax: argmax, dx: dx.plainStorage().pointer)
            return dx
        } : nil)
    }

    static func avgPool(_ g: Pool2dGeometry, x: Tensor, countIncludePad: Bool, needsBackward: Bool) throws -> KernelResult<Tensor> {
        let y = Tensor(uninitializedShape: g.outputShape)
        averageForward(g, x: x.plainStorage().pointer, y: y.plainStorage().pointer, includePad: countIncludePad)
        return KernelResult(output: y, backward: needsBackward ? { dy in
            let dx = Tensor(uninitializedShape: g.inputShape)
            averageBackward(g, dy: dy.plainStorage().pointer, dx: dx.plainStorage().pointer, includePad: countIncludePad)
            return dx
        } : nil)
    }
}
