/// ReLU as a plain loop over plain memory.
enum ReferenceActivation: ActivationKernels {
    /// y = max(0, x), keeping NaN (and −0); dX = dY where y > 0 or y is NaN, else 0 (PyTorch's
    /// `threshold_backward` on the output: a NaN output passes its gradient).
    static func relu(_ x: Tensor, needsBackward: Bool) throws -> KernelResult<Tensor> {
        let y = x.mapped { $0 < 0 ? 0 : $0 }
        guard needsBackward else { return KernelResult(output: y) }
        return KernelResult(output: y) { dy in reluBackward(dy, y: y) }
    }

    /// dL/dX = dL/dY where y > 0 or y is NaN, else 0 (a select, as PyTorch's `where`: an infinite
    /// dY where y ≤ 0 gives 0, not 0 · ∞). Sixteen lanes at a time: the scalar loop's branch on the
    /// sign of y mispredicts on every other element.
    static func reluBackward(_ dy: Tensor, y: Tensor) -> Tensor {
        let dx = Tensor(uninitializedShape: dy.shape)
        let gp = dy.plainStorage().pointer, yp = y.plainStorage().pointer, dp = dx.plainStorage().pointer
        typealias Lanes = SIMD16<Float>
        let n = dy.count, vectorEnd = n - n % Lanes.scalarCount
        var i = 0
        while i < vectorEnd {
            let g = UnsafeRawPointer(gp + i).loadUnaligned(as: Lanes.self)
            let v = UnsafeRawPointer(yp + i).loadUnaligned(as: Lanes.self)
            UnsafeMutableRawPointer(dp + i).storeBytes(of: g.replacing(with: 0, where: v .<= 0), as: Lanes.self)
            i += Lanes.scalarCount
        }
        while i < n {
            dp[i] = yp[i] <= 0 ? 0 : gp[i]
            i += 1
        }
        return dx
    }
}

/// Elementwise sums as a plain loop over plain memory.
enum ReferenceElementwise: ElementwiseKernels {
    static func add(_ a: Tensor, _ b: Tensor) throws -> Tensor {
        try Tensor.broadcastBinary(a, b, op: "add", +)
    }
}
