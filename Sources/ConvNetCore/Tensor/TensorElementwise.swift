/// Elementwise loops over plain memory that kernels and operations build on; not recorded by
/// autodiff (the recorded operators are in `Ops/Arithmetic.swift`).
extension Tensor {
    /// Applies `f` elementwise over the broadcast of `a` and `b`.
    @inline(__always)
    static func broadcastBinary(_ a: Tensor, _ b: Tensor, op: String, _ f: (Float, Float) -> Float) throws -> Tensor {
        let pa = a.plainStorage().pointer, pb = b.plainStorage().pointer
        if a.shape == b.shape {
            let out = Tensor(uninitializedShape: a.shape)
            let po = out.plainStorage().pointer
            for i in 0..<a.count { po[i] = f(pa[i], pb[i]) }
            return out
        }
        let shape = try Broadcast.shape(a.shape, b.shape, op: op)
        let out = Tensor(uninitializedShape: shape)
        let po = out.plainStorage().pointer
        let sa = Broadcast.strides(of: a.shape, in: shape), sb = Broadcast.strides(of: b.shape, in: shape)
        Broadcast.forEachRun(shape, sa, sb) { o, ia, ib, n, stepA, stepB in
            for j in 0..<n { po[o + j] = f(pa[ia + j * stepA], pb[ib + j * stepB]) }
        }
        return out
    }

    /// `f` applied to every element, not recorded.
    @inline(__always)
    func mapped(_ f: (Float) -> Float) -> Tensor {
        let out = Tensor(uninitializedShape: shape)
        let src = plainStorage().pointer, dst = out.plainStorage().pointer
        for i in 0..<count { dst[i] = f(src[i]) }
        return out
    }

    /// `self · s`, not recorded.
    func scaled(_ s: Float) -> Tensor { mapped { $0 * s } }
}
