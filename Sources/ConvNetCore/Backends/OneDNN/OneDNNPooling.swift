import CDNNL

/// Max and average pooling with oneDNN's pooling primitives, one cached plan per
/// (geometry, algorithm, pass, input layouts).
///
/// Pooling runs in the layout its input has: on plain NCHW, or on the oneDNN layout a convolution
/// (or ReLU) left it in, where the kernels are 2–3× faster (LeNet's 64×6×28×28 max pooling on
/// nChw16c: forward 0.027 ms and backward 0.035 ms, against 0.069 and 0.086 ms on NCHW) and
/// the output stays in that layout for the next operation.
///
/// Max pooling in training records a workspace (where each maximum came from); the backward
/// closure keeps it and hands it to the backward primitive. Average pooling counts padded zeros
/// (`dnnl_pooling_avg_include_padding`, PyTorch's `count_include_pad=True`) or only the input
/// pixels of each window (`dnnl_pooling_avg_exclude_padding`, `count_include_pad=False`).
/// Ceil mode is extra padding at the bottom and right (oneDNN's `padding_r`), which never wins.
enum OneDNNPooling: PoolingKernels {
    enum Algorithm: Hashable {
        case max, average, averageExcludingPadding

        var dnnl: dnnl_alg_kind_t {
            switch self {
            case .max: dnnl_pooling_max
            case .average: dnnl_pooling_avg_include_padding
            case .averageExcludingPadding: dnnl_pooling_avg_exclude_padding
            }
        }

        var name: String { self == .max ? "max pooling" : "average pooling" }
    }

    /// `training` is a forward pass whose backward will follow (it writes the max workspace).
    enum Pass: Hashable { case inference, training, backward }

    /// `layouts`: the layout ids (``DNNLOperand/layoutID``) of the forward input x, then for the
    /// backward pass of dY.
    struct Key: Hashable {
        var geometry: Pool2dGeometry
        var algorithm: Algorithm
        var pass: Pass
        var layouts: [Int]
    }

    /// oneDNN's max pooling lets a NaN lose (its maximum instruction returns the other operand),
    /// where PyTorch's window maximum is NaN; an input holding a NaN takes the reference loops.
    static func maxPool(_ g: Pool2dGeometry, x: Tensor, needsBackward: Bool) throws -> KernelResult<Tensor> {
        if isEmpty(g) || x.containsNaN { return try ReferencePooling.maxPool(g, x: x, needsBackward: needsBackward) }
        return try pool(.max, g, x: x, needsBackward: needsBackward)
    }

    static func avgPool(_ g: Pool2dGeometry, x: Tensor, countIncludePad: Bool, needsBackward: Bool) throws -> KernelResult<Tensor> {
        // oneDNN would count a ceil-mode window's part beyond the padding; PyTorch does not.
        let pastPadding = g.padBottom > g.padHeight || g.padRight > g.padWidth
        if isEmpty(g) || (countIncludePad && pastPadding) {
            return try ReferencePooling.avgPool(g, x: x, countIncludePad: countIncludePad, needsBackward: needsBackward)
        }
        return try pool(countIncludePad ? .average : .averageExcludingPadding, g, x: x, needsBackward: needsBackward)
    }

    /// Runs the forward plan and, when needed, returns a closure that runs the backward plan.
    private static func pool(_ algorithm: Algorithm, _ g: Pool2dGeometry, x: Tensor,
                             needsBackward: Bool) throws -> KernelResult<Tensor> {
        let src = DNNLOperand(x)
        let (srcID, srcLayout) = (src.layoutID, src.layout)
        let key = Key(geometry: g, algorithm: algorithm, pass: needsBackward ? .training : .inference, layouts: [srcID])
        let plan = try DNNLContext.plan(key) { try makeForward($0, key, src: srcLayout) }
        let workspaceBytes = DNNLDesc.size(plan.primitive.desc.desc(for: DNNL_ARG_WORKSPACE))
        // The workspace belongs to this call (the backward closure keeps it), so it is not cached.
        let workspace = workspaceBytes > 0 ? try DNNLBuffer(bytes: workspaceBytes, what: algorithm.name) : nil
        let buffers = workspace.map { [DNNL_ARG_WORKSPACE: UnsafeRawPointer($0.pointer)] } ?? [:]
        let y = try plan.run(inputs: [DNNL_ARG_SRC: src], outputs: [DNNL_ARG_DST: g.outputShape],
                             buffers: buffers)[DNNL_ARG_DST]!
        guard needsBackward else { return KernelResult(output: y) }
        return KernelResult(output: y) { dy in
            let diffDst = DNNLOperand(dy)
            let key = Key(geometry: g, algorithm: algorithm, pass: .backward, layouts: [srcID, diffDst.layoutID])
            let plan = try DNNLContext.plan(key) { try makeBackward($0, key, src: srcLayout, diffDst: diffDst.layout) }
            return try withExtendedLifetime(workspace) {
                try plan.run(inputs: [DNNL_ARG_DIFF_DST: diffDst], outputs: [DNNL_ARG_DIFF_SRC: g.inputShape],
                             buffers: buffers)[DNNL_ARG_DIFF_SRC]!
            }
        }
    }

