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
    public func relu() throws -> Tensor {
        if let fused = try KernelInterception.current?.absorbed(.relu, inputs: [self], state: nil) {
            return fused.recorded(.relu, [self]) { _ in throw ConvNetError(op: "relu", "a frozen model computes no gradients") }
        }
        let result = try Backend.current.activation.relu(self, needsBackward: Tensor.needsGrad(self))
        return result.output.recorded(.relu, [self]) { g in [try result.backward!(g)] }
    }

    /// x for x > 0, else slope · x.
    public func leakyRelu(negativeSlope slope: Float = 0.01) -> Tensor {
        let y = mapped { $0 > 0 ? $0 : $0 * slope }
        return y.recorded(.leakyRelu(negativeSlope: slope), [self]) { [self] g in
            [Tensor.pointwiseBackward(g, self, y) { x, _ in x > 0 ? 1 : slope }]
        }
    }

    /// 1 / (1 + e^(−x)). dY/dX = y(1 − y).
    public func sigmoid() -> Tensor {
        let y = mapped { x in x >= 0 ? 1 / (1 + Foundation.exp(-x)) : Foundation.exp(x) / (1 + Foundation.exp(x)) }
        return y.recorded(.sigmoid, [self]) { g in [Tensor.pointwiseBackward(g, y, y) { _, y in y * (1 - y) }] }
    }

    /// Hyperbolic tangent. dY/dX = 1 − y².
    public func tanh() -> Tensor {
        let y = mapped { Foundation.tanh($0) }
        return y.recorded(.tanh, [self]) { g in [Tensor.pointwiseBackward(g, y, y) { _, y in 1 - y * y }] }
    }

    /// e^x.
    public func exp() -> Tensor {
        let y = mapped { Foundation.exp($0) }
        return y.recorded(.exp, [self]) { g in [Tensor.pointwiseBackward(g, y, y) { _, y in y }] }
    }

    /// Natural logarithm. dY/dX = 1/x.
    public func log() -> Tensor {
        let y = mapped { Foundation.log($0) }
        return y.recorded(.log, [self]) { [self] g in [Tensor.pointwiseBackward(g, self, y) { x, _ in 1 / x }] }
    }

    /// x². dY/dX = 2x.
    public func squared() -> Tensor {
        let y = mapped { $0 * $0 }
        return y.recorded(.square, [self]) { [self] g in [Tensor.pointwiseBackward(g, self, y) { x, _ in 2 * x }] }
    }
}
