/// Elementwise binary arithmetic with broadcasting, recorded for autodiff.
extension Tensor {
    /// Applies `f` elementwise over the broadcast of `a` and `b`.
    @inline(__always)
    static func broadcastBinary(_ a: Tensor, _ b: Tensor, op: String, _ f: (Float, Float) -> Float) throws -> Tensor {
        let pa = a.storage.pointer, pb = b.storage.pointer
        if a.shape == b.shape {
            let out = Tensor(uninitializedShape: a.shape)
            let po = out.storage.pointer
            for i in 0..<a.count { po[i] = f(pa[i], pb[i]) }
            return out
        }
        let shape = try Broadcast.shape(a.shape, b.shape, op: op)
        let out = Tensor(uninitializedShape: shape)
        let po = out.storage.pointer
        let sa = Broadcast.strides(of: a.shape, in: shape), sb = Broadcast.strides(of: b.shape, in: shape)
        Broadcast.forEachRun(shape, sa, sb) { o, ia, ib, n, stepA, stepB in
            for j in 0..<n { po[o + j] = f(pa[ia + j * stepA], pb[ib + j * stepB]) }
        }
        return out
    }

    /// `self + other`, broadcasting, not recorded (used by backward rules and optimizers).
    func adding(_ other: Tensor) throws -> Tensor { try Tensor.sum(self, other) }

    /// a + b; two tensors in the same oneDNN layout are added in it on the oneDNN backend
    /// (``OneDNNBinary``), all others by the plain loop.
    private static func sum(_ a: Tensor, _ b: Tensor) throws -> Tensor {
        if Backend.current == .oneDNN, let sum = try OneDNNBinary.add(a, b) { return sum }
        return try broadcastBinary(a, b, op: "add", +)
    }

    /// Elementwise sum with broadcasting.
    public static func + (a: Tensor, b: Tensor) throws -> Tensor {
        let out = try sum(a, b)
        return out.recorded("add", [a, b]) { g in [g.sumToShape(a.shape), g.sumToShape(b.shape)] }
    }

    /// Elementwise difference with broadcasting.
    public static func - (a: Tensor, b: Tensor) throws -> Tensor {
        let out = try broadcastBinary(a, b, op: "sub", -)
        return out.recorded("sub", [a, b]) { g in [g.sumToShape(a.shape), g.scaled(-1).sumToShape(b.shape)] }
    }

    /// Elementwise product with broadcasting.
    public static func * (a: Tensor, b: Tensor) throws -> Tensor {
        let out = try broadcastBinary(a, b, op: "mul", *)
        return out.recorded("mul", [a, b]) { g in
            // d(a·b)/da = b, d(a·b)/db = a
            [a.requiresGrad ? try broadcastBinary(g, b, op: "mul", *).sumToShape(a.shape) : nil,
             b.requiresGrad ? try broadcastBinary(g, a, op: "mul", *).sumToShape(b.shape) : nil]
        }
    }

    /// Elementwise quotient with broadcasting.
    public static func / (a: Tensor, b: Tensor) throws -> Tensor {
        let out = try broadcastBinary(a, b, op: "div", /)
        return out.recorded("div", [a, b]) { g in
            // d(a/b)/da = 1/b, d(a/b)/db = -a/b²
            [a.requiresGrad ? try broadcastBinary(g, b, op: "div", /).sumToShape(a.shape) : nil,
             b.requiresGrad ? try broadcastBinary(try broadcastBinary(g, out, op: "mul", *), b, op: "div") { -$0 / $1 }
                .sumToShape(b.shape) : nil]
        }
    }

    /// Adds a scalar.
    public static func + (a: Tensor, s: Float) -> Tensor {
        a.mapped { $0 + s }.recorded("add_scalar", [a]) { g in [g] }
    }

    /// Subtracts a scalar.
    public static func - (a: Tensor, s: Float) -> Tensor { a + (-s) }

    /// Multiplies by a scalar.
    public static func * (a: Tensor, s: Float) -> Tensor {
        a.scaled(s).recorded("mul_scalar", [a]) { g in [g.scaled(s)] }
    }

    /// Multiplies by a scalar.
    public static func * (s: Float, a: Tensor) -> Tensor { a * s }

    /// Divides by a scalar.
    public static func / (a: Tensor, s: Float) -> Tensor { a * (1 / s) }

    /// Negation.
    public static prefix func - (a: Tensor) -> Tensor { a * -1 }

    /// `f` applied to every element, not recorded.
    @inline(__always)
    func mapped(_ f: (Float) -> Float) -> Tensor {
        let out = Tensor(uninitializedShape: shape)
        let src = storage.pointer, dst = out.storage.pointer
        for i in 0..<count { dst[i] = f(src[i]) }
        return out
    }

    /// `self · s`, not recorded.
    func scaled(_ s: Float) -> Tensor { mapped { $0 * s } }
}