    // MARK: - Building plans

    private static func isEmpty(_ g: Pool2dGeometry) -> Bool { (g.inputShape + g.outputShape).contains(0) }

    private static func shapes(_ g: Pool2dGeometry) -> String {
        "input \(describe(g.inputShape)), output \(describe(g.outputShape)), kernel (\(g.kernelHeight), \(g.kernelWidth)), "
            + "stride (\(g.strideHeight), \(g.strideWidth)), padding (\(g.padHeight), \(g.padWidth))\(g.ceilMode ? ", ceil mode" : "")"
    }

    /// Strides, kernel, dilation (0 = none) and padding (top/left, then bottom/right) of `g` as oneDNN arrays.
    private static func windows(_ g: Pool2dGeometry)
        -> (strides: [Int64], kernel: [Int64], dilation: [Int64], padding: [Int64], paddingEnd: [Int64]) {
        ([Int64(g.strideHeight), Int64(g.strideWidth)], [Int64(g.kernelHeight), Int64(g.kernelWidth)], [0, 0],
         [Int64(g.padHeight), Int64(g.padWidth)], [Int64(g.padBottom), Int64(g.padRight)])
    }

    /// The forward plan on input in `src` (nil: plain); the output is in the layout oneDNN picks
    /// for it (the input's).
    private static func makeForward(_ builder: DNNLBuilder, _ key: Key, src: DNNLLayout?) throws -> DNNLPlan {
        let (g, what) = (key.geometry, "\(key.algorithm.name) forward")
        var srcDesc = try src?.desc ?? DNNLDesc.plain(g.inputShape, what: what)
        var dst = try DNNLDesc.make(g.outputShape, dnnl_format_tag_any, what: what)
        let w = windows(g)
        var op = dnnl_pooling_v2_desc_t()
        // dnnl_pooling_v2_forward_desc_init: forward_training makes max pooling write a workspace.
        try dnnlCheck(dnnl_pooling_v2_forward_desc_init(&op, key.pass == .training ? dnnl_forward_training : dnnl_forward_inference,
                                                        key.algorithm.dnnl, &srcDesc, &dst, w.strides, w.kernel,
                                                        w.dilation, w.padding, w.paddingEnd),
                      what, "describing \(shapes(g))")
        let pd = try DNNLPrimitiveDesc(builder, opDesc: &op, hint: nil, what: what, shapes: shapes(g))
        var arguments: [DNNLArgument] = [.input(DNNL_ARG_SRC, srcDesc), .output(DNNL_ARG_DST)]
        if DNNLDesc.size(pd.desc(for: DNNL_ARG_WORKSPACE)) > 0 { arguments.append(.buffer(DNNL_ARG_WORKSPACE, isOutput: true)) }
        return try DNNLPlan(builder, pd, what: what, arguments: arguments)
    }

    /// The backward plan for a forward pass on input in `src`, with dY in `diffDst`; dX comes out
    /// in the forward input's layout.
    private static func makeBackward(_ builder: DNNLBuilder, _ key: Key, src: DNNLLayout?,
                                     diffDst: DNNLLayout?) throws -> DNNLPlan {
        let (g, what) = (key.geometry, "\(key.algorithm.name) backward")
        // The backward primitive needs the forward (training) descriptor as a hint.
        let forwardKey = Key(geometry: g, algorithm: key.algorithm, pass: .training, layouts: [key.layouts[0]])
        let hint = try builder.plan(forwardKey) { try makeForward($0, forwardKey, src: src) }.primitive.desc
        var diffSrc = try src?.desc ?? DNNLDesc.plain(g.inputShape, what: what)
        var diffDstDesc = hint.desc(for: DNNL_ARG_DST)
        let w = windows(g)
        var op = dnnl_pooling_v2_desc_t()
        // dnnl_pooling_v2_backward_desc_init: dX from dY (and, for max, the forward workspace).
        try dnnlCheck(dnnl_pooling_v2_backward_desc_init(&op, key.algorithm.dnnl, &diffSrc, &diffDstDesc, w.strides,
                                                         w.kernel, w.dilation, w.padding, w.paddingEnd),
                      what, "describing \(shapes(g))")
        let pd = try DNNLPrimitiveDesc(builder, opDesc: &op, hint: hint, what: what, shapes: shapes(g))
        var arguments: [DNNLArgument] = [
            .input(DNNL_ARG_DIFF_DST, try DNNLOperand.inputDesc(diffDst, dims: g.outputShape, what: what)),
            .output(DNNL_ARG_DIFF_SRC),
        ]
        if DNNLDesc.size(pd.desc(for: DNNL_ARG_WORKSPACE)) > 0 { arguments.append(.buffer(DNNL_ARG_WORKSPACE, isOutput: false)) }
        return try DNNLPlan(builder, pd, hint: hint, what: what, arguments: arguments)
    }
}
