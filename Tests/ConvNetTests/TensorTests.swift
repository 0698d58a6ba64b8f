import ConvNet
import Testing

@Suite("tensors")
struct TensorTests {
    @Test("creation and element access")
    func creation() throws {
        #expect(Tensor.zeros([2, 3]).scalars == [0, 0, 0, 0, 0, 0])
        #expect(Tensor.ones([2]).scalars == [1, 1])
        #expect(Tensor.full([1, 2], 7).scalars == [7, 7])
        #expect(Tensor.arange(4).scalars == [0, 1, 2, 3])
        let t = try Tensor(shape: [2, 2], scalars: [1, 2, 3, 4])
        #expect(t.shape == [2, 2] && t.count == 4 && t.rank == 2)
        #expect(try Tensor(3).item() == 3)
    }

    @Test("seeded random tensors are reproducible and have the asked-for statistics")
    func randomness() {
        var a = RandomGenerator(seed: 7), b = RandomGenerator(seed: 7), c = RandomGenerator(seed: 8)
        let x = Tensor.randn([10_000], mean: 1, std: 2, generator: &a)
        #expect(x.scalars == Tensor.randn([10_000], mean: 1, std: 2, generator: &b).scalars)
        #expect(x.scalars != Tensor.randn([10_000], mean: 1, std: 2, generator: &c).scalars)
        let m = x.scalars.reduce(0, +) / 10_000
        let v = x.scalars.map { ($0 - m) * ($0 - m) }.reduce(0, +) / 10_000
        #expect(abs(m - 1) < 0.06 && abs(v.squareRoot() - 2) < 0.06)
        let u = Tensor.uniform([10_000], low: -1, high: 3, generator: &a).scalars
        #expect(u.min()! >= -1 && u.max()! < 3 && abs(u.reduce(0, +) / 10_000 - 1) < 0.05)
    }

    @Test("broadcasting arithmetic")
    func broadcasting() throws {
        let a = try Tensor(shape: [2, 3], scalars: [1, 2, 3, 4, 5, 6])
        let row = try Tensor(shape: [3], scalars: [10, 20, 30])
        let column = try Tensor(shape: [2, 1], scalars: [100, 200])
        #expect(try (a + row).scalars == [11, 22, 33, 14, 25, 36])
        #expect(try (a * column).scalars == [100, 200, 300, 800, 1000, 1200])
        #expect(try (column - row).shape == [2, 3])
        #expect(try (column - row).scalars == [90, 80, 70, 190, 180, 170])
        #expect(try (a / Tensor(2)).scalars == [0.5, 1, 1.5, 2, 2.5, 3])
        #expect((a * 2 + 1).scalars == [3, 5, 7, 9, 11, 13])
    }

    @Test("reductions")
    func reductions() throws {
        let a = try Tensor(shape: [2, 3], scalars: [1, 5, 3, 4, 2, 6])
        #expect(try a.sum().item() == 21)
        #expect(try a.mean().item() == 3.5)
        #expect(try a.sum(dim: 0).scalars == [5, 7, 9])
        #expect(try a.sum(dim: 1, keepDims: true).shape == [2, 1])
        #expect(try a.mean(dim: -1).scalars == [3, 4])
        let (values, indices) = try a.max(dim: 1)
        #expect(values.scalars == [5, 6] && indices == [1, 2])
        #expect(try a.argmax(dim: 0) == [1, 0, 1])
        #expect(try a.max() == 6)
    }

    @Test("shape operations")
    func shapes() throws {
        let a = try Tensor(shape: [2, 3], scalars: [1, 2, 3, 4, 5, 6])
        let r = try a.reshaped([3, -1])
        #expect(r.shape == [3, 2])
        #expect(r.plainStorage() === a.plainStorage(), "reshape is a view")
        #expect(try a.transposed().scalars == [1, 4, 2, 5, 3, 6])
        #expect(try Tensor.zeros([2, 3, 4, 5]).flattened().shape == [2, 60])
        #expect(try a.slice(1..<2).scalars == [4, 5, 6])
        let b = try Tensor(shape: [2, 1], scalars: [7, 8])
        #expect(try concat([a, b], dim: 1).scalars == [1, 2, 3, 7, 4, 5, 6, 8])
        #expect(try concat([a, a], dim: 0).shape == [4, 3])
    }

    @Test("matmul and linear match hand-computed products")
    func products() throws {
        let a = try Tensor(shape: [2, 3], scalars: [1, 2, 3, 4, 5, 6])
        let b = try Tensor(shape: [3, 2], scalars: [1, 0, 0, 1, 1, 1])
        #expect(try matmul(a, b).scalars == [4, 5, 10, 11])
        let w = try Tensor(shape: [1, 3], scalars: [1, 1, 1])
        #expect(try linear(a, weight: w, bias: Tensor(shape: [1], scalars: [0.5])).scalars == [6.5, 15.5])
    }

    @Test("softmax rows sum to one and survive large logits")
    func softmaxStable() throws {
        let x = try Tensor(shape: [2, 3], scalars: [1000, 1001, 1002, -5, 0, 5])
        let s = try x.softmax(dim: 1).scalars
        #expect(abs(s[0] + s[1] + s[2] - 1) < 1e-6 && abs(s[3] + s[4] + s[5] - 1) < 1e-6)
        #expect(s.allSatisfy { $0.isFinite })
        let ls = try x.logSoftmax(dim: 1).scalars
        #expect(ls.allSatisfy { $0.isFinite && $0 <= 0 })
    }
}
