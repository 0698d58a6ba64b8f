/// Convolution by im2col + GEMM, one image at a time, exactly as derived in the lecture.
/// (BLAS threads parallelise each GEMM.) Shapes: x [N, C, H, W], w [C_out, C, K_h, K_w].
enum ReferenceConvolution {
    /// The im2col matrix of one image: (C·K_h·K_w) rows × (H_out·W_out) columns.
    static func columnBuffer(for g: Conv2dGeometry) -> UnsafeMutablePointer<Float> {
        UnsafeMutablePointer<Float>.allocate(capacity: g.inChannels * g.kernelHeight * g.kernelWidth * g.outHeight * g.outWidth)
    }

    /// Y_n = W · im2col(x_n) + b: the cross-correlation of x with the kernel.
    static func forward(_ g: Conv2dGeometry, x: UnsafePointer<Float>, weight: UnsafePointer<Float>,
                        bias: UnsafePointer<Float>?, y: UnsafeMutablePointer<Float>) {
        let pixels = g.outHeight * g.outWidth
        let rows = g.inChannels * g.kernelHeight * g.kernelWidth
        let col = columnBuffer(for: g)
        defer { col.deallocate() }
        for n in 0..<g.batch {
            Im2col.lower(g, image: x + n * g.inChannels * g.height * g.width, into: col)
            let yn = y + n * g.outChannels * pixels
            if let bias {
                for o in 0..<g.outChannels { (yn + o * pixels).update(repeating: bias[o], count: pixels) }
            }
            BLAS.sgemm(m: g.outChannels, n: pixels, k: rows, a: weight, lda: rows, b: col, ldb: pixels,
                       beta: bias == nil ? 0 : 1, c: yn, ldc: pixels)
        }
    }

    /// dL/dX_n = col2im(Wᵀ · dY_n): the convolution of the upstream gradient with the flipped kernel.
    static func backwardData(_ g: Conv2dGeometry, dy: UnsafePointer<Float>, weight: UnsafePointer<Float>,
                             dx: UnsafeMutablePointer<Float>) {
        let pixels = g.outHeight * g.outWidth
        let rows = g.inChannels * g.kernelHeight * g.kernelWidth
        let col = columnBuffer(for: g)
        defer { col.deallocate() }
        let imageSize = g.inChannels * g.height * g.width
        dx.update(repeating: 0, count: g.batch * imageSize)
        for n in 0..<g.batch {
            BLAS.sgemm(transA: true, m: rows, n: pixels, k: g.outChannels, a: weight, lda: rows,
                       b: dy + n * g.outChannels * pixels, ldb: pixels, c: col, ldc: pixels)
            Im2col.raise(g, col: col, into: dx + n * imageSize)
        }
    }

    /// dL/dW = Σ_n dY_n · im2col(x_n)ᵀ: the cross-correlation of the upstream gradient with the input;
    /// dL/db_o = Σ_{n,y,x} dY[n, o, y, x].
    static func backwardWeights(_ g: Conv2dGeometry, x: UnsafePointer<Float>, dy: UnsafePointer<Float>,
                                dWeight: UnsafeMutablePointer<Float>, dBias: UnsafeMutablePointer<Float>?) {
        let pixels = g.outHeight * g.outWidth
        let rows = g.inChannels * g.kernelHeight * g.kernelWidth
        let col = columnBuffer(for: g)
        defer { col.deallocate() }
        for n in 0..<g.batch {
            Im2col.lower(g, image: x + n * g.inChannels * g.height * g.width, into: col)
            BLAS.sgemm(transB: true, m: g.outChannels, n: rows, k: pixels, a: dy + n * g.outChannels * pixels,
                       lda: pixels, b: col, ldb: pixels, beta: n == 0 ? 0 : 1, c: dWeight, ldc: rows)
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
