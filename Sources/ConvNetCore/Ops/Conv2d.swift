/// 2-D convolution (cross-correlation, as in every deep-learning library), with PyTorch's
/// `F.conv2d` semantics. With G = `groups`, input channel c of group g = ⌊c·G/C_in⌋ feeds only the
/// output channels of that group; with dilation d the kernel taps are d pixels apart:
///
///     y[n, o, i, j] = b[o] + Σ_{c, kh, kw} w[o, c, kh, kw] · x[n, g·C_in/G + c, i·s_h − p_h + d_h·kh, j·s_w − p_w + d_w·kw]
///
/// for output channel o of group g = ⌊o·G/C_out⌋, c over the C_in/G channels of that group.
///
/// - Parameters:
///   - input: `[N, C_in, H, W]`.
///   - weight: `[C_out, C_in/groups, K_h, K_w]` (rectangular kernels allowed).
///   - bias: optional `[C_out]`.
///   - stride, padding: per axis (an integer means both); padding is zeros.
///   - dilation: the distance between kernel taps, per axis (1: an ordinary convolution).
///   - groups: channel groups; C_in and C_out must both be divisible by it (C_in: depthwise).
/// - Returns: `[N, C_out, H_out, W_out]`, H_out = ⌊(H + 2p_h − d_h·(K_h − 1) − 1)/s_h⌋ + 1 and
///   W_out likewise.
/// - Throws: ``ConvNetError`` naming the rule broken: ranks, channels that do not match the weight
///   or divide into the groups, a non-positive stride, dilation or group count, negative padding,
///   or a dilated kernel d·(K − 1) + 1 larger than the padded input.
///
/// Backward: dL/dW = dY ⋆ X (cross-correlation of upstream gradient with the input),
/// dL/dX = conv(dY, flip(W)) (full convolution with the flipped kernel), dL/db = Σ_{n,i,j} dY,
/// each within its group, with the same dilation. Runs on ``Backend/current``.
public func conv2d(_ input: Tensor, _ weight: Tensor, bias: Tensor? = nil, stride: Size2 = 1, padding: Size2 = 0,
                   dilation: Size2 = 1, groups: Int = 1) throws -> Tensor {
    let op = "conv2d"
    try require(input.rank == 4, op, "input must be [N, C, H, W], got \(describe(input.shape))")
    try require(weight.rank == 4, op, "weight must be [C_out, C_in/groups, K_h, K_w], got \(describe(weight.shape))")
    try require(groups > 0, op, "groups \(groups) must be positive")
    if groups == 1 {
        try require(input.shape[1] == weight.shape[1], op,
                    "input \(describe(input.shape)) has \(input.shape[1]) channels but weight \(describe(weight.shape)) expects \(weight.shape[1]) (input.shape[1] must equal weight.shape[1])")
    } else {
        try require(input.shape[1] % groups == 0, op,
                    "input \(describe(input.shape)) has \(input.shape[1]) channels, which do not divide into \(groups) groups")
        try require(input.shape[1] / groups == weight.shape[1], op,
                    "input \(describe(input.shape)) has \(input.shape[1]) channels, \(input.shape[1] / groups) per group of \(groups), but weight \(describe(weight.shape)) expects \(weight.shape[1]) per group (input.shape[1] must equal weight.shape[1] · groups)")
    }
    if let bias {
        try require(bias.shape == [weight.shape[0]], op,
                    "bias \(describe(bias.shape)) must be [\(weight.shape[0])] for weight \(describe(weight.shape))")
    }
    let g = Conv2dGeometry(batch: input.shape[0], inChannels: input.shape[1], height: input.shape[2],
                           width: input.shape[3], outChannels: weight.shape[0],
                           kernel: Size2(weight.shape[2], weight.shape[3]), stride: stride, padding: padding,
                           dilation: dilation, groups: groups)
    try g.validate(op: op)
    return try apply(.conv2d(g), [input, weight, bias])
}

extension Kernels {
    /// ``conv2d(_:_:bias:stride:padding:dilation:groups:)`` on ``Backend/current``.
    static func conv2d(_ g: Conv2dGeometry, _ x: Tensor, _ weight: Tensor, _ bias: Tensor?, wantsGradient: Bool) throws -> Computed {
        let wanted = gradientsWanted(wantsGradient, input: x, parameters: weight, bias)
        let result = try Backend.current.convolution.convolution(g, x: x, weight: weight, bias: bias, wanted: wanted)
        return Computed(result.output) { dy in
            let gradients = try result.backward!(dy)
            return [gradients.input, weight.requiresGrad ? gradients.weight : nil,
                    bias?.requiresGrad == true ? gradients.bias : nil]
        }
    }
}
