import ConvNet
import Foundation
import Testing

/// Our generator against what PyTorch's CPU generator gave for the same seeds
/// (Fixtures/torch-random.json, written by Tools/export_torch_random.py).
@Suite("random numbers as PyTorch draws them")
struct RandomGeneratorTests {
    /// Read once: the tests look cases up many times.
    nonisolated(unsafe) static let cases = Fixtures.cases("torch-random.json")

    static func floats(_ name: String) -> [Float] { (cases[name] as? [Double] ?? []).map(Float.init) }
    static func integers(_ name: String) -> [Int] { cases[name] as? [Int] ?? [] }

    /// `normal_` on 16 or more elements: PyTorch takes logarithms and sines with vector routines,
    /// so we agree to a few units in the last place, not bit for bit.
    static func close(_ a: [Float], _ b: [Float]) -> Bool {
        a.count == b.count && zip(a, b).allSatisfy { abs($0 - $1) <= 4 * $1.magnitude.ulp + 1e-7 }
    }

    @Test("torch.rand, uniform_ and randperm bit for bit")
    func uniformAndPermutations() {
        var g = RandomGenerator(seed: 0)
        let rand = Self.floats("rand_seed0")
        #expect(rand.count == 20 && (0..<20).map { _ in g.nextUniform() } == rand)
        g = RandomGenerator(seed: 5)
        let uniform = Tensor.uniform([10], low: -0.3, high: 0.7, generator: &g).scalars
        #expect(uniform == Self.floats("uniform_seed5_from-0.3_to0.7"))
        g = RandomGenerator(seed: 3)
        #expect(g.permutation(10) == Self.integers("randperm10_seed3"))
        g = RandomGenerator(seed: 0)
        let permutation = g.permutation(1000)
        #expect(permutation == Self.integers("randperm1000_seed0"))
        #expect(permutation.sorted() == Array(0..<1000))
    }

    @Test("dropout draws PyTorch's mask")
    func dropoutMask() throws {
        var g = RandomGenerator(seed: 12)
        let y = try dropout(Tensor.ones([1000]), p: 0.3, training: true, generator: &g).scalars
        #expect(y == Self.floats("dropout0.3_ones1000_seed12"))
        #expect(Set(y) == [0, 1 / Float(0.7)])
    }

    @Test("normal_: one at a time below 16 elements, blocks of 16 from there")
    func normals() {
        var g = RandomGenerator(seed: 2)
        // Seven draws one at a time: three Box–Muller pairs and the first of a fourth.
        let few = Tensor.randn([7], mean: 0.5, std: 2, generator: &g).scalars
        #expect(few == Self.floats("normal7_seed2_mean0.5_std2"))
        g = RandomGenerator(seed: 1)
        let many = Tensor.randn([37], generator: &g).scalars
        #expect(Self.close(many, Self.floats("normal37_seed1")), "\(many)")
    }

