import CDNNL

/// Batch normalisation with oneDNN's batch-normalization primitive; a `[N, C]` input is viewed as
/// `[N, C, 1, 1]`. One cached plan per (shape, ε, pass, input layouts).
///
/// It runs in the layout its input has: plain NCHW, or the oneDNN layout a convolution left it in
/// (nChw16c), where y, and in the backward pass dX, come out in that layout too, so
/// conv → batch norm → ReLU → conv keeps its activations in oneDNN's layout. A layout for which
/// oneDNN has only its reference implementation is converted to plain instead.
///
/// γ and β are separate `[C]` tensors (`dnnl_use_scale | dnnl_use_shift`, both in oneDNN 2.6).
/// Training (`dnnl_forward_training`) writes the batch mean and biased variance; inference
/// (`dnnl_use_global_stats`) reads the given ones. The backward primitive (`dnnl_backward`)
/// gives dX, dγ and dβ for either case.
enum OneDNNBatchNorm: BatchNormKernels {
    enum Pass: Hashable {
        case training, inference
        /// `globalStats`: the backward of inference (statistics are constants).
        case backward(globalStats: Bool)
    }

    /// `layouts`: the layout ids (``DNNLOperand/layoutID``) of x, then for the backward pass of dY.
    struct Key: Hashable {
        var dims: [Int]
        var epsBits: UInt32
        var pass: Pass
        var layouts: [Int]
    }

    static func training(x: Tensor, channels c: Int, gamma: Tensor, beta: Tensor, eps: Float,
                         needsBackward: Bool) throws -> (KernelResult<BatchNormGradients>, BatchStatistics) {
        if x.count == 0 {
            return try ReferenceBatchNorm.training(x: x, channels: c, gamma: gamma, beta: beta, eps: eps,
                                                   needsBackward: needsBackward)
        }
        let mean = Tensor(uninitializedShape: [c]), variance = Tensor(uninitializedShape: [c])
        let y = try forward(x, eps: eps, pass: .training, mean: mean, variance: variance, gamma: gamma, beta: beta)
        var result = KernelResult<BatchNormGradients>(output: y)
        if needsBackward {
            result.backward = { dy in
                try backward(eps: eps, globalStats: false, x: x, dy: dy, mean: mean, variance: variance,
                             gamma: gamma, beta: beta)
            }
        }
        return (result, BatchStatistics(mean: mean.scalars, variance: variance.scalars))
    }

    static func inference(x: Tensor, channels c: Int, gamma: Tensor, beta: Tensor, mean: Tensor, variance: Tensor,
                          eps: Float, needsBackward: Bool) throws -> KernelResult<BatchNormGradients> {
        if x.count == 0 {
            return try ReferenceBatchNorm.inference(x: x, channels: c, gamma: gamma, beta: beta, mean: mean,
                                                    variance: variance, eps: eps, needsBackward: needsBackward)
        }
        // The statistics as they are now: the backward pass must not see later running-stat updates.
        let (mean, variance) = (mean.copy(), variance.copy())
        let y = try forward(x, eps: eps, pass: .inference, mean: mean, variance: variance, gamma: gamma, beta: beta)
        var result = KernelResult<BatchNormGradients>(output: y)
        if needsBackward {
            result.backward = { dy in
                try backward(eps: eps, globalStats: true, x: x, dy: dy, mean: mean, variance: variance,
                             gamma: gamma, beta: beta)
            }
        }
        return result
    }

    /// y, in x's layout; in training also fills the batch statistics.
    private static func forward(_ x: Tensor, eps: Float, pass: Pass, mean: Tensor, variance: Tensor, gamma: Tensor,
                                beta: Tensor) throws -> Tensor {
        let src = DNNLOperand(x)
        let key = Key(dims: fourDims(x), epsBits: eps.bitPattern, pass: pass, layouts: [src.layoutID])
        let plan = try DNNLContext.plan(key) { try makePlan($0, key, data: src.layout) }
        return try plan.run(inputs: [DNNL_ARG_SRC: src], outputs: [DNNL_ARG_DST: x.shape],
                            buffers: statistics(mean, variance, gamma, beta))[DNNL_ARG_DST]!
    }

