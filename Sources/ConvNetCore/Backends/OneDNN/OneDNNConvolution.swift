import CDNNL

/// Convolution with oneDNN primitives, one cached plan per (geometry, pass).
///
/// The caller's memory is plain NCHW / OIHW. With ``Layout/blocked`` the primitives are created with
/// `dnnl_format_tag_any`, so oneDNN picks its fast layouts (nChw16c, nhwc, OIhw16i16o, …) and the
/// plan reorders into and out of them through cached buffers, only where the chosen layout differs
/// from the caller's; ``Layout/channelsLast`` asks for NHWC activations instead.
/// ``layout(for:_:)`` chooses per shape and pass.
enum OneDNNConvolution: ConvolutionKernels {
    /// Which computation a cached plan performs.
    enum Pass: Hashable {
        case forward(bias: Bool)
        case backwardData
        case backwardWeights(bias: Bool)
    }

    /// Memory layouts the primitives are created with. (Plain NCHW primitives, which need no
    /// reorders, were measured too: slower than these on every shape tried, tiny LeNet layers included.)
    enum Layout {
        /// `dnnl_format_tag_any`: oneDNN's choice, reached through reorders.
        case blocked
        /// Activations NHWC (reordered), weights oneDNN's choice.
        case channelsLast

        /// The layout tags of activations and of weights.
        var tags: (activations: dnnl_format_tag_t, weights: dnnl_format_tag_t) {
            switch self {
            case .blocked: (dnnl_format_tag_any, dnnl_format_tag_any)
            case .channelsLast: (dnnl_acdb, dnnl_format_tag_any)
            }
        }
    }

    /// The cache key: the full shape and the pass.
    struct Key: Hashable {
        var geometry: Conv2dGeometry
        var pass: Pass
    }

    /// The layout each pass is created with, from measurements on a 2-core AVX-512 machine
    /// (oneDNN 2.6.3, fp32):
    /// - forward: `any` (blocked) was fastest or equal on every shape tried, 1 to 256 channels.
    /// - backward data: `any` pads C_in to a block of 16 in dX (nChw16c), so with few input channels
    ///   it does up to 16× the work (1.35 ms vs 0.52 ms for the 1-channel LeNet layer); below 8 input
    ///   channels NHWC activations are 2–3× faster.
    /// - backward weights: for 4 ≤ C_in < 16 `any` falls back to an AVX2 kernel and NHWC is up to 3×
    ///   faster (0.12 ms vs 0.33 ms for LeNet's 6 → 16 layer); for 1–3 channels (a first layer on
    ///   plain NCHW input) and for 16 or more, `any` is faster.
    static func layout(for g: Conv2dGeometry, _ pass: Pass) -> Layout {
        switch pass {
        case .forward: .blocked
        case .backwardData: g.inChannels < 8 ? .channelsLast : .blocked
        case .backwardWeights: (4..<16).contains(g.inChannels) ? .channelsLast : .blocked
        }
    }

    static func forward(_ g: Conv2dGeometry, x: UnsafePointer<Float>, weight: UnsafePointer<Float>,
                        bias: UnsafePointer<Float>?, y: UnsafeMutablePointer<Float>) throws {
        if isEmpty(g) { return ReferenceConvolution.forward(g, x: x, weight: weight, bias: bias, y: y) }
        try DNNL.run { context in
            let plan = try context.plan(Key(geometry: g, pass: .forward(bias: bias != nil))) {
                try makeForward(context, g, bias: bias != nil)
            }
            var buffers: [Int32: UnsafeRawPointer] = [DNNL_ARG_SRC: UnsafeRawPointer(x),
                                                      DNNL_ARG_WEIGHTS: UnsafeRawPointer(weight),
                                                      DNNL_ARG_DST: UnsafeRawPointer(y)]
            if let bias { buffers[DNNL_ARG_BIAS] = UnsafeRawPointer(bias) }
            try plan.run(context, buffers)
        }
    }

