/// ReLU as a plain loop over plain memory.
enum ReferenceActivation: ActivationKernels {
    /// y = max(0, x), keeping NaN (and −0); dX = dY where y > 0 or y is NaN, else 0 (PyTorch's
    /// `threshold_backward` on the output: a NaN output passes its gradient).
    static func relu(_ x: Tensor, needsBackward: Bool) throws -> KernelResult<Tensor> {
        let y = x.mapped { $0 < 0 ? 0 : $0 }
        guard needsBackward else { return KernelResult(output: y) }
        return KernelResult(output: y) { dy in reluBackward(dy, y: y) }
    }

    /// dL/dX = dL/dY where y > 0 or y is NaN, else 0.
    static func reluBackward(_ dy: Tensor, y: Tensor) -> Tensor {
        let dx = Tensor(uninitializedShape: dy.shape)
        let gp = dy.plainStorage().pointer, yp = y.plainStorage().pointer, dp = dx.plainStorage().pointer
        for i in 0..<dy.count { dp[i] = yp[i] <= 0 ? 0 : gp[i] }
        return dx
    }
}

/// Elementwise sums as a plain loop over plain memory.
enum ReferenceElementwise: ElementwiseKernels {
    static func add(_ a: Tensor, _ b: Tensor) throws -> Tensor {
        try Tensor.broadcastBinary(a, b, op: "add", +)
    }
}
