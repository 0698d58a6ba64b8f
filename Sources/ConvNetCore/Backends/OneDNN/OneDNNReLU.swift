import CDNNL

/// ReLU on tensors held in a oneDNN layout, with oneDNN's eltwise primitive, so that
/// conv → ReLU → pool stays in the convolution's layout (a plain input takes the plain loop in
/// `Tensor.relu()` instead). One cached plan per (input layout, pass).
///
/// The primitive works on the whole buffer, blocked padding included; ReLU(0) = 0 keeps that
/// padding zero. The backward pass uses the output (`dnnl_eltwise_relu_use_dst_for_bwd`):
/// dX = dY where y > 0, else 0, the rule of the plain loop.
enum OneDNNReLU {
    enum Pass: Hashable {
        case forward
        /// `diffDst`: the layout id of dY.
        case backward(diffDst: Int)
    }

    struct Key: Hashable {
        var layout: Int
        var pass: Pass
    }

    /// max(0, x) in x's layout, or `nil` when x is plain.
    static func forward(_ x: Tensor) throws -> Tensor? {
        let src = DNNLOperand(x)
        guard let layout = src.native?.layout else { return nil }
        let key = Key(layout: layout.id, pass: .forward)
        let plan = try DNNL.run { context in try context.plan(key) { try makeForward(context, layout) } }
        return try plan.run(inputs: [DNNL_ARG_SRC: src], outputs: [DNNL_ARG_DST: x.shape])[DNNL_ARG_DST]!
    }

    /// dX from the forward output `y` and dY, in y's layout; `nil` when y is (by now) plain.
    static func backward(y: Tensor, dy: Tensor) throws -> Tensor? {
        let dst = DNNLOperand(y), diffDst = DNNLOperand(dy)
        guard let layout = dst.native?.layout else { return nil }
        let key = Key(layout: layout.id, pass: .backward(diffDst: diffDst.layoutID))
        let plan = try DNNL.run { context in
            try context.plan(key) { try makeBackward(context, layout, diffDst: diffDst.native?.layout) }
        }
        return try plan.run(inputs: [DNNL_ARG_DST: dst, DNNL_ARG_DIFF_DST: diffDst],
                            outputs: [DNNL_ARG_DIFF_SRC: y.shape])[DNNL_ARG_DIFF_SRC]!
    }

    // MARK: - Building plans

    /// The forward (training) descriptor: also the backward pass's hint.
    private static func forwardDesc(_ context: DNNLContext, _ layout: DNNLLayout, what: String) throws -> DNNLPrimitiveDesc {
        var data = layout.desc
        var op = dnnl_eltwise_desc_t()
        // dnnl_eltwise_forward_desc_init: y = max(0, x) (alpha = 0: no negative slope), y in x's layout.
        try dnnlCheck(dnnl_eltwise_forward_desc_init(&op, dnnl_forward_training, dnnl_eltwise_relu_use_dst_for_bwd,
                                                     &data, 0, 0),
                      what, "describing input \(describe(layout.dims))")
        return try DNNLPrimitiveDesc(context, opDesc: &op, hint: nil, what: what, shapes: "input \(describe(layout.dims))")
    }

    private static func makeForward(_ context: DNNLContext, _ layout: DNNLLayout) throws -> DNNLPlan {
        let what = "relu forward"
        let pd = try forwardDesc(context, layout, what: what)
        return try DNNLPlan(context, pd, what: what, arguments: [.input(DNNL_ARG_SRC, layout.desc), .output(DNNL_ARG_DST)])
    }

    private static func makeBackward(_ context: DNNLContext, _ layout: DNNLLayout, diffDst: DNNLLayout?) throws -> DNNLPlan {
        let what = "relu backward"
        let hint = try forwardDesc(context, layout, what: what)
        var data = layout.desc, diff = layout.desc
        var op = dnnl_eltwise_desc_t()
        // dnnl_eltwise_backward_desc_init: dX = dY · [y > 0], all in y's layout.
        try dnnlCheck(dnnl_eltwise_backward_desc_init(&op, dnnl_eltwise_relu_use_dst_for_bwd, &diff, &data, 0, 0),
                      what, "describing input \(describe(layout.dims))")
        let pd = try DNNLPrimitiveDesc(context, opDesc: &op, hint: hint, what: what, shapes: "input \(describe(layout.dims))")
        return try DNNLPlan(context, pd, hint: hint, what: what, arguments: [
            .input(DNNL_ARG_DST, layout.desc),
            .input(DNNL_ARG_DIFF_DST, try DNNLOperand.inputDesc(diffDst, dims: layout.dims, what: what)),
            .output(DNNL_ARG_DIFF_SRC),
        ])
    }
}
