import CDNNL

/// Convolution with oneDNN primitives, one cached plan per (geometry, pass, input layouts).
///
/// The primitives are created with `dnnl_format_tag_any` activations (``Layout/blocked``), so oneDNN
/// picks its fast layouts (nChw16c, OIhw16i16o, …), or with NHWC activations (``Layout/channelsLast``);
/// ``layout(for:_:)`` chooses per shape and pass. Weights and bias are plain OIHW / 1-D, reordered
/// into the chosen layout through cached buffers. Activations stay in oneDNN's layout: the output
/// (y, or dX) is returned in the layout the primitive wrote (a ``Tensor`` in that layout), and an
/// input already in the layout a primitive wants is read as is; one in another layout is reordered
/// (see ``DNNLOperand/inputDesc(_:dims:what:)``).
enum OneDNNConvolution: ConvolutionPasses {
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

    /// The cache key: the full shape, the pass, and the layout ids of the activation inputs
    /// (``DNNLOperand/layoutID``: x for forward, dY for backward data, x and dY for backward weights).
    struct Key: Hashable {
        var geometry: Conv2dGeometry
        var pass: Pass
        var layouts: [Int]
    }

    /// The layout each pass is created with, from measurements on a 2-core AVX-512 machine
    /// (oneDNN 2.6.3, fp32, batch 64–128):
    /// - forward: `any` (blocked) was fastest or equal on every shape tried, 1 to 256 channels.
    /// - backward data: `any` pads dY and dX to channel blocks of 16 (nChw16c). With fewer than 16
    ///   output channels that padding makes it ~3× slower than NHWC (1.6 ms vs 0.55 ms for a 6-channel
    ///   28×28 layer, for every C_in from 1 to 12); with 16 it is as fast as NHWC, and takes dY as the
    ///   next layer's backward left it and gives dX in the layout the forward input had (nChw16c
    ///   after a convolution and pooling), so no reorders. With fewer than 4 input channels dX in
    ///   NHWC is also far smaller than padded to 16 (a first layer's dX is read as plain).
    /// - backward weights: for 4 ≤ C_in < 16 `any` falls back to an AVX2 kernel and NHWC is up to 3×
    ///   faster (0.10 ms vs 0.31 ms for LeNet's 6 → 16 layer); for 1–3 channels (a first layer on
    ///   plain NCHW input) and for 16 or more, `any` is faster.
    /// - depthwise (groups = C_in = C_out ≥ 16, so `any` in all three passes): oneDNN picks its
    ///   `jit_dw` kernels on nChw16c (weights Abcde16a) for forward, backward data and backward
    ///   weights. Measured against NHWC, batch 32, 3×3, one thread (the 2-core machine was shared),
    ///   min of 3, forward / forward + dX + dW + db (`convnet bench conv … --groups C`):
    ///   32 ch 56×56: 2.86 / 20.0 ms `any` vs 3.65 / 22.3 NHWC; 96 ch 56×56 stride 2: 8.3 / 37.5 vs
    ///   15.8 / 47.4; 144 ch 56×56: 23.4 / 87.3 vs 30.6 / 123.1; 144 ch 28×28: 2.84 / 16.5 vs
    ///   3.25 / 22.2. NHWC in one pass only was no better beyond noise (backward weights: 18.5 vs
    ///   20.0 ms on the first shape, 108 vs 87 on the third). Two threads: `any` again faster for
    ///   forward + backward on all four (24.4 vs 29.2, 56.8 vs 73.1, 116 vs 136, 28.4 vs 29.5 ms),
    ///   NHWC's forward alone faster on the 32-channel shape only (2.36 vs 3.37 ms). So depthwise
    ///   layers keep these rules, which also leave them in the nChw16c layout of the pointwise
    ///   convolutions around them (no reorders between the layers).
    static func layout(for g: Conv2dGeometry, _ pass: Pass) -> Layout {
        switch pass {
        case .forward: .blocked
        case .backwardData: g.outChannels < 16 || g.inChannels < 4 ? .channelsLast : .blocked
        case .backwardWeights:
            (4..<16).contains(g.inChannels) && !isStridedPointwise(g) ? .channelsLast : .blocked
        }
    }

