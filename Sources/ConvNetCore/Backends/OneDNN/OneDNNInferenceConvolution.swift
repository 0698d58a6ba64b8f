import CDNNL
import Foundation

/// A frozen model's convolution on oneDNN: a forward primitive with its post-ops (`sum` for a
/// residual connection, then `eltwise_relu`), in the ``InferenceLayout`` asked for, weights
/// reordered once into the layout the primitive chose and kept there, and its output left in the
/// primitive's own layout for the next step. One prepared primitive per input layout, made on
/// first use.
///
/// The sum post-op adds the output buffer's previous contents: the convolution writes into the
/// residual's own buffer when nothing reads the residual afterwards and it is in the output's
/// layout; otherwise the residual is copied into a fresh output buffer first (a plain copy when it
/// is already in the output's layout, else a cached reorder).
final class OneDNNInferenceConvolution: InferenceConvolution, InferenceConvolutionKernels, @unchecked Sendable {
    private let geometry: Conv2dGeometry
    private let weight: Tensor
    private let bias: Tensor
    private let sum: Bool
    private let relu: Bool
    private let layout: InferenceLayout
    private let precision: InferencePrecision
    private let lock = NSLock()
    /// Guarded by `lock`: the prepared primitive per input layout id (0: plain).
    private var prepared: [Int: Prepared] = [:]

    /// A primitive for one input layout, with its weights in the primitive's layout.
    private final class Prepared {
        let plan: DNNLPlan
        let weights: DNNLBuffer
        let output: DNNLLayout
        /// Reorders of residuals in other layouts into the output's, by the residual's layout id.
        var residualReorders: [Int: DNNLReorder] = [:]

        init(plan: DNNLPlan, weights: DNNLBuffer, output: DNNLLayout) {
            (self.plan, self.weights, self.output) = (plan, weights, output)
        }
    }

    private init(_ g: Conv2dGeometry, weight: Tensor, bias: Tensor, sum: Bool, relu: Bool, layout: InferenceLayout,
                 precision: InferencePrecision) {
        (geometry, self.weight, self.bias, self.sum, self.relu) = (g, weight, bias, sum, relu)
        (self.layout, self.precision) = (layout, precision)
    }

    static func make(_ g: Conv2dGeometry, weight: Tensor, bias: Tensor, sum: Bool, relu: Bool,
                     layout: InferenceLayout, precision: InferencePrecision) throws -> any InferenceConvolution {
        OneDNNInferenceConvolution(g, weight: weight, bias: bias, sum: sum, relu: relu, layout: layout,
                                   precision: precision)
    }

    func run(x: Tensor, residual: Tensor?, reuseResidual: Bool) throws -> Tensor {
        let g = geometry
        guard x.shape == g.inputShape else {
            throw ConvNetError(op: "frozen conv2d", "input \(describe(x.shape)) differs from the traced \(describe(g.inputShape))")
        }
        guard (residual != nil) == sum, residual.map({ $0.shape == g.outputShape }) ?? true else {
            throw ConvNetError(op: "frozen conv2d", "residual \(residual.map { describe($0.shape) } ?? "none") does not fit output \(describe(g.outputShape))")
        }
        let src = DNNLOperand(x)
        let step = try preparedStep(for: src)
        let output: DNNLLayoutMemory
        if reuseResidual, let memory = residual.flatMap({ DNNLOperand($0).layoutMemory }), memory.layout === step.output {
            output = memory  // the sum post-op adds into the residual's own buffer
        } else {
            output = DNNLLayoutMemory(step.output)
            if let residual { try copyResidual(residual, into: output, step) }
        }
        // The weights and the output are buffers in the primitive's own layouts; the plan resolves x and b.
        _ = try withExtendedLifetime(step) {
            try step.plan.run(inputs: [DNNL_ARG_SRC: src, DNNL_ARG_BIAS: DNNLOperand(bias)], outputs: [:],
                              buffers: [DNNL_ARG_WEIGHTS: UnsafeRawPointer(step.weights.pointer),
                                        DNNL_ARG_DST: UnsafeRawPointer(output.storage.pointer)])
        }
        if step.output.isPlain { return Tensor(shape: g.outputShape, storage: output.storage) }
        return Tensor(shape: g.outputShape, layoutMemory: output)
    }

    /// The output buffer starts as the residual, in the output's layout.
    private func copyResidual(_ residual: Tensor, into output: DNNLLayoutMemory, _ step: Prepared) throws {
        let operand = DNNLOperand(residual)
        if let memory = operand.layoutMemory, memory.layout === step.output {
            output.storage.pointer.update(from: memory.storage.pointer, count: step.output.capacity)
            return
        }
        var reorder = lock.withLock { step.residualReorders[operand.layoutID] }
        if reorder == nil {
            // Made outside this step's lock (two threads may both make one; either serves).
            let made = try DNNLContext.build { builder in
                let from = try operand.layout?.desc ?? DNNLDesc.plain(geometry.outputShape, what: "residual")
                return try DNNLReorder(builder, from: from, to: step.output.desc, what: "frozen conv2d residual")
            }
            lock.withLock { step.residualReorders[operand.layoutID] = made }
            reorder = made
        }
        let source = operand.memory
        try withExtendedLifetime(source.owner) { try reorder!.run(from: source.pointer, to: output.storage.pointer) }
    }

    /// The prepared primitive for `src`'s layout, made on first use (outside this step's lock, so
    /// that no lock is held while the cache's is taken; a second thread's copy is dropped).
    private func preparedStep(for src: DNNLOperand) throws -> Prepared {
        if let known = lock.withLock({ prepared[src.layoutID] }) { return known }
        let made = try DNNLContext.build { try prepare($0, src: src.layout) }
        return lock.withLock {
            if let first = prepared[src.layoutID] { return first }
            prepared[src.layoutID] = made
            return made
        }
    }