    /// dY → dX, dγ, dβ with the statistics of the forward pass.
    private static func backward(eps: Float, globalStats: Bool, x: Tensor, dy: Tensor, mean: Tensor,
                                 variance: Tensor, gamma: Tensor, beta: Tensor) throws -> BatchNormGradients {
        let c = x.shape[1]
        let dGamma = Tensor(uninitializedShape: [c]), dBeta = Tensor(uninitializedShape: [c])
        let src = DNNLOperand(x), diffDst = DNNLOperand(dy)
        let key = Key(dims: fourDims(x), epsBits: eps.bitPattern, pass: .backward(globalStats: globalStats),
                      layouts: [src.layoutID, diffDst.layoutID])
        let plan = try DNNLContext.plan(key) { try makePlan($0, key, data: src.layout, diffDst: diffDst.layout) }
        // (oneDNN 2.6 lists β as an argument of the backward primitive too, though dX does not depend on it.)
        var buffers = statistics(mean, variance, gamma, beta)
        buffers[DNNL_ARG_DIFF_SCALE] = UnsafeRawPointer(dGamma.plainStorage().pointer)
        buffers[DNNL_ARG_DIFF_SHIFT] = UnsafeRawPointer(dBeta.plainStorage().pointer)
        let dx = try withExtendedLifetime((mean, variance, gamma, beta, dGamma, dBeta)) {
            try plan.run(inputs: [DNNL_ARG_SRC: src, DNNL_ARG_DIFF_DST: diffDst], outputs: [DNNL_ARG_DIFF_SRC: x.shape],
                         buffers: buffers)[DNNL_ARG_DIFF_SRC]!
        }
        return BatchNormGradients(input: dx, weight: dGamma, bias: dBeta)
    }

    // MARK: - Building plans

    /// `[N, C]` → `[N, C, 1, 1]`; `[N, C, H, W]` as is.
    private static func fourDims(_ x: Tensor) -> [Int] {
        x.rank == 4 ? x.shape : [x.shape[0], x.shape[1], 1, 1]
    }

    /// The per-channel `[C]` tensors (always plain) by execution argument.
    private static func statistics(_ mean: Tensor, _ variance: Tensor, _ gamma: Tensor,
                                   _ beta: Tensor) -> [Int32: UnsafeRawPointer] {
        [DNNL_ARG_MEAN: UnsafeRawPointer(mean.plainStorage().pointer),
         DNNL_ARG_VARIANCE: UnsafeRawPointer(variance.plainStorage().pointer),
         DNNL_ARG_SCALE: UnsafeRawPointer(gamma.plainStorage().pointer),
         DNNL_ARG_SHIFT: UnsafeRawPointer(beta.plainStorage().pointer)]
    }

    /// The forward descriptor for a statistics mode on data in `data`; backward passes use it as their hint.
    private static func forwardDesc(_ builder: DNNLBuilder, data: dnnl_memory_desc_t, eps: Float, globalStats: Bool,
                                    prop: dnnl_prop_kind_t, what: String) throws -> DNNLPrimitiveDesc {
        var data = data
        let dims = DNNLDesc.dims(data)
        var op = dnnl_batch_normalization_desc_t()
        // dnnl_batch_normalization_forward_desc_init: y = γ (x − μ)/√(σ² + ε) + β over N, H, W per channel.
        try dnnlCheck(dnnl_batch_normalization_forward_desc_init(&op, prop, &data, eps, flags(globalStats: globalStats)),
                      what, "describing input \(describe(dims)), eps \(eps)")
        return try DNNLPrimitiveDesc(builder, opDesc: &op, hint: nil, what: what, shapes: "input \(describe(dims))")
    }

