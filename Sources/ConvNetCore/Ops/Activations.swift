import Foundation

/// Pointwise activations. Each backward multiplies the upstream gradient by the derivative,
/// written in terms of what the forward pass already computed.
extension Tensor {
    /// Applies `derivative(x, y)` · upstream elementwise (x the input, y the output).
    @inline(__always)
    static func pointwiseBackward(_ g: Tensor, _ x: Tensor, _ y: Tensor, _ derivative: (Float, Float) -> Float) -> Tensor {
        let out = Tensor(uninitializedShape: g.shape)
        let gp = g.plainStorage().pointer, xp = x.plainStorage().pointer, yp = y.plainStorage().pointer, op = out.plainStorage().pointer
        for i in 0..<g.count { op[i] = gp[i] * derivative(xp[i], yp[i]) }
        return out
    }

    /// max(0, x), as `torch.relu`: NaN stays NaN (and −0 stays −0). dY/dX = 0 where y ≤ 0, else 1
    /// (PyTorch's `threshold_backward` on the output: a NaN output passes its gradient).
    ///
    /// Runs on ``Backend/current``: the oneDNN backend rectifies a tensor held in its layout (a
    /// convolution's output) in that layout, and its gradient too.
    public func relu() throws -> Tensor { try apply(.relu, [self]) }

    /// x for x > 0, else slope · x.
    public func leakyRelu(negativeSlope slope: Float = 0.01) -> Tensor { applyTotal(.leakyRelu(negativeSlope: slope), [self]) }

    /// 1 / (1 + e^(−x)). dY/dX = y(1 − y).
    public func sigmoid() -> Tensor { applyTotal(.sigmoid, [self]) }

    /// Hyperbolic tangent. dY/dX = 1 − y².
    public func tanh() -> Tensor { applyTotal(.tanh, [self]) }

    /// e^x.
    public func exp() -> Tensor { applyTotal(.exp, [self]) }

    /// Natural logarithm. dY/dX = 1/x.
    public func log() -> Tensor { applyTotal(.log, [self]) }

    /// x². dY/dX = 2x.
    public func squared() -> Tensor { applyTotal(.square, [self]) }

    /// The error function, erf x = (2/√π)∫₀ˣ e^(−t²) dt, as `torch.erf` (exact GELU is
    /// x·(1 + erf(x/√2))/2, which exporters write with it). dY/dX = (2/√π)·e^(−x²); NaN stays NaN.
    public func erf() -> Tensor { applyTotal(.erf, [self]) }
}

extension Kernels {
    /// `f` applied to every value of `x`, with dY/dX = `derivative(x, y)`.
    static func pointwise(_ x: Tensor, _ f: (Float) -> Float, derivative: @escaping (Float, Float) -> Float) -> Computed {
        let y = x.mapped(f)
        return Computed(y) { g in [Tensor.pointwiseBackward(g, x, y, derivative)] }
    }

    static func relu(_ x: Tensor, wantsGradient: Bool) throws -> Computed {
        let result = try Backend.current.activation.relu(x, needsBackward: wantsGradient)
        return Computed(result.output) { g in [try result.backward!(g)] }
    }

    static func leakyRelu(_ x: Tensor, slope: Float) -> Computed {
        pointwise(x, { $0 > 0 ? $0 : $0 * slope }) { x, _ in x > 0 ? 1 : slope }
    }

    static func sigmoid(_ x: Tensor) -> Computed {
        pointwise(x, { x in x >= 0 ? 1 / (1 + Foundation.exp(-x)) : Foundation.exp(x) / (1 + Foundation.exp(x)) }) { _, y in y * (1 - y) }
    }

    static func tanh(_ x: Tensor) -> Computed { pointwise(x, { Foundation.tanh($0) }) { _, y in 1 - y * y } }

    static func exp(_ x: Tensor) -> Computed { pointwise(x, { Foundation.exp($0) }) { _, y in y } }

    static func log(_ x: Tensor) -> Computed { pointwise(x, { Foundation.log($0) }) { x, _ in 1 / x } }

    static func square(_ x: Tensor) -> Computed { pointwise(x, { $0 * $0 }) { x, _ in 2 * x } }

    /// Computed in double precision (erf of a float rounds to the nearest float, as PyTorch's).
    static func erf(_ x: Tensor) -> Computed {
        pointwise(x, { Float(Foundation.erf(Double($0))) }) { x, _ in Float(2 / Double.pi.squareRoot() * Foundation.exp(-Double(x) * Double(x))) }
    }
}
