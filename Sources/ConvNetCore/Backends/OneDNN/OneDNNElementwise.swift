import CDNNL

/// The elementwise sum of two tensors held in the same oneDNN layout — a residual connection, or
/// two gradients meeting in the backward pass — computed in that layout by oneDNN's binary
/// primitive, so that neither has to be converted to plain. One cached plan per layout. Every
/// other pair (plain, different layouts, broadcasting) takes the reference loop.
enum OneDNNElementwise: ElementwiseKernels {
    static func add(_ a: Tensor, _ b: Tensor) throws -> Tensor {
        let lhs = DNNLOperand(a), rhs = DNNLOperand(b)
        guard a.shape == b.shape, let layout = lhs.layout, layout === rhs.layout else {
            return try ReferenceElementwise.add(a, b)
        }
        let plan = try DNNLContext.plan(Key(layout: layout.id)) { try makeAdd($0, layout) }
        return try plan.run(inputs: [DNNL_ARG_SRC_0: lhs, DNNL_ARG_SRC_1: rhs],
                            outputs: [DNNL_ARG_DST: a.shape])[DNNL_ARG_DST]!
    }

    struct Key: Hashable {
        var layout: Int
    }

    private static func makeAdd(_ builder: DNNLBuilder, _ layout: DNNLLayout) throws -> DNNLPlan {
        let what = "add"
        var (src0, src1, dst) = (layout.desc, layout.desc, layout.desc)
        var op = dnnl_binary_desc_t()
        // dnnl_binary_desc_init: dst = src0 + src1, elementwise, all three in the same layout.
        try dnnlCheck(dnnl_binary_desc_init(&op, dnnl_binary_add, &src0, &src1, &dst),
                      what, "describing \(describe(layout.dims))")
        let pd = try DNNLPrimitiveDesc(builder, opDesc: &op, hint: nil, what: what, shapes: describe(layout.dims))
        return try DNNLPlan(builder, pd, what: what, arguments: [
            .input(DNNL_ARG_SRC_0, layout.desc), .input(DNNL_ARG_SRC_1, layout.desc), .output(DNNL_ARG_DST),
        ])
    }
}
