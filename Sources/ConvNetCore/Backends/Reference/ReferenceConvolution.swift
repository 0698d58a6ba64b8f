/// Convolution by im2col + GEMM, one image at a time, exactly as derived in the lecture; with G
/// groups, one im2col and one GEMM per group on the group's channels (G = 1 is the plain case).
/// (BLAS threads parallelise each GEMM.) Shapes: x [N, C, H, W], w [C_out, C/G, K_h, K_w].
enum ReferenceConvolution {
    /// The im2col matrix of one group of one image: ((C/G)·K_h·K_w) rows × (H_out·W_out) columns.
    static func columnBuffer(for g: Conv2dGeometry) -> UnsafeMutablePointer<Float> {
        UnsafeMutablePointer<Float>.allocate(capacity: rows(g) * g.outHeight * g.outWidth)
    }

    /// Rows of a group's im2col matrix, and columns of its weights viewed as a matrix: (C/G)·K_h·K_w.
    private static func rows(_ g: Conv2dGeometry) -> Int { g.inChannelsPerGroup * g.kernelHeight * g.kernelWidth }

    /// Y_n[group] = W[group] · im2col(x_n[group]) + b: the cross-correlation of x with the kernel.
    static func forward(_ g: Conv2dGeometry, x: UnsafePointer<Float>, weight: UnsafePointer<Float>,
                        bias: UnsafePointer<Float>?, y: UnsafeMutablePointer<Float>) {
        let pixels = g.outHeight * g.outWidth, rows = rows(g)
        let (inPer, outPer, plane) = (g.inChannelsPerGroup, g.outChannelsPerGroup, g.height * g.width)
        let col = columnBuffer(for: g)
        defer { col.deallocate() }
        for n in 0..<g.batch {
            let yn = y + n * g.outChannels * pixels
            if let bias {
                for o in 0..<g.outChannels { (yn + o * pixels).update(repeating: bias[o], count: pixels) }
            }
            for group in 0..<g.groups {
                Im2col.lower(g, image: x + (n * g.inChannels + group * inPer) * plane, channels: inPer, into: col)
                BLAS.sgemm(m: outPer, n: pixels, k: rows, a: weight + group * outPer * rows, lda: rows, b: col, ldb: pixels,
                           beta: bias == nil ? 0 : 1, c: yn + group * outPer * pixels, ldc: pixels)
            }
        }
    }

    /// dL/dX_n[group] = col2im(W[group]ᵀ · dY_n[group]): the convolution of the upstream gradient
    /// with the flipped kernel.
    static func backwardData(_ g: Conv2dGeometry, dy: UnsafePointer<Float>, weight: UnsafePointer<Float>,
                             dx: UnsafeMutablePointer<Float>) {
        let pixels = g.outHeight * g.outWidth, rows = rows(g)
        let (inPer, outPer, plane) = (g.inChannelsPerGroup, g.outChannelsPerGroup, g.height * g.width)
        let col = columnBuffer(for: g)
        defer { col.deallocate() }
        dx.update(repeating: 0, count: g.batch * g.inChannels * plane)
        for n in 0..<g.batch {
            for group in 0..<g.groups {
                BLAS.sgemm(transA: true, m: rows, n: pixels, k: outPer, a: weight + group * outPer * rows, lda: rows,
                           b: dy + (n * g.outChannels + group * outPer) * pixels, ldb: pixels, c: col, ldc: pixels)
                Im2col.raise(g, col: col, channels: inPer, into: dx + (n * g.inChannels + group * inPer) * plane)
            }
        }
    }

    /// dL/dW[group] = Σ_n dY_n[group] · im2col(x_n[group])ᵀ: the cross-correlation of the upstream
    /// gradient with the input; dL/db_o = Σ_{n,y,x} dY[n, o, y, x].
    static func backwardWeights(_ g: Conv2dGeometry, x: UnsafePointer<Float>, dy: UnsafePointer<Float>,
                                dWeight: UnsafeMutablePointer<Float>, dBias: UnsafeMutablePointer<Float>?) {
        let pixels = g.outHeight * g.outWidth, rows = rows(g)
        let (inPer, outPer, plane) = (g.inChannelsPerGroup, g.outChannelsPerGroup, g.height * g.width)
        let col = columnBuffer(for: g)
        defer { col.deallocate() }
        for n in 0..<g.batch {
            for group in 0..<g.groups {
                Im2col.lower(g, image: x + (n * g.inChannels + group * inPer) * plane, channels: inPer, into: col)
                BLAS.sgemm(transB: true, m: outPer, n: rows, k: pixels, a: dy + (n * g.outChannels + group * outPer) * pixels,
                           lda: pixels, b: col, ldb: pixels, beta: n == 0 ? 0 : 1, c: dWeight + group * outPer * rows, ldc: rows)
            }
        }
        if g.batch == 0 { dWeight.update(repeating: 0, count: g.outChannels * rows) }
        if let dBias {
            dBias.update(repeating: 0, count: g.outChannels)
            for n in 0..<g.batch {
                for o in 0..<g.outChannels {
                    let plane = dy + (n * g.outChannels + o) * pixels
                    var s: Float = 0
                    for i in 0..<pixels { s += plane[i] }
                    dBias[o] += s
                }
            }
        }
    }
}

/// The kernels on tensors: plain memory in, plain memory out.
extension ReferenceConvolution: ConvolutionPasses {
    static func forward(_ g: Conv2dGeometry, x: Tensor, weight: Tensor, bias: Tensor?) -> Tensor {
        let y = Tensor(uninitializedShape: g.outputShape)
        forward(g, x: x.plainStorage().pointer, weight: weight.plainStorage().pointer, bias: bias?.plainStorage().pointer,
                y: y.plainStorage().pointer)
        return y
    }

    static func backwardData(_ g: Conv2dGeometry, dy: Tensor, weight: Tensor) -> Tensor {
        let dx = Tensor(uninitializedShape: g.inputShape)
        backwardData(g, dy: dy.plainStorage().pointer, weight: weight.plainStorage().pointer, dx: dx.plainStorage().pointer)
        return dx
    }

    static func backwardWeights(_ g: Conv2dGeometry, x: Tensor, dy: Tensor, bias: Bool) -> (weight: Tensor, bias: Tensor?) {
        let dw = Tensor(uninitializedShape: g.weightShape)
        let db = bias ? Tensor(uninitializedShape: [g.outChannels]) : nil
        backwardWeights(g, x: x.plainStorage().pointer, dy: dy.plainStorage().pointer, dWeight: dw.plainStorage().pointer,
                        dBias: db?.plainStorage().pointer)
        return (dw, db)
    }
}
