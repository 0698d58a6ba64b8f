import CDNNL

/// Channel concatenation of 4-D tensors held in oneDNN layouts (an Inception module's branches)
/// with oneDNN's concat primitive, so that the result stays in a blocked layout for the next
/// convolutions instead of every branch being converted to plain NCHW. One cached plan per
/// (input shapes, input layouts). Plain inputs, other ranks and other dimensions take the
/// reference copies.
enum OneDNNConcat: ConcatKernels {
    struct Key: Hashable {
        var shapes: [[Int]]
        var layouts: [Int]
    }

    static func concat(_ tensors: [Tensor], dim: Int, outputShape: [Int]) throws -> Tensor {
        let operands = tensors.map(DNNLOperand.init)
        guard dim == 1, outputShape.count == 4, !outputShape.contains(0), operands.contains(where: { $0.layout != nil }) else {
            return try ReferenceConcat.concat(tensors, dim: dim, outputShape: outputShape)
        }
        let key = Key(shapes: tensors.map(\.shape), layouts: operands.map(\.layoutID))
        let plan = try DNNLContext.plan(key) { try make($0, operands, outputShape) }
        var inputs: [Int32: DNNLOperand] = [:]
        for (i, operand) in operands.enumerated() { inputs[DNNL_ARG_MULTIPLE_SRC + Int32(i)] = operand }
        return try plan.run(inputs: inputs, outputs: [DNNL_ARG_DST: outputShape])[DNNL_ARG_DST]!
    }

    private static func make(_ builder: DNNLBuilder, _ operands: [DNNLOperand], _ outputShape: [Int]) throws -> DNNLPlan {
        let what = "concat"
        let sources = try operands.map { try DNNLOperand.inputDesc($0.layout, dims: $0.tensor.shape, what: what) }
        let target = try DNNLDesc.make(outputShape, dnnl_format_tag_any, what: what)
        let pd = try DNNLPrimitiveDesc(builder, concatenating: sources, dimension: 1, into: target, what: what)
        var arguments: [DNNLArgument] = sources.enumerated().map { .input(DNNL_ARG_MULTIPLE_SRC + Int32($0.offset), $0.element) }
        arguments.append(.output(DNNL_ARG_DST))
        return try DNNLPlan(builder, pd, what: what, arguments: arguments)
    }
}
