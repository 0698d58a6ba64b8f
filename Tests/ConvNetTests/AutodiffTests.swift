import ConvNet
import Testing

@Suite("reverse-mode autodiff")
struct AutodiffTests {
    @Test("gradients accumulate when a tensor is used twice")
    func accumulation() throws {
        let x = try Tensor(shape: [3], scalars: [1, -2, 3], requiresGrad: true)
        let y = try (x * x + x).sum()  // dy/dx = 2x + 1
        try y.backward()
        #expect(x.grad?.scalars == [3, -3, 7])
    }

    @Test("a residual skip sums both paths")
    func residual() throws {
        var gen = RandomGenerator(seed: 1)
        let x = Tensor.randn([1, 2, 5, 5], generator: &gen, requiresGrad: true)
        let w = Tensor.zeros([2, 2, 3, 3], requiresGrad: true)  // conv path contributes nothing to dx…
        let y = try add(conv2d(x, w, padding: 1), x).sum()
        try y.backward()
        #expect(x.grad?.scalars == [Float](repeating: 1, count: 50))  // …so dx is the skip's 1s
        #expect(w.grad != nil)
    }

    @Test("grad accumulates across backward calls until cleared")
    func gradAccumulatesAcrossCalls() throws {
        let w = try Tensor(shape: [2], scalars: [1, 2], requiresGrad: true)
        try (w * 3).sum().backward()
        try (w * 3).sum().backward()
        #expect(w.grad?.scalars == [6, 6])
        w.grad = nil
        try (w * 2).sum().backward()
        #expect(w.grad?.scalars == [2, 2])
    }

    @Test("no gradient for tensors that do not need one")
    func frozenInputs() throws {
        var gen = RandomGenerator(seed: 2)
        let input = Tensor.randn([2, 3], generator: &gen)  // the network input
        let frozen = Tensor.randn([4, 3], generator: &gen)  // a frozen layer
        let trained = Tensor.randn([2, 4], generator: &gen, requiresGrad: true)
        let h = try linear(input, weight: frozen)
        #expect(!h.requiresGrad)
        let loss = try linear(h, weight: trained).sum()
        try loss.backward()
        #expect(input.grad == nil)
        #expect(frozen.grad == nil)
        #expect(trained.grad != nil)
    }

    @Test("no-grad mode records nothing")
    func noGrad() throws {
        let w = Tensor.ones([3], requiresGrad: true)
        let y = withNoGrad { (w * 2).exp() }
        #expect(!y.requiresGrad)
        #expect(y.isLeaf)
        #expect(throws: ConvNetError.self) { try y.sum().backward() }
        #expect(GradMode.isEnabled)
    }

    @Test("running backward twice without retainGraph is an error, with it gradients add")
    func retainGraph() throws {
        let w = Tensor.ones([2], requiresGrad: true)
        let y = (w * 5).sum()
        try y.backward(retainGraph: true)
        try y.backward()
        #expect(w.grad?.scalars == [10, 10])
        #expect(throws: ConvNetError.self) { try y.backward() }
    }

    @Test("gradients(of:withRespectTo:) reaches intermediate tensors and leaves grad alone")
    func intermediateGradients() throws {
        let x = try Tensor(shape: [2], scalars: [1, 2], requiresGrad: true)
        let h = x * 3
        let y = try (h * h).sum()  // dy/dh = 2h = [6, 12], dy/dx = 18x = [18, 36]
        let g = try gradients(of: y, withRespectTo: [h, x])
        #expect(g[0].scalars == [6, 12])
        #expect(g[1].scalars == [18, 36])
        #expect(x.grad == nil)
    }

    @Test("a non-scalar output needs an upstream gradient of its shape")
    func upstreamShape() throws {
        let x = Tensor.ones([2, 2], requiresGrad: true)
        let y = x * 2
        #expect(throws: ConvNetError.self) { try y.backward() }
        #expect(throws: ConvNetError.self) { try y.backward(Tensor.ones([3])) }
        try y.backward(Tensor.ones([2, 2]))
        #expect(x.grad?.scalars == [2, 2, 2, 2])
    }

    @Test("deep chains do not overflow the stack")
    func deepChain() throws {
        let x = Tensor.ones([1], requiresGrad: true)
        var y = x
        for _ in 0..<20_000 { y = y * 1 }
        try y.sum().backward()
        #expect(x.grad?.scalars == [1])
    }
}
