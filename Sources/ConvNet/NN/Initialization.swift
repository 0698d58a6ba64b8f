import Foundation

/// Weight initialisation schemes, each filling a tensor in place from a generator. Each computes
/// its bound or standard deviation in double precision as `torch.nn.init` does and draws as
/// PyTorch draws, so from the same generator state it gives PyTorch's weights.
public enum Initializer {
    /// Which fan Kaiming initialisation preserves the variance of.
    public enum FanMode: Sendable { case fanIn, fanOut }

    /// (fan_in, fan_out) of a weight: `[out, in]` for linear, `[out, in, k_h, k_w]` for conv.
    public static func fans(_ shape: [Int]) -> (fanIn: Int, fanOut: Int) {
        guard shape.count >= 2 else { return (max(shape.first ?? 1, 1), max(shape.first ?? 1, 1)) }
        let receptive = shape.dropFirst(2).reduce(1, *)
        return (shape[1] * receptive, shape[0] * receptive)
    }

    /// The gain of ReLU-family nonlinearities: √(2/(1 + a²)) (a = 0 for ReLU).
    public static func reluGain(negativeSlope a: Double = 0) -> Double { (2 / (1 + a * a)).squareRoot() }

    /// Fills with U(−bound, bound) (`uniform_(-bound, bound)`).
    public static func uniform(_ t: Tensor, bound: Double, generator: inout RandomGenerator) {
        t.withUnsafeMutableBufferPointer { generator.fillUniform($0, from: Float(-bound), to: Float(bound)) }
    }

    /// Fills with N(0, std²) (`normal_(0, std)`).
    public static func normal(_ t: Tensor, std: Double, generator: inout RandomGenerator) {
        t.withUnsafeMutableBufferPointer { generator.fillNormal($0, mean: 0, std: Float(std)) }
    }

    private static func fan(_ t: Tensor, _ mode: FanMode) -> Double {
        let (fanIn, fanOut) = fans(t.shape)
        return Double(mode == .fanIn ? fanIn : fanOut)
    }

    /// He et al. 2015, normal: std = gain/√fan.
    public static func kaimingNormal(_ t: Tensor, mode: FanMode = .fanIn, negativeSlope: Double = 0,
                                     generator: inout RandomGenerator) {
        normal(t, std: reluGain(negativeSlope: negativeSlope) / fan(t, mode).squareRoot(), generator: &generator)
    }

    /// He et al. 2015, uniform: bound = √3·gain/√fan.
    public static func kaimingUniform(_ t: Tensor, mode: FanMode = .fanIn, negativeSlope: Double = 0,
                                      generator: inout RandomGenerator) {
        let std = reluGain(negativeSlope: negativeSlope) / fan(t, mode).squareRoot()
        uniform(t, bound: Double(3).squareRoot() * std, generator: &generator)
    }

    /// Glorot & Bengio 2010, uniform: bound = √3·gain·√(2/(fan_in + fan_out)).
    public static func xavierUniform(_ t: Tensor, gain: Double = 1, generator: inout RandomGenerator) {
        let (fanIn, fanOut) = fans(t.shape)
        let std = gain * (2 / Double(fanIn + fanOut)).squareRoot()
        uniform(t, bound: Double(3).squareRoot() * std, generator: &generator)
    }

    /// Glorot & Bengio 2010, normal: std = gain·√(2/(fan_in + fan_out)).
    public static func xavierNormal(_ t: Tensor, gain: Double = 1, generator: inout RandomGenerator) {
        let (fanIn, fanOut) = fans(t.shape)
        normal(t, std: gain * (2 / Double(fanIn + fanOut)).squareRoot(), generator: &generator)
    }

    /// N(mean, std²) truncated to [a, b] (`nn.init.trunc_normal_`), drawn as PyTorch 2.15 draws it.
    /// When [a, b] holds more than 30 % of the mass: normal samples, all positions redrawn (and the
    /// out-of-range ones replaced) until none is out of range. Otherwise rejection from uniform
    /// proposals on [a, b]: a proposal x is kept when ln u < −((x − mean)/std)²/2 − (the same at
    /// the mode), u ~ U[0, 1), each round drawing proposals and u's for every position.
    public static func truncatedNormal(_ t: Tensor, mean: Double = 0, std: Double = 1, a: Double = -2, b: Double = 2,
                                       generator: inout RandomGenerator) {
        func cdf(_ x: Double) -> Double { (1 + Foundation.erf(x / Double(2).squareRoot())) / 2 }
        let count = t.count
        let (low, high) = (Float(a), Float(b))
        t.withUnsafeMutableBufferPointer { result in
            var fresh = [Float](repeating: 0, count: count)
            if cdf((b - mean) / std) - cdf((a - mean) / std) > 0.3 {
                generator.fillNormal(result, mean: Float(mean), std: Float(std))
                while result.contains(where: { $0 < low || $0 > high }) {
                    fresh.withUnsafeMutableBufferPointer { generator.fillNormal($0, mean: Float(mean), std: Float(std)) }
                    for i in 0..<count where result[i] < low || result[i] > high { result[i] = fresh[i] }
                }
                return
            }
            let mode = max(a, min(mean, b))
            let logPeak = Float(-0.5 * ((mode - mean) / std) * ((mode - mean) / std))
            func logDensity(_ x: Float) -> Float {
                let z = (x - Float(mean)) / Float(std)
                return z * z * -0.5 - logPeak
            }
            generator.fillUniform(result, from: low, to: high)
            var pending = result.map { Foundation.log(generator.nextUniform()) > logDensity($0) }
            while pending.contains(true) {
                fresh.withUnsafeMutableBufferPointer { generator.fillUniform($0, from: low, to: high) }
                for i in 0..<count {
                    let reject = Foundation.log(generator.nextUniform()) > logDensity(fresh[i])
                    if pending[i] { (result[i], pending[i]) = (fresh[i], reject) }
                }
            }
        }
    }

    /// PyTorch's default for `Conv2d` and `Linear`: kaiming_uniform with a = √5 for the weight,
    /// which is U(±1/√fan_in), then U(±1/√fan_in) for the bias.
    public static func pytorchDefault(weight: Tensor, bias: Tensor?, generator: inout RandomGenerator) {
        kaimingUniform(weight, negativeSlope: Double(5).squareRoot(), generator: &generator)
        let fanIn = fans(weight.shape).fanIn
        if let bias { uniform(bias, bound: fanIn > 0 ? 1 / Double(fanIn).squareRoot() : 0, generator: &generator) }
    }
}

extension Initializer {
    /// Fills with `value` (`nn.init.constant_`); draws nothing.
    public static func constant(_ t: Tensor, _ value: Float) {
        t.withUnsafeMutableBufferPointer { $0.update(repeating: value) }
    }

    /// The weight of a `Conv2d` or `Linear` module, which reference initialisations redraw; `nil`
    /// for any other module.
    static func convolutionOrLinearWeight(of module: Module) -> Tensor? {
        (module as? Conv2d)?.weight ?? (module as? Linear)?.weight
    }

    /// Re-initialises `model` as a reference implementation does after building it with every
    /// layer's default: for each module in `model.modules()` order (parents before children, each
    /// module's children in declaration order), `body` draws what it wants from the current
    /// ``GlobalGenerator``. Since the defaults were drawn first, the generator is where PyTorch's is.
    static func reinitialize(_ model: Module, _ body: (Module, inout RandomGenerator) -> Void) {
        let modules = model.namedModules().map(\.module)
        GlobalGenerator.withGenerator { generator in
            for module in modules { body(module, &generator) }
        }
    }
}