    /// The primitive (src, weights and dst in oneDNN's choice of layout), its post-ops, and the
    /// weights reordered once into the layout it wants.
    private func prepare(_ builder: DNNLBuilder, src: DNNLLayout?) throws -> Prepared {
        let g = geometry, what = "frozen conv2d"
        // In bfloat16 the primitive reads x and the weights as bfloat16 (the plan reorders x into
        // its own buffer on each call, the weights once below) and writes 32-bit floats.
        let multiplied = precision == .bfloat16 ? dnnl_bf16 : dnnl_f32
        var srcDesc = try DNNLDesc.make(g.inputShape, dnnl_format_tag_any, type: multiplied, what: what)
        // Grouped weights as [G, C_out/G, C_in/G, K_h, K_w] (OneDNNConvolution.weightDims): with
        // format `any` oneDNN picks its depthwise kernels' layout for G = C_in = C_out.
        let weightDims = OneDNNConvolution.weightDims(g)
        var weightsDesc = try DNNLDesc.make(weightDims, dnnl_format_tag_any, type: multiplied, what: what)
        var biasDesc = try DNNLDesc.plain([g.outChannels], what: what)
        var dstDesc = try DNNLDesc.make(g.outputShape, dnnl_format_tag_any, what: what)
        let window = OneDNNConvolution.Window(g)
        var op = dnnl_convolution_desc_t()
        // With every layout left to oneDNN (format `any`), the propagation kind decides its choice:
        // for inference NHWC and brgemm kernels, for training (the same forward result; a
        // convolution keeps no training buffers) nChw16c and its direct kernels.
        let propagation = layout == .blocked ? dnnl_forward_training : dnnl_forward_inference
        // dnnl_dilated_convolution_forward_desc_init: dilations as oneDNN counts them (d − 1).
        try dnnlCheck(dnnl_dilated_convolution_forward_desc_init(&op, propagation, dnnl_convolution_direct, &srcDesc,
                                                                 &weightsDesc, &biasDesc, &dstDesc, window.strides,
                                                                 window.dilations, window.padding, window.padding),
                      what, "describing \(OneDNNConvolution.shapes(g))")
        let attributes = try Self.attributes(sum: sum, relu: relu, what: what)
        defer { dnnl_primitive_attr_destroy(attributes) }
        let pd = try DNNLPrimitiveDesc(builder, opDesc: &op, hint: nil, attributes: attributes, what: what,
                                       shapes: OneDNNConvolution.shapes(g))
        if precision == .bfloat16, pd.implementation.hasPrefix("ref") {
            throw ConvNetError(op: what, "this CPU has no fast bfloat16 convolution for \(OneDNNConvolution.shapes(g)) (oneDNN offers only \(pd.implementation)); use float32")
        }
        let output = try builder.layout(pd.desc(for: DNNL_ARG_DST), what: what)
        let plan = try DNNLPlan(builder, pd, what: what, arguments: [
            .input(DNNL_ARG_SRC, try DNNLOperand.inputDesc(src, dims: g.inputShape, what: what)),
            .buffer(DNNL_ARG_WEIGHTS, isOutput: false),
            .input(DNNL_ARG_BIAS, try DNNLDesc.plain([g.outChannels], what: what)),
            .buffer(DNNL_ARG_DST, isOutput: true),
        ])
        // The weights, once, from plain OIHW (GOIHW with groups: the same bytes) into the primitive's layout.
        let wanted = pd.desc(for: DNNL_ARG_WEIGHTS)
        let weights = try DNNLBuffer(bytes: DNNLDesc.size(wanted), what: what)
        let reorder = try DNNLReorder(builder, from: try DNNLDesc.plain(weightDims, what: what), to: wanted,
                                      what: "\(what) weights")
        let plain = weight.plainStorage()
        try withExtendedLifetime(plain) { try reorder.run(from: plain.pointer, to: weights.pointer) }
        return Prepared(plan: plan, weights: weights, output: output)
    }

    /// Primitive attributes: the user scratchpad, and post-ops sum (scale 1) then ReLU.
    private static func attributes(sum: Bool, relu: Bool, what: String) throws -> dnnl_primitive_attr_t {
        var attr: dnnl_primitive_attr_t?
        try dnnlCheck(dnnl_primitive_attr_create(&attr), what, "creating primitive attributes")
        try dnnlCheck(dnnl_primitive_attr_set_scratchpad_mode(attr, dnnl_scratchpad_mode_user), what, "selecting the user scratchpad")
        if sum || relu {
            var postOps: dnnl_post_ops_t?
            try dnnlCheck(dnnl_post_ops_create(&postOps), what, "creating post-ops")
            defer { dnnl_post_ops_destroy(postOps) }
            // dnnl_post_ops_append_sum: dst = conv(x) + dst (the residual already in the buffer).
            if sum { try dnnlCheck(dnnl_post_ops_append_sum(postOps, 1), what, "appending the sum post-op") }
            // dnnl_post_ops_append_eltwise: dst = max(0, dst), alpha 0.
            if relu {
                try dnnlCheck(dnnl_post_ops_append_eltwise(postOps, 1, dnnl_eltwise_relu, 0, 0), what, "appending the ReLU post-op")
            }
            try dnnlCheck(dnnl_primitive_attr_set_post_ops(attr, postOps), what, "setting post-ops")
        }
        return attr!
    }
}
