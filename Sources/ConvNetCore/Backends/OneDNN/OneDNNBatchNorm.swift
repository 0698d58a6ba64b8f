import CDNNL

/// Batch normalisation with oneDNN's batch-normalization primitive on plain NCHW memory; a `[N, C]`
/// input is viewed as `[N, C, 1, 1]`. One cached plan per (shape, ε, pass).
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

    struct Key: Hashable {
        var dims: [Int]
        var epsBits: UInt32
        var pass: Pass
    }

    static func training(x: Tensor, channels c: Int, gamma: Tensor, beta: Tensor, eps: Float,
                         needsBackward: Bool) throws -> BatchNormResult {
        if x.count == 0 {
            return try ReferenceBatchNorm.training(x: x, channels: c, gamma: gamma, beta: beta, eps: eps,
                                                   needsBackward: needsBackward)
        }
        let dims = fourDims(x)
        let y = Tensor(uninitializedShape: x.shape)
        let mean = Tensor(uninitializedShape: [c]), variance = Tensor(uninitializedShape: [c])
        try DNNL.run { context in
            let key = Key(dims: dims, epsBits: eps.bitPattern, pass: .training)
            let plan = try context.plan(key) { try makePlan(context, key) }
            try plan.run(context, buffers(src: x, dst: y, mean: mean, variance: variance, gamma: gamma, beta: beta))
        }
        var result = BatchNormResult(output: y, batchMean: mean.scalars, batchVariance: variance.scalars)
        if needsBackward {
            result.backward = { dy in
                try backward(dims: dims, eps: eps, globalStats: false, x: x, dy: dy, mean: mean, variance: variance,
                             gamma: gamma, beta: beta)
            }
        }
        return result
    }

    static func inference(x: Tensor, channels c: Int, gamma: Tensor, beta: Tensor, mean: Tensor, variance: Tensor,
                          eps: Float, needsBackward: Bool) throws -> BatchNormResult {
        if x.count == 0 {
            return try ReferenceBatchNorm.inference(x: x, channels: c, gamma: gamma, beta: beta, mean: mean,
                                                    variance: variance, eps: eps, needsBackward: needsBackward)
        }
        let dims = fourDims(x)
        let y = Tensor(uninitializedShape: x.shape)
        // The statistics as they are now: the backward pass must not see later running-stat updates.
        let (mean, variance) = (mean.copy(), variance.copy())
        try DNNL.run { context in
            let key = Key(dims: dims, epsBits: eps.bitPattern, pass: .inference)
            let plan = try context.plan(key) { try makePlan(context, key) }
            try plan.run(context, buffers(src: x, dst: y, mean: mean, variance: variance, gamma: gamma, beta: beta))
        }
        var result = BatchNormResult(output: y, batchMean: [], batchVariance: [])
        if needsBackward {
            result.backward = { dy in
                try backward(dims: dims, eps: eps, globalStats: true, x: x, dy: dy, mean: mean, variance: variance,
                             gamma: gamma, beta: beta)
            }
        }
        return result
    }

    /// dY → (dX, dγ, dβ) with the statistics of the forward pass.
    private static func backward(dims: [Int], eps: Float, globalStats: Bool, x: Tensor, dy: Tensor, mean: Tensor,
                                 variance: Tensor, gamma: Tensor, beta: Tensor) throws -> (Tensor, Tensor, Tensor) {
        let c = dims[1]
        let dx = Tensor(uninitializedShape: x.shape)
        let dGamma = Tensor(uninitializedShape: [c]), dBeta = Tensor(uninitializedShape: [c])
        try DNNL.run { context in
            let key = Key(dims: dims, epsBits: eps.bitPattern, pass: .backward(globalStats: globalStats))
            let plan = try context.plan(key) { try makePlan(context, key) }
            // (oneDNN 2.6 lists β as an argument of the backward primitive too, though dX does not depend on it.)
            var bufs = buffers(src: x, dst: nil, mean: mean, variance: variance, gamma: gamma, beta: beta)
            bufs[DNNL_ARG_DIFF_DST] = UnsafeRawPointer(dy.storage.pointer)
            bufs[DNNL_ARG_DIFF_SRC] = UnsafeRawPointer(dx.storage.pointer)
            bufs[DNNL_ARG_DIFF_SCALE] = UnsafeRawPointer(dGamma.storage.pointer)
            bufs[DNNL_ARG_DIFF_SHIFT] = UnsafeRawPointer(dBeta.storage.pointer)
            try plan.run(context, bufs)
        }
        return (dx, dGamma, dBeta)
    }

    // MARK: - Building plans

    /// `[N, C]` → `[N, C, 1, 1]`; `[N, C, H, W]` as is.
    private static func fourDims(_ x: Tensor) -> [Int] {
        x.rank == 4 ? x.shape : [x.shape[0], x.shape[1], 1, 1]
    }

    /// The caller's buffers by execution argument (a plan takes those its primitive needs).
    private static func buffers(src: Tensor, dst: Tensor?, mean: Tensor, variance: Tensor, gamma: Tensor,
                                beta: Tensor) -> [Int32: UnsafeRawPointer] {
        var b: [Int32: UnsafeRawPointer] = [DNNL_ARG_SRC: UnsafeRawPointer(src.storage.pointer),
                                            DNNL_ARG_MEAN: UnsafeRawPointer(mean.storage.pointer),
                                            DNNL_ARG_VARIANCE: UnsafeRawPointer(variance.storage.pointer),
                                            DNNL_ARG_SCALE: UnsafeRawPointer(gamma.storage.pointer),
                                            DNNL_ARG_SHIFT: UnsafeRawPointer(beta.storage.pointer)]
        if let dst { b[DNNL_ARG_DST] = UnsafeRawPointer(dst.storage.pointer) }
        return b
    }

    /// The forward descriptor for a key's statistics mode; backward passes use it as their hint.
    private static func forwardDesc(_ context: DNNLContext, dims: [Int], eps: Float, globalStats: Bool,
                                    prop: dnnl_prop_kind_t, what: String) throws -> DNNLPrimitiveDesc {
        var data = try DNNLDesc.plain(dims, what: what)
        var op = dnnl_batch_normalization_desc_t()
        // dnnl_batch_normalization_forward_desc_init: y = γ (x − μ)/√(σ² + ε) + β over N, H, W per channel.
        try dnnlCheck(dnnl_batch_normalization_forward_desc_init(&op, prop, &data, eps, flags(globalStats: globalStats)),
                      what, "describing input \(describe(dims)), eps \(eps)")
        return try DNNLPrimitiveDesc(context, opDesc: &op, hint: nil, what: what, shapes: "input \(describe(dims))")
    }

    /// γ and β as separate tensors; `dnnl_use_global_stats` when μ and σ² are given, not computed.
    private static func flags(globalStats: Bool) -> UInt32 {
        dnnl_use_scale.rawValue | dnnl_use_shift.rawValue | (globalStats ? dnnl_use_global_stats.rawValue : 0)
    }

    private static func makePlan(_ context: DNNLContext, _ key: Key) throws -> DNNLPlan {
        let eps = Float(bitPattern: key.epsBits)
        let pd: DNNLPrimitiveDesc, hint: DNNLPrimitiveDesc?, what: String
        switch key.pass {
        case .training, .inference:
            what = key.pass == .training ? "batch norm training" : "batch norm inference"
            pd = try forwardDesc(context, dims: key.dims, eps: eps, globalStats: key.pass == .inference,
                                 prop: key.pass == .training ? dnnl_forward_training : dnnl_forward_inference, what: what)
            hint = nil
        case .backward(let globalStats):
            what = "batch norm backward"
            let forward = try forwardDesc(context, dims: key.dims, eps: eps, globalStats: globalStats,
                                          prop: dnnl_forward_training, what: what)
            var diff = try DNNLDesc.plain(key.dims, what: what), data = diff
            var op = dnnl_batch_normalization_desc_t()
            // dnnl_batch_normalization_backward_desc_init: dnnl_backward gives dX, dγ and dβ.
            try dnnlCheck(dnnl_batch_normalization_backward_desc_init(&op, dnnl_backward, &diff, &data, eps,
                                                                     flags(globalStats: globalStats)),
                          what, "describing input \(describe(key.dims)), eps \(eps)")
            pd = try DNNLPrimitiveDesc(context, opDesc: &op, hint: forward, what: what,
                                       shapes: "input \(describe(key.dims))")
            hint = forward
        }
        // Every argument this primitive takes, in the layout it reports (all plain here).
        let candidates: [(Int32, Bool)] = [
            (DNNL_ARG_SRC, false), (DNNL_ARG_DST, true), (DNNL_ARG_SCALE, false), (DNNL_ARG_SHIFT, false),
            (DNNL_ARG_MEAN, key.pass == .training), (DNNL_ARG_VARIANCE, key.pass == .training),
            (DNNL_ARG_DIFF_DST, false), (DNNL_ARG_DIFF_SRC, true), (DNNL_ARG_DIFF_SCALE, true),
            (DNNL_ARG_DIFF_SHIFT, true),
        ]
        let arguments = candidates.filter { DNNLDesc.size(pd.desc(for: $0.0)) > 0 }
            .map { (arg: $0.0, plain: dnnl_memory_desc_t?.none, isOutput: $0.1) }
        return try DNNLPlan(context, pd, hint: hint, what: what, arguments: arguments)
    }
}
