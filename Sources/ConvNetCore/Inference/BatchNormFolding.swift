/// Batch norm in evaluation mode folded into the convolution before it, exactly:
///
///     y = γ·(conv(x, w) + b − μ)/√(σ² + ε) + β = conv(x, w·s) + (b − μ)·s + β,   s = γ/√(σ² + ε)
///
/// per output channel (the scale in double precision, so the folded weights round once). Each output
/// channel's weights are one contiguous row of `[O, C/groups, K_h, K_w]`, so grouped and depthwise
/// convolutions fold the same way.
enum BatchNormFolding {
    /// The folded weights `[O, C/groups, K_h, K_w]` and bias `[O]` (γ = 1 and β = 0 when absent; b = 0 without a bias).
    static func fold(weight: Tensor, bias: Tensor?, gamma: Tensor?, beta: Tensor?, mean: Tensor, variance: Tensor,
                     eps: Float) -> (weight: Tensor, bias: Tensor) {
        let outputs = weight.shape[0], perOutput = weight.count / max(outputs, 1)
        let (w, m, v) = (weight.scalars, mean.scalars, variance.scalars)
        let (b, g, be) = (bias?.scalars, gamma?.scalars, beta?.scalars)
        let folded = Tensor(uninitializedShape: weight.shape), foldedBias = Tensor(uninitializedShape: [outputs])
        let fw = folded.plainStorage().pointer, fb = foldedBias.plainStorage().pointer
        for o in 0..<outputs {
            let scale = Double(g?[o] ?? 1) / (Double(v[o]) + Double(eps)).squareRoot()
            for i in 0..<perOutput { fw[o * perOutput + i] = Float(Double(w[o * perOutput + i]) * scale) }
            fb[o] = Float((Double(b?[o] ?? 0) - Double(m[o])) * scale + Double(be?[o] ?? 0))
        }
        return (folded, foldedBias)
    }
}
