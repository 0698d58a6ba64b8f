import ConvNet
import Foundation
import Testing

/// The activations, layer norm and channel shuffle of modern CNN families: finite-difference
/// gradient checks (away from the knees), PyTorch's values at the knees and for NaN, the modules.
@Suite("modern CNN operators")
struct ModernOpTests {
    /// Values at least 0.05 from each other and from the knees −3, 0, 3 and 6, spread over −8…9.
    static func awayFromKnees(_ shape: [Int], seed: UInt64) -> Tensor {
        var gen = RandomGenerator(seed: seed)
        let t = Tensor.randn(shape, std: 4, generator: &gen)
        t.withUnsafeMutableBufferPointer { b in
            for i in b.indices {
                for knee: Float in [-3, 0, 3, 6] where abs(b[i] - knee) < 0.05 { b[i] = knee + (b[i] < knee ? -0.05 : 0.05) }
            }
        }
        return t
    }

    static var pointwise: [(String, (Tensor) -> Tensor)] { [
        ("relu6", { $0.relu6() }), ("hardswish", { $0.hardswish() }), ("hardsigmoid", { $0.hardsigmoid() }),
        ("silu", { $0.silu() }), ("gelu", { $0.gelu() }), ("gelu tanh", { $0.gelu(approximate: .tanh) }),
    ] }

    @Test("pointwise activations: finite differences away from the knees", arguments: ComputeBackend.allCases)
    func pointwiseGradients(backend: ComputeBackend) throws {
        for (name, f) in Self.pointwise {
            let x = Self.awayFromKnees([2, 3, 4, 5], seed: 4)
            try Backend.with(backend) {
                try FiniteDifference.check(name, inputs: [x], step: 1e-2, maxEntries: 120) { t in f(t[0]) }
            }
        }
    }

    @Test("layer norm over axis 1 of NCHW, axis −1, and without affine parameters: finite differences", arguments: ComputeBackend.allCases)
    func layerNormGradients(backend: ComputeBackend) throws {
        var gen = RandomGenerator(seed: 5)
        let x = Tensor.randn([2, 5, 3, 4], generator: &gen)
        let w = Tensor.randn([5], generator: &gen), b = Tensor.randn([5], generator: &gen)
        try Backend.with(backend) {
            try FiniteDifference.check("layer_norm axis 1", inputs: [x, w, b], step: 1e-2) { t in
                try layerNorm(t[0], axis: 1, weight: t[1], bias: t[2], eps: 1e-6)
            }
            let y = Tensor.randn([3, 2, 6], generator: &gen)
            let w6 = Tensor.randn([6], generator: &gen), b6 = Tensor.randn([6], generator: &gen)
            try FiniteDifference.check("layer_norm axis -1", inputs: [y, w6, b6], step: 1e-2) { t in
                try layerNorm(t[0], axis: -1, weight: t[1], bias: t[2])
            }
            try FiniteDifference.check("layer_norm no affine", inputs: [y], step: 1e-2) { t in try layerNorm(t[0], axis: 2) }
        }
    }

    @Test("channel shuffle: finite differences, the ShuffleNet order, and a shuffle with C/g groups undoes it",
          arguments: ComputeBackend.allCases)
    func channelShuffleChecks(backend: ComputeBackend) throws {
        var gen = RandomGenerator(seed: 6)
        let x = Tensor.randn([2, 6, 3, 2], generator: &gen)
        try Backend.with(backend) {
            try FiniteDifference.check("channel_shuffle", inputs: [x]) { t in try channelShuffle(t[0], groups: 3) }
            let channels = try Tensor(shape: [1, 6, 1, 1], scalars: (0..<6).map(Float.init))
            #expect(try channelShuffle(channels, groups: 2).scalars == [0, 3, 1, 4, 2, 5])
            #expect(try channelShuffle(channelShuffle(x, groups: 2), groups: 3).scalars == x.scalars)
        }
        #expect(throws: ConvNetError.self) { try channelShuffle(x, groups: 4) }
        #expect(throws: ConvNetError.self) { try channelShuffle(Tensor.zeros([2, 6]), groups: 2) }
        #expect(throws: ConvNetError.self) { try layerNorm(x, axis: 1, weight: Tensor.ones([3])) }
        #expect(throws: ConvNetError.self) { try layerNorm(x, axis: 4) }
    }

