import CDNNL

/// The elementwise sum of two tensors held in the same oneDNN layout — a residual connection, or
/// two gradients meeting in the backward pass — computed in that layout by oneDNN's binary
/// primitive, so that neither has to be converted to plain. One cached plan per layout.
enum OneDNNBinary {
    /// a + b in their common oneDNN layout, or `nil` unless both have the same shape and layout.
    static func add(_ a: Tensor, _ b: Tensor) throws -> Tensor? {
        guard a.shape == b.shape else { return nil }
        let lhs = DNNLOperand(a), rhs = DNNLOperand(b)
        guard let layout = lhs.native?.layout, layout === rhs.native?.layout else { return nil }
        let plan = try DNNL.run { context in try context.plan(Key(layout: layout.id)) { try makeAdd(context, layout) } }
        return try plan.run(inputs: [DNNL_ARG_SRC_0: lhs, DNNL_ARG_SRC_1: rhs],
                            outputs: [DNNL_ARG_DST: a.shape])[DNNL_ARG_DST]!
    }

    struct Key: Hashable {
        var layout: Int
    }

    private static func makeAdd(_ context: DNNLContext, _ layout: DNNLLayout) throws -> DNNLPlan {
        let what = "add"
        var (src0, src1, dst) = (layout.desc, layout.desc, layout.desc)
        var op = dnnl_binary_desc_t()
        // dnnl_binary_desc_init: dst = src0 + src1, elementwise, all three in the same layout.
        try dnnlCheck(dnnl_binary_desc_init(&op, dnnl_binary_add, &src0, &src1, &dst),
                      what, "describing \(describe(layout.dims))")
        let pd = try DNNLPrimitiveDesc(context, opDesc: &op, hint: nil, what: what, shapes: describe(layout.dims))
        return try DNNLPlan(context, pd, what: what, arguments: [
            .input(DNNL_ARG_SRC_0, layout.desc), .input(DNNL_ARG_SRC_1, layout.desc), .output(DNNL_ARG_DST),
        ])
    }
}