    /// A 1×1 kernel with a stride above 1. oneDNN 2.6's `jit_1x1` backward weights copies such an
    /// input to unit stride first, and with NHWC activations and fewer input channels than its
    /// channel block (AVX2: 8) that path gives wrong dW from run to run when several threads
    /// share the work (measured 4 and 5 channels, 1 × 1 stride 2); the blocked path is right.
    static func isStridedPointwise(_ g: Conv2dGeometry) -> Bool {
        g.kernelHeight == 1 && g.kernelWidth == 1 && (g.strideHeight > 1 || g.strideWidth > 1)
    }

    static func forward(_ g: Conv2dGeometry, x: Tensor, weight: Tensor, bias: Tensor?) throws -> Tensor {
        if isEmpty(g) { return ReferenceConvolution.forward(g, x: x, weight: weight, bias: bias) }
        let src = DNNLOperand(x)
        let pass = Pass.forward(bias: bias != nil)
        let plan = try DNNLContext.plan(Key(geometry: g, pass: pass, layouts: [src.layoutID])) {
            try makeForward($0, g, bias: bias != nil, src: src.layout)
        }
        var inputs = [DNNL_ARG_SRC: src, DNNL_ARG_WEIGHTS: DNNLOperand(weight)]
        if let bias { inputs[DNNL_ARG_BIAS] = DNNLOperand(bias) }
        return try plan.run(inputs: inputs, outputs: [DNNL_ARG_DST: g.outputShape])[DNNL_ARG_DST]!
    }

    static func backwardData(_ g: Conv2dGeometry, dy: Tensor, weight: Tensor) throws -> Tensor {
        if isEmpty(g) { return ReferenceConvolution.backwardData(g, dy: dy, weight: weight) }
        let diffDst = DNNLOperand(dy)
        let plan = try DNNLContext.plan(Key(geometry: g, pass: .backwardData, layouts: [diffDst.layoutID])) {
            try makeBackwardData($0, g, diffDst: diffDst.layout)
        }
        return try plan.run(inputs: [DNNL_ARG_DIFF_DST: diffDst, DNNL_ARG_WEIGHTS: DNNLOperand(weight)],
                            outputs: [DNNL_ARG_DIFF_SRC: g.inputShape])[DNNL_ARG_DIFF_SRC]!
    }

    static func backwardWeights(_ g: Conv2dGeometry, x: Tensor, dy: Tensor, bias: Bool) throws -> (weight: Tensor, bias: Tensor?) {
        if isEmpty(g) { return ReferenceConvolution.backwardWeights(g, x: x, dy: dy, bias: bias) }
        let src = DNNLOperand(x), diffDst = DNNLOperand(dy)
        let pass = Pass.backwardWeights(bias: bias)
        let plan = try DNNLContext.plan(Key(geometry: g, pass: pass, layouts: [src.layoutID, diffDst.layoutID])) {
            try makeBackwardWeights($0, g, bias: bias, src: src.layout, diffDst: diffDst.layout)
        }
        var outputs = [DNNL_ARG_DIFF_WEIGHTS: g.weightShape]
        if bias { outputs[DNNL_ARG_DIFF_BIAS] = [g.outChannels] }
        let results = try plan.run(inputs: [DNNL_ARG_SRC: src, DNNL_ARG_DIFF_DST: diffDst], outputs: outputs)
        return (results[DNNL_ARG_DIFF_WEIGHTS]!, results[DNNL_ARG_DIFF_BIAS])
    }

    // MARK: - Building plans

    /// Tensors with a zero dimension go to the reference loops, which handle them trivially.
    private static func isEmpty(_ g: Conv2dGeometry) -> Bool {
        (g.inputShape + g.outputShape).contains(0)
    }