    @Test("values and gradients at the knees, and NaN, as PyTorch")
    func kneesAndNaN() throws {
        let x = try Tensor(shape: [7], scalars: [-3, 0, 3, 6, .nan, -10, 10])
        func check(_ f: (Tensor) -> Tensor, values: [Float], grads: [Float], _ name: String) throws {
            let t = try Tensor(shape: x.shape, scalars: x.scalars, requiresGrad: true)
            let y = f(t)
            let g = try gradients(of: y, withRespectTo: [t], upstream: Tensor.ones(y.shape))[0]
            func same(_ a: [Float], _ b: [Float]) -> Bool {
                zip(a, b).allSatisfy { ($0.isNaN && $1.isNaN) || abs($0 - $1) <= 1e-6 }
            }
            #expect(same(y.scalars, values), "\(name) values \(y.scalars)")
            #expect(same(g.scalars, grads), "\(name) grads \(g.scalars)")
        }
        // hardtanh_backward zeroes x ≤ 0 and x ≥ 6 and passes NaN's gradient.
        try check({ $0.relu6() }, values: [0, 0, 3, 6, .nan, 0, 6], grads: [0, 0, 1, 0, 1, 0, 0], "relu6")
        try check({ $0.hardsigmoid() }, values: [0, 0.5, 1, 1, .nan, 0, 1], grads: [0, 1.0 / 6, 0, 0, 0, 0, 0], "hardsigmoid")
        // hardswish_backward: 0 below −3, (2x + 3)/6 on [−3, 3], 1 above.
        try check({ $0.hardswish() }, values: [0, 0, 3, 6, .nan, 0, 10], grads: [-0.5, 0.5, 1.5, 1, .nan, 0, 1], "hardswish")
        try check({ $0.silu() }, values: [-3 / (1 + Foundation.exp(3)), 0, 3 / (1 + Foundation.exp(-3)), 6 / (1 + Foundation.exp(-6)), .nan, -10 / (1 + Foundation.exp(10)), 10 / (1 + Foundation.exp(-10))],
                  grads: [-3, 0, 3, 6, .nan, -10, 10].map { (v: Float) -> Float in
                      let s = 1 / (1 + Foundation.exp(-v)); return v.isNaN ? .nan : s * (1 + v * (1 - s)) }, "silu")
        let gelu = x.gelu().scalars, tanh = x.gelu(approximate: .tanh).scalars
        #expect(gelu[1] == 0 && abs(gelu[2] - 2.9959502) < 1e-5 && gelu[4].isNaN && abs(gelu[5]) < 1e-6 && gelu[6] == 10)
        #expect(tanh[1] == 0 && abs(tanh[2] - 2.9963627) < 1e-5 && tanh[4].isNaN)
        #expect(Op.gelu(approximate: .tanh).description == "gelu(approximate tanh)" && Op.gelu(approximate: .none).description == "gelu")
        #expect(Op.layerNorm(axis: 1, eps: 1e-6).name == "layer_norm" && Op.channelShuffle(groups: 2).description == "channel_shuffle(groups 2)")
    }

    @Test("the modules: PyTorch's names, LayerNorm2d's state_dict and values, recorded ops")
    func modules() throws {
        let norm = LayerNorm2d(4, eps: 1e-6)
        #expect(norm.stateDict().map { $0.name } == ["weight", "bias"])
        #expect(norm.weight.scalars == [1, 1, 1, 1] && norm.bias.scalars == [0, 0, 0, 0] && norm.weight.requiresGrad)
        var gen = RandomGenerator(seed: 7)
        let x = Tensor.randn([2, 4, 3, 3], generator: &gen)
        let y = try norm(x)
        // Every pixel's channels: mean 0, variance 1 (biased).
        let v = y.scalars
        for n in 0..<2 { for p in 0..<9 {
            let c = (0..<4).map { v[n * 36 + $0 * 9 + p] }
            let mean = c.reduce(0, +) / 4
            #expect(abs(mean) < 1e-5 && abs(c.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / 4 - 1) < 1e-3)
        } }
        #expect(throws: ConvNetError.self) { try norm(Tensor.zeros([2, 4])) }
        let model = Sequential(Hardswish(), Hardsigmoid(), ReLU6(), SiLU(), GELU(approximate: .tanh), GELU(), ChannelShuffle(groups: 2))
        let z = try model(x)
        let expected = try channelShuffle(x.hardswish().hardsigmoid().relu6().silu().gelu(approximate: .tanh).gelu(), groups: 2)
        #expect(z.scalars == expected.scalars)
        #expect(GELU().approximate == .none && ChannelShuffle(groups: 3).groups == 3)
    }
}
