import Foundation

/// How ``Tensor/gelu(approximate:)`` computes Φ, as PyTorch's `approximate` argument.
public enum GELUApproximation: String, Hashable, Sendable, CaseIterable {
    /// Φ(x) = (1 + erf(x/√2)) / 2 exactly (PyTorch's `approximate="none"`).
    case none
    /// PyTorch's `approximate="tanh"`: Φ(x) ≈ (1 + tanh(√(2/π)(x + 0.044715x³))) / 2.
    case tanh
}

/// The activations of mobile and modern CNN families (MobileNetV3, EfficientNet, ConvNeXt), with
/// PyTorch's forward values, gradients at the knees, and NaN behaviour.
extension Tensor {
    /// min(max(x, 0), 6), as `torch.nn.functional.relu6` (NaN stays NaN).
    ///
    /// dY/dX = 1 strictly inside (0, 6), else 0 (PyTorch's `hardtanh_backward`: the gradient is
    /// zeroed where x ≤ 0 or x ≥ 6, so a NaN input passes its gradient).
    public func relu6() -> Tensor { applyTotal(.relu6, [self]) }

    /// relu6(x + 3) / 6, as `torch.nn.functional.hardsigmoid` (NaN stays NaN).
    ///
    /// dY/dX = 1/6 strictly inside (−3, 3), else 0 (a NaN input gets 0, as PyTorch's `hardsigmoid_backward`).
    public func hardsigmoid() -> Tensor { applyTotal(.hardsigmoid, [self]) }

    /// x · relu6(x + 3) / 6, as `torch.nn.functional.hardswish` (NaN stays NaN).
    ///
    /// dY/dX = 0 for x < −3, 1 for x > 3, else (2x + 3)/6 (PyTorch's `hardswish_backward`, so 1.5 at
    /// x = 3 and −0.5 at x = −3; NaN for a NaN input).
    public func hardswish() -> Tensor { applyTotal(.hardswish, [self]) }

    /// x · σ(x) = x / (1 + e^(−x)), as `torch.nn.functional.silu` (swish).
    ///
    /// dY/dX = σ(x)(1 + x(1 − σ(x))).
    public func silu() -> Tensor { applyTotal(.silu, [self]) }

    /// x · Φ(x), as `torch.nn.functional.gelu`.
    ///
    /// - `.none`: Φ(x) = (1 + erf(x/√2))/2; dY/dX = Φ(x) + x·φ(x), φ(x) = e^(−x²/2)/√(2π).
    /// - `.tanh`: y = x(1 + tanh u)/2 with u = √(2/π)(x + 0.044715x³);
    ///   dY/dX = (1 + tanh u)/2 + (x/2)(1 − tanh² u)·√(2/π)(1 + 3·0.044715x²).
    public func gelu(approximate: GELUApproximation = .none) -> Tensor { applyTotal(.gelu(approximate: approximate), [self]) }

    /// relu6(x + 3)/6 of one value, NaN kept.
    @inline(__always)
    static func hardsigmoid(_ x: Float) -> Float {
        x.isNaN ? x : Swift.min(Swift.max(x + 3, 0), 6) / 6
    }

    /// √(2/π) and the cubic coefficient of GELU's tanh formula.
    private static let geluBeta = (2 / Double.pi).squareRoot(), geluKappa = 0.044715

    static func gelu(_ x: Double, _ approximate: GELUApproximation) -> Double {
        switch approximate {
        case .none: return x * 0.5 * (1 + Foundation.erf(x / 2.0.squareRoot()))
        case .tanh: return 0.5 * x * (1 + Foundation.tanh(geluBeta * (x + geluKappa * x * x * x)))
        }
    }

    static func geluDerivative(_ x: Double, _ approximate: GELUApproximation) -> Double {
        switch approximate {
        case .none:
            let cdf = 0.5 * (1 + Foundation.erf(x / 2.0.squareRoot()))
            let pdf = Foundation.exp(-0.5 * x * x) / (2 * Double.pi).squareRoot()
            return cdf + x * pdf
        case .tanh:
            let t = Foundation.tanh(geluBeta * (x + geluKappa * x * x * x))
            return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * geluBeta * (1 + 3 * geluKappa * x * x)
        }
    }
}

extension Kernels {
    static func relu6(_ x: Tensor) -> Computed {
        pointwise(x, { $0.isNaN ? $0 : Swift.min(Swift.max($0, 0), 6) }) { x, _ in x <= 0 || x >= 6 ? 0 : 1 }
    }

    static func hardsigmoid(_ x: Tensor) -> Computed {
        pointwise(x, { Tensor.hardsigmoid($0) }) { x, _ in x > -3 && x < 3 ? 1 / 6 : 0 }
    }

    static func hardswish(_ x: Tensor) -> Computed {
        pointwise(x, { $0 * Tensor.hardsigmoid($0) }) { x, _ in x < -3 ? 0 : x > 3 ? 1 : x / 3 + 0.5 }
    }

    static func silu(_ x: Tensor) -> Computed {
        pointwise(x, { $0 / (1 + Foundation.exp(-$0)) }) { x, _ in
            let s = 1 / (1 + Foundation.exp(-x))
            return s * (1 + x * (1 - s))
        }
    }

    static func gelu(_ x: Tensor, _ approximate: GELUApproximation) -> Computed {
        pointwise(x, { Float(Tensor.gelu(Double($0), approximate)) }) { x, _ in Float(Tensor.geluDerivative(Double(x), approximate)) }
    }
}
