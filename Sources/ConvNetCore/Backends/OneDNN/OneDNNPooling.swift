import CDNNL

/// Max and average pooling with oneDNN's pooling primitives on plain NCHW memory (pooling gains
/// nothing from blocked layouts that would pay for the reorders), one cached plan per
/// (geometry, algorithm, pass).
///
/// Max pooling in training records a workspace (where each maximum came from); the backward
/// closure keeps it and hands it to the backward primitive. Average pooling counts padded zeros
/// (`dnnl_pooling_avg_include_padding`, PyTorch's `count_include_pad=True`).
enum OneDNNPooling: PoolingKernels {
    enum Algorithm: Hashable {
        case max, average

        var dnnl: dnnl_alg_kind_t { self == .max ? dnnl_pooling_max : dnnl_pooling_avg_include_padding }
        var name: String { self == .max ? "max pooling" : "average pooling" }
    }

    /// `training` is a forward pass whose backward will follow (it writes the max workspace).
    enum Pass: Hashable { case inference, training, backward }

    struct Key: Hashable {
        var geometry: Pool2dGeometry
        var algorithm: Algorithm
        var pass: Pass
    }

    static func maxPool(_ g: Pool2dGeometry, x: Tensor, needsBackward: Bool) throws -> PoolingResult {
        if isEmpty(g) { return try ReferencePooling.maxPool(g, x: x, needsBackward: needsBackward) }
        return try pool(.max, g, x: x, needsBackward: needsBackward)
    }

    static func avgPool(_ g: Pool2dGeometry, x: Tensor, needsBackward: Bool) throws -> PoolingResult {
        if isEmpty(g) { return try ReferencePooling.avgPool(g, x: x, needsBackward: needsBackward) }
        return try pool(.average, g, x: x, needsBackward: needsBackward)
    }

    /// Runs the forward plan and, when needed, returns a closure that runs the backward plan.
    private static func pool(_ algorithm: Algorithm, _ g: Pool2dGeometry, x: Tensor,
                             needsBackward: Bool) throws -> PoolingResult {
        let y = Tensor(uninitializedShape: g.outputShape)
        let workspace: DNNLBuffer? = try DNNL.run { context in
            let key = Key(geometry: g, algorithm: algorithm, pass: needsBackward ? .training : .inference)
            let plan = try context.plan(key) { try makeForward(context, key) }
            var buffers: [Int32: UnsafeRawPointer] = [DNNL_ARG_SRC: UnsafeRawPointer(x.storage.pointer),
                                                      DNNL_ARG_DST: UnsafeRawPointer(y.storage.pointer)]
            // The workspace belongs to this call (the backward closure keeps it), so it is not cached.
            let bytes = DNNLDesc.size(plan.primitive.desc.desc(for: DNNL_ARG_WORKSPACE))
            let workspace = bytes > 0 ? try DNNLBuffer(bytes: bytes, what: algorithm.name) : nil
            if let workspace { buffers[DNNL_ARG_WORKSPACE] = UnsafeRawPointer(workspace.pointer) }
            try plan.run(context, buffers)
            return workspace
        }
        guard needsBackward else { return PoolingResult(output: y, backward: nil) }
        return PoolingResult(output: y) { dy in
            let dx = Tensor(uninitializedShape: g.inputShape)
            try DNNL.run { context in
                let key = Key(geometry: g, algorithm: algorithm, pass: .backward)
                let plan = try context.plan(key) { try makeBackward(context, key) }
                var buffers: [Int32: UnsafeRawPointer] = [DNNL_ARG_DIFF_DST: UnsafeRawPointer(dy.storage.pointer),
                                                          DNNL_ARG_DIFF_SRC: UnsafeRawPointer(dx.storage.pointer)]
                if let workspace { buffers[DNNL_ARG_WORKSPACE] = UnsafeRawPointer(workspace.pointer) }
                try plan.run(context, buffers)
            }
            return dx
        }
    }

    // MARK: - Building plans

    private static func isEmpty(_ g: Pool2dGeometry) -> Bool { (g.inputShape + g.outputShape).contains(0) }