    /// γ and β as separate tensors; `dnnl_use_global_stats` when μ and σ² are given, not computed.
    private static func flags(globalStats: Bool) -> UInt32 {
        dnnl_use_scale.rawValue | dnnl_use_shift.rawValue | (globalStats ? dnnl_use_global_stats.rawValue : 0)
    }

    /// The plan for `key` on x in `data` (nil: plain) and, for the backward pass, dY in `diffDst`.
    private static func makePlan(_ builder: DNNLBuilder, _ key: Key, data: DNNLLayout?,
                                 diffDst: DNNLLayout? = nil) throws -> DNNLPlan {
        let eps = Float(bitPattern: key.epsBits)
        let plain = try DNNLDesc.plain(key.dims, what: "batch norm")
        let (pd, hint, what) = try primitive(builder, key, data: data?.desc ?? plain, eps: eps)
        if data != nil, pd.implementation.hasPrefix("ref") {
            // No fast kernel for this layout: run on plain memory (x is converted when read).
            return try makePlan(builder, key, data: nil, diffDst: diffDst)
        }
        let dataDesc = data?.desc ?? plain
        var arguments: [DNNLArgument] = [.input(DNNL_ARG_SRC, dataDesc)]
        switch key.pass {
        case .training, .inference:
            arguments.append(.output(DNNL_ARG_DST))
        case .backward:
            arguments += [.input(DNNL_ARG_DIFF_DST, try DNNLOperand.inputDesc(diffDst, dims: key.dims, what: what)),
                          .output(DNNL_ARG_DIFF_SRC)]
        }
        // The per-channel arguments this primitive takes, in the layout it reports (plain [C]).
        let statistics: [(Int32, Bool)] = [
            (DNNL_ARG_SCALE, false), (DNNL_ARG_SHIFT, false),
            (DNNL_ARG_MEAN, key.pass == .training), (DNNL_ARG_VARIANCE, key.pass == .training),
            (DNNL_ARG_DIFF_SCALE, true), (DNNL_ARG_DIFF_SHIFT, true),
        ]
        arguments += statistics.filter { DNNLDesc.size(pd.desc(for: $0.0)) > 0 }
            .map { DNNLArgument.buffer($0.0, isOutput: $0.1) }
        return try DNNLPlan(builder, pd, hint: hint, what: what, arguments: arguments)
    }

    /// The primitive descriptor of `key`'s pass on data (and, backward, dY and dX) in `data`.
    private static func primitive(_ builder: DNNLBuilder, _ key: Key, data: dnnl_memory_desc_t,
                                  eps: Float) throws -> (DNNLPrimitiveDesc, hint: DNNLPrimitiveDesc?, what: String) {
        switch key.pass {
        case .training, .inference:
            let what = key.pass == .training ? "batch norm training" : "batch norm inference"
            let pd = try forwardDesc(builder, data: data, eps: eps, globalStats: key.pass == .inference,
                                     prop: key.pass == .training ? dnnl_forward_training : dnnl_forward_inference,
                                     what: what)
            return (pd, nil, what)
        case .backward(let globalStats):
            let what = "batch norm backward"
            let forward = try forwardDesc(builder, data: data, eps: eps, globalStats: globalStats,
                                          prop: dnnl_forward_training, what: what)
            var diff = data, data = data
            var op = dnnl_batch_normalization_desc_t()
            // dnnl_batch_normalization_backward_desc_init: dnnl_backward gives dX, dγ and dβ (dX and dY in x's layout).
            try dnnlCheck(dnnl_batch_normalization_backward_desc_init(&op, dnnl_backward, &diff, &data, eps,
                                                                     flags(globalStats: globalStats)),
                          what, "describing input \(describe(key.dims)), eps \(eps)")
            let pd = try DNNLPrimitiveDesc(builder, opDesc: &op, hint: forward, what: what,
                                           shapes: "input \(describe(key.dims))")
            return (pd, forward, what)
        }
    }
}