    /// The shapes of `g`, for error messages.
    static func shapes(_ g: Conv2dGeometry) -> String {
        "input \(describe(g.inputShape)), weight \(describe(g.weightShape)), output \(describe(g.outputShape)), "
            + "stride (\(g.strideHeight), \(g.strideWidth)), padding (\(g.padHeight), \(g.padWidth))"
            + (g.dilationHeight == 1 && g.dilationWidth == 1 ? "" : ", dilation (\(g.dilationHeight), \(g.dilationWidth))")
            + (g.groups == 1 ? "" : ", groups \(g.groups)")
    }

    /// The weights' dimensions as oneDNN takes them: `[C_out, C_in, K_h, K_w]`, or with groups
    /// `[G, C_out/G, C_in/G, K_h, K_w]`, whose plain row-major layout (goihw) is the same bytes as
    /// PyTorch's `[C_out, C_in/G, K_h, K_w]` (OIHW), so plain weights are read and written as they are.
    static func weightDims(_ g: Conv2dGeometry) -> [Int] {
        g.groups == 1 ? g.weightShape
            : [g.groups, g.outChannelsPerGroup, g.inChannelsPerGroup, g.kernelHeight, g.kernelWidth]
    }

    /// The window of `g` as oneDNN's descriptors take it: strides, dilations (oneDNN counts the
    /// pixels skipped between taps, d − 1, so 0 is an ordinary convolution) and padding (the same
    /// at both ends, which gives the op layer's floor output size).
    struct Window {
        var strides, dilations, padding: [Int64]

        init(_ g: Conv2dGeometry) {
            strides = [Int64(g.strideHeight), Int64(g.strideWidth)]
            dilations = [Int64(g.dilationHeight - 1), Int64(g.dilationWidth - 1)]
            padding = [Int64(g.padHeight), Int64(g.padWidth)]
        }
    }

    /// The descriptors that the primitives of `pass` are created with, per ``layout(for:_:)``.
    private struct Descs {
        /// `bias` is a zero descriptor (which oneDNN reads as "no bias") unless a bias is wanted.
        var src, weights, bias, dst: dnnl_memory_desc_t
        var window: Window

        init(_ g: Conv2dGeometry, _ pass: Pass, bias withBias: Bool, what: String) throws {
            let tags = OneDNNConvolution.layout(for: g, pass).tags
            src = try DNNLDesc.make(g.inputShape, tags.activations, what: what)
            weights = try DNNLDesc.make(weightDims(g), tags.weights, what: what)
            bias = withBias ? try DNNLDesc.plain([g.outChannels], what: what) : dnnl_memory_desc_t()
            dst = try DNNLDesc.make(g.outputShape, tags.activations, what: what)
            window = Window(g)
        }
    }

    /// The plain layout of weights (OIHW, or GOIHW: ``weightDims(_:)``) and bias.
    private static func plain(_ shape: [Int], _ what: String) throws -> dnnl_memory_desc_t {
        try DNNLDesc.plain(shape, what: what)
    }

    /// How a plan takes an activation now in `layout` (nil: plain) as argument `arg`.
    private static func activation(_ arg: Int32, _ layout: DNNLLayout?, _ shape: [Int],
                                   _ what: String) throws -> DNNLArgument {
        .input(arg, try DNNLOperand.inputDesc(layout, dims: shape, what: what))
    }

    /// The forward (training) primitive descriptor: the forward pass itself, and the hint that
    /// backward primitives need to pick matching implementations.
    private static func forwardDesc(_ builder: DNNLBuilder, _ g: Conv2dGeometry, bias: Bool, layoutOf pass: Pass,
                                    what: String) throws -> DNNLPrimitiveDesc {
        var d = try Descs(g, pass, bias: bias, what: what)
        var op = dnnl_convolution_desc_t()
        // dnnl_dilated_convolution_forward_desc_init: direct convolution, with oneDNN's dilations
        // (d − 1); right padding = left padding, which gives the same floor output size as the op layer.
        let w = d.window
        try dnnlCheck(dnnl_dilated_convolution_forward_desc_init(&op, dnnl_forward_training, dnnl_convolution_direct, &d.src,
                                                                 &d.weights, &d.bias, &d.dst, w.strides, w.dilations,
                                                                 w.padding, w.padding),
                      what, "describing \(shapes(g))")
        return try DNNLPrimitiveDesc(builder, opDesc: &op, hint: nil, what: what, shapes: shapes(g))
    }