    private static func shapes(_ g: Pool2dGeometry) -> String {
        "input \(describe(g.inputShape)), output \(describe(g.outputShape)), kernel (\(g.kernelHeight), \(g.kernelWidth)), "
            + "stride (\(g.strideHeight), \(g.strideWidth)), padding (\(g.padHeight), \(g.padWidth))"
    }

    /// Strides, kernel, dilation (0 = none) and padding of `g` as oneDNN arrays.
    private static func windows(_ g: Pool2dGeometry) -> (strides: [Int64], kernel: [Int64], dilation: [Int64], padding: [Int64]) {
        ([Int64(g.strideHeight), Int64(g.strideWidth)], [Int64(g.kernelHeight), Int64(g.kernelWidth)], [0, 0],
         [Int64(g.padHeight), Int64(g.padWidth)])
    }

    private static func makeForward(_ context: DNNLContext, _ key: Key) throws -> DNNLPlan {
        let (g, what) = (key.geometry, "\(key.algorithm.name) forward")
        var src = try DNNLDesc.plain(g.inputShape, what: what)
        var dst = try DNNLDesc.plain(g.outputShape, what: what)
        let w = windows(g)
        var op = dnnl_pooling_v2_desc_t()
        // dnnl_pooling_v2_forward_desc_init: forward_training makes max pooling write a workspace.
        try dnnlCheck(dnnl_pooling_v2_forward_desc_init(&op, key.pass == .training ? dnnl_forward_training : dnnl_forward_inference,
                                                        key.algorithm.dnnl, &src, &dst, w.strides, w.kernel,
                                                        w.dilation, w.padding, w.padding),
                      what, "describing \(shapes(g))")
        let pd = try DNNLPrimitiveDesc(context, opDesc: &op, hint: nil, what: what, shapes: shapes(g))
        var arguments: [(arg: Int32, plain: dnnl_memory_desc_t?, isOutput: Bool)] =
            [(DNNL_ARG_SRC, src, false), (DNNL_ARG_DST, dst, true)]
        if DNNLDesc.size(pd.desc(for: DNNL_ARG_WORKSPACE)) > 0 { arguments.append((DNNL_ARG_WORKSPACE, nil, true)) }
        return try DNNLPlan(context, pd, what: what, arguments: arguments)
    }

    private static func makeBackward(_ context: DNNLContext, _ key: Key) throws -> DNNLPlan {
        let (g, what) = (key.geometry, "\(key.algorithm.name) backward")
        // The backward primitive needs the forward (training) descriptor as a hint.
        let forwardKey = Key(geometry: g, algorithm: key.algorithm, pass: .training)
        let hint = try context.plan(forwardKey) { try makeForward(context, forwardKey) }.primitive.desc
        var diffSrc = try DNNLDesc.plain(g.inputShape, what: what)
        var diffDst = try DNNLDesc.plain(g.outputShape, what: what)
        let w = windows(g)
        var op = dnnl_pooling_v2_desc_t()
        // dnnl_pooling_v2_backward_desc_init: dX from dY (and, for max, the forward workspace).
        try dnnlCheck(dnnl_pooling_v2_backward_desc_init(&op, key.algorithm.dnnl, &diffSrc, &diffDst, w.strides,
                                                         w.kernel, w.dilation, w.padding, w.padding),
                      what, "describing \(shapes(g))")
        let pd = try DNNLPrimitiveDesc(context, opDesc: &op, hint: hint, what: what, shapes: shapes(g))
        var arguments: [(arg: Int32, plain: dnnl_memory_desc_t?, isOutput: Bool)] =
            [(DNNL_ARG_DIFF_DST, diffDst, false), (DNNL_ARG_DIFF_SRC, diffSrc, true)]
        if DNNLDesc.size(pd.desc(for: DNNL_ARG_WORKSPACE)) > 0 { arguments.append((DNNL_ARG_WORKSPACE, nil, false)) }
        return try DNNLPlan(context, pd, hint: hint, what: what, arguments: arguments)
    }
}