    static func backwardData(_ g: Conv2dGeometry, dy: UnsafePointer<Float>, weight: UnsafePointer<Float>,
                             dx: UnsafeMutablePointer<Float>) throws {
        if isEmpty(g) { return ReferenceConvolution.backwardData(g, dy: dy, weight: weight, dx: dx) }
        try DNNL.run { context in
            let plan = try context.plan(Key(geometry: g, pass: .backwardData)) { try makeBackwardData(context, g) }
            try plan.run(context, [DNNL_ARG_DIFF_DST: UnsafeRawPointer(dy),
                                   DNNL_ARG_WEIGHTS: UnsafeRawPointer(weight),
                                   DNNL_ARG_DIFF_SRC: UnsafeRawPointer(dx)])
        }
    }

    static func backwardWeights(_ g: Conv2dGeometry, x: UnsafePointer<Float>, dy: UnsafePointer<Float>,
                                dWeight: UnsafeMutablePointer<Float>, dBias: UnsafeMutablePointer<Float>?) throws {
        if isEmpty(g) {
            return ReferenceConvolution.backwardWeights(g, x: x, dy: dy, dWeight: dWeight, dBias: dBias)
        }
        try DNNL.run { context in
            let plan = try context.plan(Key(geometry: g, pass: .backwardWeights(bias: dBias != nil))) {
                try makeBackwardWeights(context, g, bias: dBias != nil)
            }
            var buffers: [Int32: UnsafeRawPointer] = [DNNL_ARG_SRC: UnsafeRawPointer(x),
                                                      DNNL_ARG_DIFF_DST: UnsafeRawPointer(dy),
                                                      DNNL_ARG_DIFF_WEIGHTS: UnsafeRawPointer(dWeight)]
            if let dBias { buffers[DNNL_ARG_DIFF_BIAS] = UnsafeRawPointer(dBias) }
            try plan.run(context, buffers)
        }
    }

    // MARK: - Building plans

    /// Tensors with a zero dimension go to the reference loops, which handle them trivially.
    private static func isEmpty(_ g: Conv2dGeometry) -> Bool {
        (g.inputShape + g.outputShape).contains(0)
    }

    /// The shapes of `g`, for error messages.
    private static func shapes(_ g: Conv2dGeometry) -> String {
        "input \(describe(g.inputShape)), weight \(describe(g.weightShape)), output \(describe(g.outputShape)), "
            + "stride (\(g.strideHeight), \(g.strideWidth)), padding (\(g.padHeight), \(g.padWidth))"
    }

    /// The descriptors that the primitives of `pass` are created with, per ``layout(for:_:)``.
    private struct Descs {
        /// `bias` is a zero descriptor (which oneDNN reads as "no bias") unless a bias is wanted.
        var src, weights, bias, dst: dnnl_memory_desc_t
        var strides, padding: [Int64]

        init(_ g: Conv2dGeometry, _ pass: Pass, bias withBias: Bool, what: String) throws {
            let tags = OneDNNConvolution.layout(for: g, pass).tags
            src = try DNNLDesc.make(g.inputShape, tags.activations, what: what)
            weights = try DNNLDesc.make(g.weightShape, tags.weights, what: what)
            bias = withBias ? try DNNLDesc.plain([g.outChannels], what: what) : dnnl_memory_desc_t()
            dst = try DNNLDesc.make(g.outputShape, tags.activations, what: what)
            strides = [Int64(g.strideHeight), Int64(g.strideWidth)]
            padding = [Int64(g.padHeight), Int64(g.padWidth)]
        }
    }

    /// The caller's layouts: NCHW activations, OIHW weights, 1-D bias.
    private static func plain(_ shape: [Int], _ what: String) throws -> dnnl_memory_desc_t {
        try DNNLDesc.plain(shape, what: what)
    }

