import ConvNet
import Testing

/// Properties that the mathematics of convolution and pooling guarantees.
@Suite("convolution and pooling properties")
struct ConvolutionPropertyTests {
    /// The lecture's worked example: a 3×3 image patch and a Sobel-like kernel.
    static let patch: [Float] = [200, 150, 150, 100, 50, 100, 25, 25, 10]
    static let sobel: [Float] = [1, 0, -1, 2, 0, -2, 1, 0, -1]

    @Test("the lecture's example: patch · K′ = 65", arguments: ComputeBackend.allCases)
    func lectureExample(backend: ComputeBackend) throws {
        let x = try Tensor(shape: [1, 1, 3, 3], scalars: Self.patch)
        let k = try Tensor(shape: [1, 1, 3, 3], scalars: Self.sobel)
        let y = try Backend.with(backend) { try conv2d(x, k) }
        #expect(y.shape == [1, 1, 1, 1])
        #expect(try y.item() == 65)
    }

    @Test("max pooling of the patch is 200, average pooling is 90", arguments: ComputeBackend.allCases)
    func lecturePooling(backend: ComputeBackend) throws {
        let x = try Tensor(shape: [1, 1, 3, 3], scalars: Self.patch)
        let (maxValue, average) = try Backend.with(backend) {
            (try maxPool2d(x, kernel: 3).item(), try avgPool2d(x, kernel: 3).item())
        }
        #expect(maxValue == 200)
        #expect(abs(average - 90) < 1e-4)
    }

    @Test("conv of a unit impulse returns the flipped kernel", arguments: ComputeBackend.allCases)
    func impulseResponse(backend: ComputeBackend) throws {
        var gen = RandomGenerator(seed: 11)
        let (kh, kw) = (3, 5)
        let kernel = Tensor.randn([1, 1, kh, kw], generator: &gen)
        var image = [Float](repeating: 0, count: 9 * 11)
        image[4 * 11 + 5] = 1  // impulse at (4, 5)
        let x = try Tensor(shape: [1, 1, 9, 11], scalars: image)
        let y = try Backend.with(backend) { try conv2d(x, kernel, padding: Size2(kh / 2, kw / 2)) }
        let k = kernel.scalars, out = y.scalars
        for a in 0..<kh {
            for b in 0..<kw {
                // y[4 − a + 1, 5 − b + 2] = K[a, b]  ⇔  the window around the impulse is K flipped.
                let yy = 4 + kh / 2 - a, xx = 5 + kw / 2 - b
                #expect(abs(out[yy * 11 + xx] - k[a * kw + b]) < 1e-6)
            }
        }
        // Everywhere else the response is zero.
        let nonzero = out.indices.filter { abs(out[$0]) > 1e-6 }.count
        #expect(nonzero <= kh * kw)
    }

    @Test("conv is translation-equivariant away from the borders", arguments: ComputeBackend.allCases)
    func translationEquivariance(backend: ComputeBackend) throws {
        var gen = RandomGenerator(seed: 12)
        let (c, h, w, dy, dx) = (2, 12, 13, 2, 3)
        let kernel = Tensor.randn([3, c, 3, 3], generator: &gen)
        let base = Tensor.randn([1, c, h, w], generator: &gen).scalars
        // shifted[y, x] = base[y − dy, x − dx]
        var shifted = [Float](repeating: 0, count: base.count)
        for ch in 0..<c { for y in dy..<h { for x in dx..<w { shifted[(ch * h + y) * w + x] = base[(ch * h + y - dy) * w + x - dx] } } }
        let (y0, y1) = try Backend.with(backend) {
            (try conv2d(Tensor(shape: [1, c, h, w], scalars: base), kernel, padding: 1),
             try conv2d(Tensor(shape: [1, c, h, w], scalars: shifted), kernel, padding: 1))
        }
        let a = y0.scalars, b = y1.scalars
        for o in 0..<3 {
            for y in (dy + 1)..<(h - 1) {
                for x in (dx + 1)..<(w - 1) {
                    #expect(abs(b[(o * h + y) * w + x] - a[(o * h + y - dy) * w + x - dx]) < 1e-4)
                }
            }
        }
    }

    @Test("both backends agree on a ResNet-sized layer, forward and backward")
    func backendsAgree() throws {
        var gen = RandomGenerator(seed: 13)
        let x = Tensor.randn([4, 16, 12, 12], generator: &gen, requiresGrad: true)
        let w = Tensor.randn([24, 16, 3, 3], std: 0.1, generator: &gen, requiresGrad: true)
        let b = Tensor.randn([24], generator: &gen, requiresGrad: true)
        let up = Tensor.randn([4, 24, 6, 6], generator: &gen)
        func run(_ backend: ComputeBackend) throws -> [Tensor] {
            try Backend.with(backend) {
                let y = try conv2d(x, w, bias: b, stride: 2, padding: 1)
                return [y] + (try gradients(of: y, withRespectTo: [x, w, b], upstream: up))
            }
        }
        let (ref, fast) = (try run(.reference), try run(.oneDNN))
        // Summation order differs between the paths, so compare relative to each tensor's scale.
        for (r, f) in zip(ref, fast) {
            let scale = r.scalars.map(abs).max() ?? 1
            let worst = zip(r.scalars, f.scalars).map { abs($0 - $1) }.max() ?? 0
            #expect(worst <= 1e-5 * scale, "worst difference \(worst) at scale \(scale)")
        }
    }
}
