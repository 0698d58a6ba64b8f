/// 2-D convolution (cross-correlation, as in every deep-learning library):
///
///     y[n, o, i, j] = b[o] + Σ_{c, kh, kw} w[o, c, kh, kw] · x[n, c, i·s_h − p_h + kh, j·s_w − p_w + kw]
///
/// - Parameters:
///   - input: `[N, C_in, H, W]`.
///   - weight: `[C_out, C_in, K_h, K_w]` (rectangular kernels allowed).
///   - bias: optional `[C_out]`.
///   - stride, padding: per axis (an integer means both); padding is zeros.
/// - Returns: `[N, C_out, ⌊(H + 2p_h − K_h)/s_h⌋ + 1, ⌊(W + 2p_w − K_w)/s_w⌋ + 1]`.
///
/// Backward: dL/dW = dY ⋆ X (cross-correlation of upstream gradient with the input),
/// dL/dX = conv(dY, flip(W)) (full convolution with the flipped kernel), dL/db = Σ_{n,i,j} dY.
/// Runs on ``Backend/current``.
public func conv2d(_ input: Tensor, _ weight: Tensor, bias: Tensor? = nil,
                   stride: Size2 = 1, padding: Size2 = 0) throws -> Tensor {
    let op = "conv2d"
    try require(input.rank == 4, op, "input must be [N, C, H, W], got \(describe(input.shape))")
    try require(weight.rank == 4, op, "weight must be [C_out, C_in, K_h, K_w], got \(describe(weight.shape))")
    try require(input.shape[1] == weight.shape[1], op,
                "input \(describe(input.shape)) has \(input.shape[1]) channels but weight \(describe(weight.shape)) expects \(weight.shape[1]) (input.shape[1] must equal weight.shape[1])")
    if let bias {
        try require(bias.shape == [weight.shape[0]], op,
                    "bias \(describe(bias.shape)) must be [\(weight.shape[0])] for weight \(describe(weight.shape))")
    }
    let g = Conv2dGeometry(batch: input.shape[0], inChannels: input.shape[1], height: input.shape[2],
                           width: input.shape[3], outChannels: weight.shape[0],
                           kernel: Size2(weight.shape[2], weight.shape[3]), stride: stride, padding: padding)
    try g.validate(op: op)
    let wanted = GradientsWanted(input: Tensor.needsGrad(input), parameters: Tensor.needsGrad(weight, bias))
    let result: KernelResult<ConvolutionGradients>
    if let fused = try KernelInterception.current?.convolution(g, x: input, weight: weight) {
        result = KernelResult(output: fused)
    } else {
        result = try Backend.current.convolution.convolution(g, x: input, weight: weight, bias: bias, wanted: wanted)
    }
    return result.output.recorded(.conv2d(g), [input, weight, bias]) { dy in
        let gradients = try result.backward!(dy)
        return [gradients.input, weight.requiresGrad ? gradients.weight : nil,
                bias?.requiresGrad == true ? gradients.bias : nil]
    }
}