    @Test("torch.nn.init schemes from the same seed give PyTorch's weights")
    func initializers() {
        func filled(_ shape: [Int], seed: UInt64, _ fill: (Tensor, inout RandomGenerator) -> Void) -> [Float] {
            var g = RandomGenerator(seed: seed)
            let t = Tensor.zeros(shape)
            fill(t, &g)
            return t.scalars
        }
        #expect(filled([5, 4], seed: 6) { Initializer.kaimingUniform($0, generator: &$1) }
            == Self.floats("kaiming_uniform_5x4_seed6"))
        #expect(filled([6, 5], seed: 8) { Initializer.xavierUniform($0, generator: &$1) }
            == Self.floats("xavier_uniform_6x5_seed8"))
        #expect(Self.close(filled([8, 3, 3, 3], seed: 7) { Initializer.kaimingNormal($0, mode: .fanOut, generator: &$1) },
                           Self.floats("kaiming_normal_fanout_8x3x3x3_seed7")))
        #expect(Self.close(filled([6, 5], seed: 9) { Initializer.xavierNormal($0, generator: &$1) },
                           Self.floats("xavier_normal_6x5_seed9")))
        let truncated = filled([300], seed: 10) { Initializer.truncatedNormal($0, mean: 0.2, std: 0.5, a: -1, b: 1.5, generator: &$1) }
        #expect(Self.close(truncated, Self.floats("trunc_normal_std0.5_a-1_b1.5_300_seed10")))
        #expect(truncated.allSatisfy { $0 >= -1 && $0 <= 1.5 })
        let tail = filled([200], seed: 11) { Initializer.truncatedNormal($0, mean: 0, std: 1, a: 2, b: 3, generator: &$1) }
        #expect(tail == Self.floats("trunc_normal_std1_a2_b3_200_seed11"))
    }

    /// Compares `model`'s parameters with a fixture's summary of PyTorch's (name, shape, first and
    /// last 8 values, sum): `exact` when every value was drawn uniformly, else to ``close(_:_:)``.
    static func expectParameters(of model: Module, like summary: Any?, name: String, exact: Bool) throws {
        let expected = try #require(TensorSummary.list(summary), "fixture \(name)")
        let ours = model.namedParameters()
        #expect(ours.map(\.name) == expected.map(\.name), "\(name)")
        for (parameter, reference) in zip(ours, expected) {
            let values = parameter.tensor.scalars
            let ends = TensorSummary.ends(of: values)
            #expect(parameter.tensor.shape == reference.shape, "\(name) \(parameter.name)")
            #expect(exact ? ends == reference.ends : close(ends, reference.ends), "\(name) \(parameter.name)")
            let sum = TensorSummary.sum(of: values)
            #expect(abs(sum - reference.sum) <= (exact ? 1e-9 : 1e-6 * reference.absSum + 1e-9), "\(name) \(parameter.name): sum \(sum)")
        }
    }

    @Test("LeNet-5 from seed 0 starts from PyTorch's weights and shuffles MNIST in PyTorch's order")
    func lenetAsInPyTorch() throws {
        let reference = try #require(Self.cases["lenet5_seed0"] as? [String: Any])
        let generator = SharedGenerator(seed: 0)
        let model = GlobalGenerator.using(generator) { LeNet5() }
        try Self.expectParameters(of: model, like: reference["parameters"], name: "lenet5", exact: true)
        var g = generator.state
        #expect(Array(g.permutation(60000).prefix(32)) == reference["epoch1_order_first32"] as? [Int])
        #expect(Array(g.permutation(60000).prefix(32)) == reference["epoch2_order_first32"] as? [Int])
    }

    @Test("ResNet-18, VGG-11 and GoogLeNet start from torchvision's weights for the same seed, ResNet-20 from the He-init reproduction's",
          arguments: ["resnet18", "vgg11", "googlenet", "resnet20"])
    func zooModelsAsInPyTorch(name: String) throws {
        let model = try GlobalGenerator.seeded(0) { try ModelZoo.make(name, classes: 10) }
        try Self.expectParameters(of: model, like: Self.cases["\(name)_seed0"], name: name, exact: false)
    }

    @Test("a saved state continues the same stream, a pending normal sample included")
    func stateRoundTrip() throws {
        var g = RandomGenerator(seed: 11)
        for _ in 0..<700 { _ = g.next32() }  // past the first block of 624 words
        _ = g.nextNormal()                    // leaves the pair's second sample pending
        var restored = try #require(RandomGenerator(words: g.words))
        #expect(restored == g)
        #expect((0..<5).map { _ in restored.nextNormal() } == (0..<5).map { _ in g.nextNormal() })
        #expect((0..<1000).map { _ in restored.next32() } == (0..<1000).map { _ in g.next32() })
        #expect(RandomGenerator(words: Array(g.words.dropLast(2))) == nil)
        #expect(RandomGenerator(words: g.words.prefix(624) + [625]) == nil, "position beyond the block")
        #expect(RandomGenerator(words: [UInt64(1) << 40] + g.words.dropFirst()) == nil, "a state word over 32 bits")
    }
}
