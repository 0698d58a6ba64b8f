/// Elementwise binary arithmetic with broadcasting, recorded for autodiff.
extension Tensor {
    /// `self + other`, broadcasting, not recorded (used by backward rules and optimizers), on
    /// ``Backend/current`` like `+`.
    func adding(_ other: Tensor) throws -> Tensor { try Backend.current.elementwise.add(self, other) }

    /// Elementwise sum with broadcasting, on ``Backend/current`` (the oneDNN backend adds two
    /// tensors held in the same oneDNN layout in that layout).
    public static func + (a: Tensor, b: Tensor) throws -> Tensor {
        let out = try KernelInterception.current?.absorbed(.add, inputs: [a, b], state: nil) ?? a.adding(b)
        return out.recorded(.add, [a, b]) { g in [g.sumToShape(a.shape), g.sumToShape(b.shape)] }
    }

    /// Elementwise difference with broadcasting.
    public static func - (a: Tensor, b: Tensor) throws -> Tensor {
        let out = try broadcastBinary(a, b, op: "sub", -)
        return out.recorded(.sub, [a, b]) { g in [g.sumToShape(a.shape), g.scaled(-1).sumToShape(b.shape)] }
    }

    /// Elementwise product with broadcasting.
    public static func * (a: Tensor, b: Tensor) throws -> Tensor {
        let out = try broadcastBinary(a, b, op: "mul", *)
        return out.recorded(.mul, [a, b]) { g in
            // d(a·b)/da = b, d(a·b)/db = a
            [a.requiresGrad ? try broadcastBinary(g, b, op: "mul", *).sumToShape(a.shape) : nil,
             b.requiresGrad ? try broadcastBinary(g, a, op: "mul", *).sumToShape(b.shape) : nil]
        }
    }

    /// Elementwise quotient with broadcasting.
    public static func / (a: Tensor, b: Tensor) throws -> Tensor {
        let out = try broadcastBinary(a, b, op: "div", /)
        return out.recorded(.div, [a, b]) { g in
            // d(a/b)/da = 1/b, d(a/b)/db = -a/b²
            [a.requiresGrad ? try broadcastBinary(g, b, op: "div", /).sumToShape(a.shape) : nil,
             b.requiresGrad ? try broadcastBinary(try broadcastBinary(g, out, op: "mul", *), b, op: "div") { -$0 / $1 }
                .sumToShape(b.shape) : nil]
        }
    }

    /// Adds a scalar.
    public static func + (a: Tensor, s: Float) -> Tensor {
        a.mapped { $0 + s }.recorded(.addScalar(s), [a]) { g in [g] }
    }

    /// Subtracts a scalar.
    public static func - (a: Tensor, s: Float) -> Tensor { a + (-s) }

    /// Multiplies by a scalar.
    public static func * (a: Tensor, s: Float) -> Tensor {
        a.scaled(s).recorded(.mulScalar(s), [a]) { g in [g.scaled(s)] }
    }

    /// Multiplies by a scalar.
    public static func * (s: Float, a: Tensor) -> Tensor { a * s }

    /// Divides by a scalar.
    public static func / (a: Tensor, s: Float) -> Tensor { a * (1 / s) }

    /// Negation.
    public static prefix func - (a: Tensor) -> Tensor { a * -1 }
}
