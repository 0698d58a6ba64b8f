import CFusedKernels

/// A network's first block in one pass: `relu(maxPool2d(conv2d(x, weight, bias: bias, padding: padding), kernel: 2))`
/// (stride-1 convolution, 2×2 max pooling with stride 2, ReLU), LeNet-5's conv1 → pool1 → relu1.
///
/// The same function as the three operations, computed differently where that is faster: on the
/// oneDNN backend, on a CPU with AVX-512, when `x` needs no gradient (an input batch), our fused
/// kernel (CFusedKernels) writes the pooled, rectified output in NCHW without the convolution's
/// full output ever existing, and remembers which window position won each maximum. Its backward
/// pass computes dW and db from the pooled gradient alone: pooling passes each gradient to one
/// convolution output, so for the winner (y₀, x₀) of output (o, p, q)
///
///     dL/dW[o,c,i,j] = Σ_{n,p,q} g[n,o,p,q] · x[n, c, y₀ + i − pad, x₀ + j − pad],   dL/db[o] = Σ g,
///
/// with g = dL/dy where y > 0 (ReLU), 0 elsewhere: a quarter of the terms of the convolution's
/// weight gradient. (oneDNN keeps LeNet's 6 channels in blocks of 16 through all three steps and
/// their backward passes.) Measured on LeNet-5's first block, batch 64, one thread: forward 110 µs
/// and backward 115 µs; the whole training step went from 0.97 to 0.74 ms. Otherwise (reference
/// backend, other CPUs, `x` requiring a gradient, `x` or `weight` holding NaN or ±infinity) the three
/// operations run as usual.
/// - Parameter path: which implementation runs (``ConvPoolReLUPath/automatic`` unless testing or
///   comparing them).
/// - Throws: ``ConvNetError`` for mismatched shapes, as ``conv2d(_:_:bias:stride:padding:)`` and
///   ``maxPool2d(_:kernel:stride:padding:ceilMode:)`` would; for a fused path that cannot run here.
public func conv2dMaxPoolReLU(_ x: Tensor, _ weight: Tensor, bias: Tensor?, padding: Size2 = 0,
                              path: ConvPoolReLUPath = .automatic) throws -> Tensor {
    let unfused = { try maxPool2d(conv2d(x, weight, bias: bias, padding: padding), kernel: 2).relu() }
    switch path {
    case .unfused:
        return try unfused()
    case .automatic:
        guard ConvPoolReLUPath.avx512Available, Backend.current == .oneDNN, !Tensor.needsGrad(x),
              let g = FusedConvPoolReLU.geometry(x, weight, bias, padding), FusedConvPoolReLU.isSmallBlock(g),
              x.allFinite, weight.allFinite
        else { return try unfused() }
        return try FusedConvPoolReLU.run(g, x: x, weight: weight, bias: bias, avx512: true)
    case .fusedPortable, .fusedAVX512:
        let avx512 = path == .fusedAVX512
        try require(!avx512 || ConvPoolReLUPath.avx512Available, "conv_maxpool_relu", "this CPU has no AVX-512")
        try require(!Tensor.needsGrad(x), "conv_maxpool_relu", "the fused kernel computes no gradient for the input")
        // PyTorch's dW is NaN wherever a NaN or infinite pixel meets a pooled-away zero gradient
        // (0 · ∞ = NaN in the convolution's backward GEMM), a product the fused backward never forms;
        // an infinite weight times a padded zero is NaN here, nothing in oneDNN's convolution.
        if !x.allFinite || !weight.allFinite { return try unfused() }
        guard let g = FusedConvPoolReLU.geometry(x, weight, bias, padding) else {
            throw ConvNetError(op: "conv_maxpool_relu", "input \(describe(x.shape)), weight \(describe(weight.shape)), "
                               + "bias \(bias.map { describe($0.shape) } ?? "none"), padding \(padding) do not fit the fused kernel")
        }
        return try FusedConvPoolReLU.run(g, x: x, weight: weight, bias: bias, avx512: avx512)
    }
}

