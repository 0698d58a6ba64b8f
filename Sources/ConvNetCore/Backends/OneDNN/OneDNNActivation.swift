import CDNNL

/// ReLU on tensors held in a oneDNN layout, with oneDNN's eltwise primitive, so that
/// conv → ReLU → pool stays in the convolution's layout. A plain input, and an input holding a NaN
/// (oneDNN's ReLU turns NaN into 0, PyTorch keeps it; one vectorised scan), take the reference
/// loop. One cached plan per (input layout, pass).
///
/// The primitive works on the whole buffer, blocked padding included; ReLU(0) = 0 keeps that
/// padding zero. The backward pass uses the output (`dnnl_eltwise_relu_use_dst_for_bwd`):
/// dX = dY where y > 0, else 0, the rule of the reference loop.
enum OneDNNActivation: ActivationKernels {
    enum Pass: Hashable {
        case forward
        /// `diffDst`: the layout id of dY.
        case backward(diffDst: Int)
    }

    struct Key: Hashable {
        var layout: Int
        var pass: Pass
    }

    static func relu(_ x: Tensor, needsBackward: Bool) throws -> KernelResult<Tensor> {
        let src = DNNLOperand(x)
        guard let layout = src.layout, !x.containsNaN else {
            return try ReferenceActivation.relu(x, needsBackward: needsBackward)
        }
        let plan = try DNNLContext.plan(Key(layout: layout.id, pass: .forward)) { try makeForward($0, layout) }
        let y = try plan.run(inputs: [DNNL_ARG_SRC: src], outputs: [DNNL_ARG_DST: x.shape])[DNNL_ARG_DST]!
        guard needsBackward else { return KernelResult(output: y) }
        return KernelResult(output: y) { dy in try backward(y: y, dy: dy) }
    }

    /// dX from the forward output `y` and dY, in y's layout; by the reference loop when y has
    /// been converted to plain meanwhile.
    private static func backward(y: Tensor, dy: Tensor) throws -> Tensor {
        let dst = DNNLOperand(y), diffDst = DNNLOperand(dy)
        guard let layout = dst.layout else { return ReferenceActivation.reluBackward(dy, y: y) }
        let plan = try DNNLContext.plan(Key(layout: layout.id, pass: .backward(diffDst: diffDst.layoutID))) {
            try makeBackward($0, layout, diffDst: diffDst.layout)
        }
        return try plan.run(inputs: [DNNL_ARG_DST: dst, DNNL_ARG_DIFF_DST: diffDst],
                            outputs: [DNNL_ARG_DIFF_SRC: y.shape])[DNNL_ARG_DIFF_SRC]!
    }

    // MARK: - Building plans

    /// The forward (training) descriptor: also the backward pass's hint.
    private static func forwardDesc(_ builder: DNNLBuilder, _ layout: DNNLLayout, what: String) throws -> DNNLPrimitiveDesc {
        var data = layout.desc
        var op = dnnl_eltwise_desc_t()
        // dnnl_eltwise_forward_desc_init: y = max(0, x) (alpha = 0: no negative slope), y in x's layout.
        try dnnlCheck(dnnl_eltwise_forward_desc_init(&op, dnnl_forward_training, dnnl_eltwise_relu_use_dst_for_bwd,
                                                     &data, 0, 0),
                      what, "describing input \(describe(layout.dims))")
        return try DNNLPrimitiveDesc(builder, opDesc: &op, hint: nil, what: what, shapes: "input \(describe(layout.dims))")
    }

    private static func makeForward(_ builder: DNNLBuilder, _ layout: DNNLLayout) throws -> DNNLPlan {
        let what = "relu forward"
        let pd = try forwardDesc(builder, layout, what: what)
        return try DNNLPlan(builder, pd, what: what, arguments: [.input(DNNL_ARG_SRC, layout.desc), .output(DNNL_ARG_DST)])
    }

    private static func makeBackward(_ builder: DNNLBuilder, _ layout: DNNLLayout, diffDst: DNNLLayout?) throws -> DNNLPlan {
        let what = "relu backward"
        let hint = try forwardDesc(builder, layout, what: what)
        var data = layout.desc, diff = layout.desc
        var op = dnnl_eltwise_desc_t()
        // dnnl_eltwise_backward_desc_init: dX = dY · [y > 0], all in y's layout.
        try dnnlCheck(dnnl_eltwise_backward_desc_init(&op, dnnl_eltwise_relu_use_dst_for_bwd, &diff, &data, 0, 0),
                      what, "describing input \(describe(layout.dims))")
        let pd = try DNNLPrimitiveDesc(builder, opDesc: &op, hint: hint, what: what, shapes: "input \(describe(layout.dims))")
        return try DNNLPlan(builder, pd, hint: hint, what: what, arguments: [
            .input(DNNL_ARG_DST, layout.desc),
            .input(DNNL_ARG_DIFF_DST, try DNNLOperand.inputDesc(diffDst, dims: layout.dims, what: what)),
            .output(DNNL_ARG_DIFF_SRC),
        ])
    }
}