    /// The forward (training) primitive descriptor: the forward pass itself, and the hint that
    /// backward primitives need to pick matching implementations.
    private static func forwardDesc(_ context: DNNLContext, _ g: Conv2dGeometry, bias: Bool, layoutOf pass: Pass,
                                    what: String) throws -> DNNLPrimitiveDesc {
        var d = try Descs(g, pass, bias: bias, what: what)
        var op = dnnl_convolution_desc_t()
        // dnnl_convolution_forward_desc_init: direct convolution; right padding = left padding,
        // which gives the same floor output size as the op layer.
        try dnnlCheck(dnnl_convolution_forward_desc_init(&op, dnnl_forward_training, dnnl_convolution_direct, &d.src,
                                                         &d.weights, &d.bias, &d.dst, d.strides, d.padding, d.padding),
                      what, "describing \(shapes(g))")
        return try DNNLPrimitiveDesc(context, opDesc: &op, hint: nil, what: what, shapes: shapes(g))
    }

    private static func makeForward(_ context: DNNLContext, _ g: Conv2dGeometry, bias: Bool) throws -> DNNLPlan {
        let what = "convolution forward"
        let pd = try forwardDesc(context, g, bias: bias, layoutOf: .forward(bias: bias), what: what)
        var arguments: [(arg: Int32, plain: dnnl_memory_desc_t?, isOutput: Bool)] = [
            (DNNL_ARG_SRC, try plain(g.inputShape, what), false),
            (DNNL_ARG_WEIGHTS, try plain(g.weightShape, what), false),
            (DNNL_ARG_DST, try plain(g.outputShape, what), true),
        ]
        if bias { arguments.append((DNNL_ARG_BIAS, try plain([g.outChannels], what), false)) }
        return try DNNLPlan(context, pd, what: what, arguments: arguments)
    }

    private static func makeBackwardData(_ context: DNNLContext, _ g: Conv2dGeometry) throws -> DNNLPlan {
        let what = "convolution backward data"
        let hint = try forwardDesc(context, g, bias: false, layoutOf: .backwardData, what: what)
        var d = try Descs(g, .backwardData, bias: false, what: what)
        var op = dnnl_convolution_desc_t()
        // dnnl_convolution_backward_data_desc_init: dX from dY and W.
        try dnnlCheck(dnnl_convolution_backward_data_desc_init(&op, dnnl_convolution_direct, &d.src, &d.weights,
                                                               &d.dst, d.strides, d.padding, d.padding),
                      what, "describing \(shapes(g))")
        let pd = try DNNLPrimitiveDesc(context, opDesc: &op, hint: hint, what: what, shapes: shapes(g))
        return try DNNLPlan(context, pd, hint: hint, what: what, arguments: [
            (DNNL_ARG_DIFF_DST, try plain(g.outputShape, what), false),
            (DNNL_ARG_WEIGHTS, try plain(g.weightShape, what), false),
            (DNNL_ARG_DIFF_SRC, try plain(g.inputShape, what), true),
        ])
    }

    private static func makeBackwardWeights(_ context: DNNLContext, _ g: Conv2dGeometry, bias: Bool) throws -> DNNLPlan {
        let what = "convolution backward weights"
        let hint = try forwardDesc(context, g, bias: bias, layoutOf: .backwardWeights(bias: bias), what: what)
        var d = try Descs(g, .backwardWeights(bias: bias), bias: bias, what: what)
        var op = dnnl_convolution_desc_t()
        // dnnl_convolution_backward_weights_desc_init: dW (and db when a bias descriptor is given) from X and dY.
        try dnnlCheck(dnnl_convolution_backward_weights_desc_init(&op, dnnl_convolution_direct, &d.src, &d.weights,
                                                                  &d.bias, &d.dst, d.strides, d.padding, d.padding),
                      what, "describing \(shapes(g))")
        let pd = try DNNLPrimitiveDesc(context, opDesc: &op, hint: hint, what: what, shapes: shapes(g))
        var arguments: [(arg: Int32, plain: dnnl_memory_desc_t?, isOutput: Bool)] = [
            (DNNL_ARG_SRC, try plain(g.inputShape, what), false),
            (DNNL_ARG_DIFF_DST, try plain(g.outputShape, what), false),
            (DNNL_ARG_DIFF_WEIGHTS, try plain(g.weightShape, what), true),
        ]
        if bias { arguments.append((DNNL_ARG_DIFF_BIAS, try plain([g.outChannels], what), true)) }
        return try DNNLPlan(context, pd, hint: hint, what: what, arguments: arguments)
    }
}
