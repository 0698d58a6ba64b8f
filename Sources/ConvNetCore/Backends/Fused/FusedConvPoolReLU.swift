import CFusedKernels

/// Our fused conv → 2×2 max pool → ReLU kernel (CFusedKernels), the oneDNN backend's kernel for a
/// network's first block (see ``conv2dMaxPoolReLU(_:_:bias:padding:path:)`` for the math): its
/// Swift side, with eligibility, threads, buffers and the backward pass.
enum FusedConvPoolReLU: FusedBlockKernels {
    /// The fused kernel where it applies and was measured faster: a CPU with AVX-512, an input that
    /// needs no gradient, a first block's few channels (``isSmallBlock(_:)``), finite input and
    /// weights (PyTorch's dW is NaN wherever a NaN or infinite pixel meets a pooled-away zero
    /// gradient, a product the fused backward never forms); otherwise `nil`.
    static func convMaxPoolReLU(x: Tensor, weight: Tensor, bias: Tensor?, padding: Size2,
                                wanted: GradientsWanted) throws -> KernelResult<ConvolutionGradients>? {
        guard fits(x: x, weight: weight, bias: bias, padding: padding, wanted: wanted),
              let g = geometry(x, weight, bias, padding) else { return nil }
        return run(g, x: x, weight: weight, bias: bias, avx512: true, wanted: wanted)
    }

    static func fits(x: Tensor, weight: Tensor, bias: Tensor?, padding: Size2, wanted: GradientsWanted) -> Bool {
        guard ConvPoolReLUPath.avx512Available, !wanted.input, let g = geometry(x, weight, bias, padding) else { return false }
        return isSmallBlock(g) && x.allFinite && weight.allFinite
    }

    /// The kernel geometry when the shapes fit the fused kernel, else nil.
    static func geometry(_ x: Tensor, _ weight: Tensor, _ bias: Tensor?, _ padding: Size2) -> fk_block_geometry? {
        guard x.rank == 4, weight.rank == 4, x.shape[1] == weight.shape[1], bias.map({ $0.shape == [weight.shape[0]] }) ?? true,
              padding.height >= 0, padding.width >= 0, 2 * padding.height < weight.shape[2], 2 * padding.width < weight.shape[3]
        else { return nil }
        let g = fk_block_geometry(batch: Int32(x.shape[0]), in_channels: Int32(x.shape[1]), height: Int32(x.shape[2]),
                                  width: Int32(x.shape[3]), out_channels: Int32(weight.shape[0]),
                                  kernel_h: Int32(weight.shape[2]), kernel_w: Int32(weight.shape[3]),
                                  pad_h: Int32(padding.height), pad_w: Int32(padding.width))
        // At least one pooled output (a convolution output of at least 2×2), and some input.
        let pooled = outputShape(g)
        guard pooled[2] >= 1, pooled[3] >= 1, x.count > 0 else { return nil }
        return g
    }

    /// Few channels and a small kernel: where the fused kernel was measured faster than oneDNN's
    /// three operations, which vectorise over channels in blocks of 16 (`convnet bench block`,
    /// forward + backward, 2 threads: 1→6 channels 5×5 on 28×28 0.13 against 0.35 ms, 1→8 0.26
    /// against 0.51, 3→8 on 32×32 0.75 against 0.98, 1→12 3×3 0.25 against 0.31; 1→16 5×5 0.45
    /// against 0.45, so from 16 output channels on oneDNN's).
    static func isSmallBlock(_ g: fk_block_geometry) -> Bool {
        g.in_channels <= 4 && g.out_channels < 16 && g.kernel_h <= 7 && g.kernel_w <= 7
    }

    /// `[N, C_out, ⌊conv_h/2⌋, ⌊conv_w/2⌋]` with conv_h = H + 2·pad − K + 1 (likewise conv_w).
    static func outputShape(_ g: fk_block_geometry) -> [Int] {
        [Int(g.batch), Int(g.out_channels), Int(g.height + 2 * g.pad_h - g.kernel_h + 1) / 2,
         Int(g.width + 2 * g.pad_w - g.kernel_w + 1) / 2]
    }

    /// Forward (and, when `wanted`, the backward pass: dW and db) on the kernel chosen by `avx512`,
    /// images split over the OpenMP team.
    static func run(_ g: fk_block_geometry, x: Tensor, weight: Tensor, bias: Tensor?, avx512: Bool,
                    wanted: GradientsWanted) -> KernelResult<ConvolutionGradients> {
        var g = g
        let y = Tensor(uninitializedShape: outputShape(g))
        let codes = TensorStorage(uninitializedCount: (y.count + 3) / 4)  // one byte per output
        // The backward pass keeps the input's and output's memory (not the tensors: y's own
        // gradient node holding y would be a cycle).
        let (input, output) = (x.plainStorage(), y.plainStorage())
        let (weights, biases) = (weight.plainStorage(), bias?.plainStorage())
        let (xp, wp, bp, yp) = (input.pointer, weights.pointer, biases?.pointer, output.pointer)
        let code = UnsafeMutableRawPointer(codes.pointer).assumingMemoryBound(to: UInt8.self)
        let scratch = fk_scratch_floats(&g), batch = Int(g.batch)
        let threads = min(Backend.threads, batch)
        // Scratch from the tensor pool: the same sizes every step, so no fresh pages each time.
        let buffer = TensorStorage(uninitializedCount: scratch * threads)
        withExtendedLifetime((weights, biases)) {
            OpenMP.parallel(threads: threads) { t, count in
                let (n0, n1) = (t * batch / count, (t + 1) * batch / count)
                fk_conv_pool_relu_forward(&g, xp, wp, bp, yp, code, Int32(n0), Int32(n1), avx512 ? 1 : 0,
                                          buffer.pointer + t * scratch)
            }
        }
        guard wanted.parameters else { return KernelResult(output: y) }
        return KernelResult(output: y) { dy in
            var g = g
            let dyp = dy.plainStorage().pointer
            let weights = weight.count, outputs = Int(g.out_channels)
            let (dw, db) = (Tensor.zeros(weight.shape), bias.map { Tensor.zeros($0.shape) })
            let (dwp, dbp) = (dw.plainStorage().pointer, db?.plainStorage().pointer)
            // Per-thread sums, added in thread order (the same for a given thread count).
            let partials = TensorStorage(count: (weights + outputs) * threads, repeating: 0)
            let buffer = TensorStorage(uninitializedCount: scratch * threads)
            let partial = partials.pointer
            withExtendedLifetime((codes, input, output, partials, buffer)) {
                OpenMP.parallel(threads: threads) { t, count in
                    let (n0, n1) = (t * batch / count, (t + 1) * batch / count)
                    let sums = partial + t * (weights + outputs)
                    fk_conv_pool_relu_backward_weights(&g, xp, yp, code, dyp, sums, bias == nil ? nil : sums + weights,
                                                       Int32(n0), Int32(n1), avx512 ? 1 : 0, buffer.pointer + t * scratch)
                }
                for t in 0..<threads {
                    let part = partial + t * (weights + outputs)
                    for i in 0..<weights { dwp[i] += part[i] }
                    if let dbp { for o in 0..<outputs { dbp[o] += part[weights + o] } }
                }
            }
            return ConvolutionGradients(input: nil, weight: dw, bias: db)
        }
    }
}
