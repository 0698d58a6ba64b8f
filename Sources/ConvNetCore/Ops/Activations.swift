import Foundation

/// Pointwise activations. Each backward multiplies the upstream gradient by the derivative,
/// written in terms of what the forward pass already computed.
extension Tensor {
    /// Applies `derivative(x, y)` · upstream elementwise (x the input, y the output).
    @inline(__always)
    static func pointwiseBackward(_ g: Tensor, _ x: Tensor, _ y: Tensor, _ derivative: (Float, Float) -> Float) -> Tensor {
        let out = Tensor(uninitializedShape: g.shape)
        let gp = g.storage.pointer, xp = x.storage.pointer, yp = y.storage.pointer, op = out.storage.pointer
        for i in 0..<g.count { op[i] = gp[i] * derivative(xp[i], yp[i]) }
        return out
    }

    /// max(0, x), as `torch.relu`: NaN stays NaN (and −0 stays −0). dY/dX = 0 where y ≤ 0, else 1
    /// (PyTorch's `threshold_backward` on the output: a NaN output passes its gradient).
    ///
    /// On the oneDNN backend, a tensor held in a oneDNN layout (a convolution's output) is rectified
    /// in that layout, and so is its gradient (``OneDNNReLU``); should oneDNN fail, the plain loop
    /// computes the same values. oneDNN's ReLU turns NaN into 0, so a tensor holding a NaN (one
    /// vectorised scan) takes the plain loop.
    public func relu() -> Tensor {
        if Backend.current == .oneDNN, isInOneDNNLayout, !containsNaN, let y = try? OneDNNReLU.forward(self) {
            return y.recorded("relu", [self]) { g in
                [try OneDNNReLU.backward(y: y, dy: g) ?? Tensor.reluBackward(g, y)]
            }
        }
        let y = mapped { $0 < 0 ? 0 : $0 }
        return y.recorded("relu", [self]) { g in [Tensor.reluBackward(g, y)] }
    }

    /// dL/dX = dL/dY where y > 0 or y is NaN, else 0.
    static func reluBackward(_ g: Tensor, _ y: Tensor) -> Tensor {
        pointwiseBackward(g, y, y) { _, y in y <= 0 ? 0 : 1 }
    }

    /// x for x > 0, else slope · x.
    public func leakyRelu(negativeSlope slope: Float = 0.01) -> Tensor {
        let y = mapped { $0 > 0 ? $0 : $0 * slope }
        return y.recorded("leaky_relu", [self]) { [self] g in
            [Tensor.pointwiseBackward(g, self, y) { x, _ in x > 0 ? 1 : slope }]
        }
    }

    /// 1 / (1 + e^(−x)). dY/dX = y(1 − y).
    public func sigmoid() -> Tensor {
        let y = mapped { x in x >= 0 ? 1 / (1 + Foundation.exp(-x)) : Foundation.exp(x) / (1 + Foundation.exp(x)) }
        return y.recorded("sigmoid", [self]) { g in [Tensor.pointwiseBackward(g, y, y) { _, y in y * (1 - y) }] }
    }

    /// Hyperbolic tangent. dY/dX = 1 − y².
    public func tanh() -> Tensor {
        let y = mapped { Foundation.tanh($0) }
        return y.recorded("tanh", [self]) { g in [Tensor.pointwiseBackward(g, y, y) { _, y in 1 - y * y }] }
    }

    /// e^x.
    public func exp() -> Tensor {
        let y = mapped { Foundation.exp($0) }
        return y.recorded("exp", [self]) { g in [Tensor.pointwiseBackward(g, y, y) { _, y in y }] }
    }

    /// Natural logarithm. dY/dX = 1/x.
    public func log() -> Tensor {
        let y = mapped { Foundation.log($0) }
        return y.recorded("log", [self]) { [self] g in [Tensor.pointwiseBackward(g, self, y) { x, _ in 1 / x }] }
    }

    /// x². dY/dX = 2x.
    public func squared() -> Tensor {
        let y = mapped { $0 * $0 }
        return y.recorded("square", [self]) { [self] g in [Tensor.pointwiseBackward(g, self, y) { x, _ in 2 * x }] }
    }
}
