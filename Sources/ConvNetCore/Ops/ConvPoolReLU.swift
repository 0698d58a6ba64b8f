import CFusedKernels

/// A network's first block in one pass: `relu(maxPool2d(conv2d(x, weight, bias: bias, padding: padding), kernel: 2))`
/// (stride-1 convolution without groups or dilation, 2×2 max pooling with stride 2, ReLU), LeNet-5's
/// conv1 → pool1 → relu1. (A grouped or dilated convolution is ``conv2d(_:_:bias:stride:padding:dilation:groups:)``
/// followed by the other two.)
///
/// The same function as the three operations, computed differently where that is faster: where
/// the current backend has a fused kernel for it (the oneDNN backend, on a CPU with AVX-512, when
/// `x` needs no gradient, e.g. an input batch), that kernel writes the pooled, rectified output in
/// NCHW without the convolution's full output ever existing, and remembers which window position won each maximum. Its backward
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
/// - Throws: ``ConvNetError`` for mismatched shapes, as ``conv2d(_:_:bias:stride:padding:dilation:groups:)`` and
///   ``maxPool2d(_:kernel:stride:padding:ceilMode:)`` would; for a fused path that cannot run here.
public func conv2dMaxPoolReLU(_ x: Tensor, _ weight: Tensor, bias: Tensor?, padding: Size2 = 0,
                              path: ConvPoolReLUPath = .automatic) throws -> Tensor {
    let unfused = { try maxPool2d(conv2d(x, weight, bias: bias, padding: padding), kernel: 2).relu() }
    let wanted = gradientsWanted(GradMode.enabledFlag, input: x, parameters: weight, bias)
    /// The block as one recorded operation, with the geometry of the convolution and pooling it stands for.
    func block() throws -> Op {
        try require(x.rank == 4 && weight.rank == 4, "conv_maxpool_relu", "input \(describe(x.shape)) and weight \(describe(weight.shape)) must be 4-D")
        let conv = Conv2dGeometry(batch: x.shape[0], inChannels: x.shape[1], height: x.shape[2], width: x.shape[3],
                                  outChannels: weight.shape[0], kernel: Size2(weight.shape[2], weight.shape[3]),
                                  padding: padding)
        let pool = Pool2dGeometry(inputShape: conv.outputShape, kernel: 2, stride: 2, padding: 0, ceilMode: false)
        return .convMaxPoolReLU(conv, pool: pool)
    }
    switch path {
    case .unfused:
        return try unfused()
    case .automatic:
        guard let kernels = Backend.current.fusedBlock,
              kernels.fits(x: x, weight: weight, bias: bias, padding: padding, wanted: wanted)
        else { return try unfused() }
        return try apply(block(), [x, weight, bias])
    case .fusedPortable, .fusedAVX512:
        let avx512 = path == .fusedAVX512
        try require(!avx512 || ConvPoolReLUPath.avx512Available, "conv_maxpool_relu", "this CPU has no AVX-512")
        try require(!wanted.input, "conv_maxpool_relu", "the fused kernel computes no gradient for the input")
        // PyTorch's dW is NaN wherever a NaN or infinite pixel meets a pooled-away zero gradient
        // (0 · ∞ = NaN in the convolution's backward GEMM), a product the fused backward never forms;
        // an infinite weight times a padded zero is NaN here, nothing in oneDNN's convolution.
        if !x.allFinite || !weight.allFinite { return try unfused() }
        guard let g = FusedConvPoolReLU.geometry(x, weight, bias, padding) else {
            throw ConvNetError(op: "conv_maxpool_relu", "input \(describe(x.shape)), weight \(describe(weight.shape)), "
                               + "bias \(bias.map { describe($0.shape) } ?? "none"), padding \(padding) do not fit the fused kernel")
        }
        return try apply(block(), [x, weight, bias]) { _, _ in
            Kernels.fusedBlock(FusedConvPoolReLU.run(g, x: x, weight: weight, bias: bias, avx512: avx512, wanted: wanted))
        }
    }
}

extension Kernels {
    /// The block on ``Backend/current``: its fused kernel where it has one that fits, else the
    /// convolution, pooling and ReLU kernels one after the other (their backward rules chained).
    static func convMaxPoolReLU(_ conv: Conv2dGeometry, pool: Pool2dGeometry, _ x: Tensor, _ weight: Tensor, _ bias: Tensor?,
                                wantsGradient: Bool) throws -> Computed {
        let wanted = gradientsWanted(wantsGradient, input: x, parameters: weight, bias)
        if let kernels = Backend.current.fusedBlock,
           let result = try kernels.convMaxPoolReLU(x: x, weight: weight, bias: bias, padding: Size2(conv.padHeight, conv.padWidth), wanted: wanted) {
            return fusedBlock(result)
        }
        let convolved = try conv2d(conv, x, weight, bias, wantsGradient: wantsGradient)
        let pooled = try maxPool2d(pool, convolved.output, wantsGradient: wantsGradient)
        let rectified = try relu(pooled.output, wantsGradient: wantsGradient)
        return Computed(rectified.output) { dy in
            let dPooled = try rectified.backward!(dy)[0]!
            let dConvolved = try pooled.backward!(dPooled)[0]!
            return try convolved.backward!(dConvolved)
        }
    }

    /// A fused block kernel's result (it computes no dX).
    static func fusedBlock(_ result: KernelResult<ConvolutionGradients>) -> Computed {
        Computed(result.output) { dy in
            let gradients = try result.backward!(dy)
            return [nil, gradients.weight, gradients.bias]
        }
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

