/// Elementwise binary arithmetic with broadcasting, recorded for autodiff.
extension Tensor {
    /// `self + other`, broadcasting, not recorded (used by backward rules and optimizers), on
    /// ``Backend/current`` like `+`.
    func adding(_ other: Tensor) throws -> Tensor { try Backend.current.elementwise.add(self, other) }

    /// Elementwise sum with broadcasting, on ``Backend/current`` (the oneDNN backend adds two
    /// tensors held in the same oneDNN layout in that layout).
    public static func + (a: Tensor, b: Tensor) throws -> Tensor { try apply(.add, [a, b]) }

    /// Elementwise difference with broadcasting.
    public static func - (a: Tensor, b: Tensor) throws -> Tensor { try apply(.sub, [a, b]) }

    /// Elementwise product with broadcasting.
    public static func * (a: Tensor, b: Tensor) throws -> Tensor { try apply(.mul, [a, b]) }

    /// Elementwise quotient with broadcasting.
    public static func / (a: Tensor, b: Tensor) throws -> Tensor { try apply(.div, [a, b]) }

    /// Adds a scalar.
    public static func + (a: Tensor, s: Float) -> Tensor { applyTotal(.addScalar(s), [a]) }

    /// Subtracts a scalar.
    public static func - (a: Tensor, s: Float) -> Tensor { a + (-s) }

    /// Multiplies by a scalar.
    public static func * (a: Tensor, s: Float) -> Tensor { applyTotal(.mulScalar(s), [a]) }

    /// Multiplies by a scalar.
    public static func * (s: Float, a: Tensor) -> Tensor { a * s }

    /// Divides by a scalar.
    public static func / (a: Tensor, s: Float) -> Tensor { a * (1 / s) }

    /// Negation.
    public static prefix func - (a: Tensor) -> Tensor { a * -1 }
}

extension Kernels {
    static func add(_ a: Tensor, _ b: Tensor) throws -> Computed {
        Computed(try a.adding(b)) { g in [g.sumToShape(a.shape), g.sumToShape(b.shape)] }
    }

    static func sub(_ a: Tensor, _ b: Tensor) throws -> Computed {
        Computed(try Tensor.broadcastBinary(a, b, op: "sub", -)) { g in [g.sumToShape(a.shape), g.scaled(-1).sumToShape(b.shape)] }
    }

    /// d(a·b)/da = b, d(a·b)/db = a.
    static func mul(_ a: Tensor, _ b: Tensor) throws -> Computed {
        Computed(try Tensor.broadcastBinary(a, b, op: "mul", *)) { g in
            [a.requiresGrad ? try Tensor.broadcastBinary(g, b, op: "mul", *).sumToShape(a.shape) : nil,
             b.requiresGrad ? try Tensor.broadcastBinary(g, a, op: "mul", *).sumToShape(b.shape) : nil]
        }
    }

    /// d(a/b)/da = 1/b, d(a/b)/db = −a/b² = −(a/b)/b.
    static func div(_ a: Tensor, _ b: Tensor) throws -> Computed {
        let out = try Tensor.broadcastBinary(a, b, op: "div", /)
        return Computed(out) { g in
            [a.requiresGrad ? try Tensor.broadcastBinary(g, b, op: "div", /).sumToShape(a.shape) : nil,
             b.requiresGrad ? try Tensor.broadcastBinary(try Tensor.broadcastBinary(g, out, op: "mul", *), b, op: "div") { -$0 / $1 }
                .sumToShape(b.shape) : nil]
        }
    }

    static func addScalar(_ a: Tensor, _ s: Float) -> Computed { Computed(a.mapped { $0 + s }) { g in [g] } }

    static func mulScalar(_ a: Tensor, _ s: Float) -> Computed { Computed(a.scaled(s)) { g in [g.scaled(s)] } }
}