/// How ``conv2dMaxPoolReLU(_:_:bias:padding:path:)`` computes.
public enum ConvPoolReLUPath: Sendable {
    /// The fused AVX-512 kernel where it applies and is the faster (oneDNN backend, a CPU with
    /// AVX-512, an input that needs no gradient, and a first block's few channels: at most 4 in,
    /// fewer than 16 out, kernels up to 7×7), else ``unfused``.
    case automatic
    /// `conv2d`, `maxPool2d` and `relu`, one after the other.
    case unfused
    /// The fused kernel in portable C: slower than ``unfused``; the reference the AVX-512 one is
    /// tested against.
    case fusedPortable
    /// The fused kernel with AVX-512.
    case fusedAVX512

    /// Whether this CPU runs the AVX-512 kernel.
    public static let avx512Available = fk_cpu_has_avx512() != 0
}

/// The fused kernel's Swift side: eligibility, threads, buffers, and the recorded backward pass.
enum FusedConvPoolReLU {
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

    /// Forward (and the recorded backward) on the kernel chosen by `avx512`, images split over the
    /// OpenMP team.
    static func run(_ g: fk_block_geometry, x: Tensor, weight: Tensor, bias: Tensor?, avx512: Bool) throws -> Tensor {
        var g = g
        let y = Tensor(uninitializedShape: outputShape(g))
        let codes = TensorStorage(uninitializedCount: (y.count + 3) / 4)  // one byte per output
        // The backward pass keeps the input's and output's memory (not the tensors: y's own
        // gradient node holding y would be a cycle).
        let (input, output) = (x.storage, y.storage)
        let (xp, wp, bp, yp) = (input.pointer, weight.storage.pointer, bias?.storage.pointer, output.pointer)
        let code = UnsafeMutableRawPointer(codes.pointer).assumingMemoryBound(to: UInt8.self)
        let scratch = fk_scratch_floats(&g), batch = Int(g.batch)
        let threads = min(Backend.threads, batch)
        // Scratch from the tensor pool: the same sizes every step, so no fresh pages each time.
        let buffer = TensorStorage(uninitializedCount: scratch * threads)
        OpenMP.parallel(threads: threads) { t, count in
            let (n0, n1) = (t * batch / count, (t + 1) * batch / count)
            fk_conv_pool_relu_forward(&g, xp, wp, bp, yp, code, Int32(n0), Int32(n1), avx512 ? 1 : 0,
                                      buffer.pointer + t * scratch)
        }
        return y.recorded("conv_maxpool_relu", [x, weight, bias]) { dy in
            var g = g
            let dyp = dy.storage.pointer
            let weights = weight.count, outputs = Int(g.out_channels)
            // Per-thread sums, added in thread order (the same for a given thread count).
            let partials = TensorStorage(count: (weights + outputs) * threads, repeating: 0)
            let buffer = TensorStorage(uninitializedCount: scratch * threads)
            let partial = partials.pointer
            let dw = Tensor.zeros(weight.shape), db = bias.map { Tensor.zeros($0.shape) }
            withExtendedLifetime((codes, input, output, partials, buffer)) {
                OpenMP.parallel(threads: threads) { t, count in
                    let (n0, n1) = (t * batch / count, (t + 1) * batch / count)
                    let sums = partial + t * (weights + outputs)
                    fk_conv_pool_relu_backward_weights(&g, xp, yp, code, dyp, sums, bias == nil ? nil : sums + weights,
                                                       Int32(n0), Int32(n1), avx512 ? 1 : 0, buffer.pointer + t * scratch)
                }
                for t in 0..<threads {
                    let part = partial + t * (weights + outputs)
                    for i in 0..<weights { dw.storage.pointer[i] += part[i] }
                    if let db { for o in 0..<outputs { db.storage.pointer[o] += part[weights + o] } }
                }
            }
            return [nil, dw, db]
        }
    }
}