    private static func makeForward(_ builder: DNNLBuilder, _ g: Conv2dGeometry, bias: Bool,
                                    src: DNNLLayout?) throws -> DNNLPlan {
        let what = "convolution forward"
        let pd = try forwardDesc(builder, g, bias: bias, layoutOf: .forward(bias: bias), what: what)
        var arguments: [DNNLArgument] = [
            try activation(DNNL_ARG_SRC, src, g.inputShape, what),
            .input(DNNL_ARG_WEIGHTS, try plain(weightDims(g), what)),
            .output(DNNL_ARG_DST),
        ]
        if bias { arguments.append(.input(DNNL_ARG_BIAS, try plain([g.outChannels], what))) }
        return try DNNLPlan(builder, pd, what: what, arguments: arguments)
    }

    private static func makeBackwardData(_ builder: DNNLBuilder, _ g: Conv2dGeometry,
                                         diffDst: DNNLLayout?) throws -> DNNLPlan {
        let what = "convolution backward data"
        let hint = try forwardDesc(builder, g, bias: false, layoutOf: .backwardData, what: what)
        var d = try Descs(g, .backwardData, bias: false, what: what)
        var op = dnnl_convolution_desc_t()
        // dnnl_dilated_convolution_backward_data_desc_init: dX from dY and W.
        let w = d.window
        try dnnlCheck(dnnl_dilated_convolution_backward_data_desc_init(&op, dnnl_convolution_direct, &d.src, &d.weights,
                                                                       &d.dst, w.strides, w.dilations, w.padding, w.padding),
                      what, "describing \(shapes(g))")
        let pd = try DNNLPrimitiveDesc(builder, opDesc: &op, hint: hint, what: what, shapes: shapes(g))
        return try DNNLPlan(builder, pd, hint: hint, what: what, arguments: [
            try activation(DNNL_ARG_DIFF_DST, diffDst, g.outputShape, what),
            .input(DNNL_ARG_WEIGHTS, try plain(weightDims(g), what)),
            .output(DNNL_ARG_DIFF_SRC),
        ])
    }

    private static func makeBackwardWeights(_ builder: DNNLBuilder, _ g: Conv2dGeometry, bias: Bool,
                                            src: DNNLLayout?, diffDst: DNNLLayout?) throws -> DNNLPlan {
        let what = "convolution backward weights"
        let hint = try forwardDesc(builder, g, bias: bias, layoutOf: .backwardWeights(bias: bias), what: what)
        var d = try Descs(g, .backwardWeights(bias: bias), bias: bias, what: what)
        var op = dnnl_convolution_desc_t()
        // dnnl_dilated_convolution_backward_weights_desc_init: dW (and db when a bias descriptor is
        // given) from X and dY.
        let w = d.window
        try dnnlCheck(dnnl_dilated_convolution_backward_weights_desc_init(&op, dnnl_convolution_direct, &d.src, &d.weights,
                                                                          &d.bias, &d.dst, w.strides, w.dilations,
                                                                          w.padding, w.padding),
                      what, "describing \(shapes(g))")
        let pd = try DNNLPrimitiveDesc(builder, opDesc: &op, hint: hint, what: what, shapes: shapes(g))
        var arguments: [DNNLArgument] = [
            try activation(DNNL_ARG_SRC, src, g.inputShape, what),
            try activation(DNNL_ARG_DIFF_DST, diffDst, g.outputShape, what),
            .output(DNNL_ARG_DIFF_WEIGHTS, try plain(weightDims(g), what)),
        ]
        if bias { arguments.append(.output(DNNL_ARG_DIFF_BIAS, try plain([g.outChannels], what))) }
        return try DNNLPlan(builder, pd, hint: hint, what: what, arguments: arguments)
    }
}
