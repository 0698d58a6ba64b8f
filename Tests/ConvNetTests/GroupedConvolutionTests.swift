import ConvNet
import Foundation
import Testing

/// Grouped and dilated convolution beyond the golden cases and the finite-difference checks: the
/// geometry's formulas and refusals, the `Conv2d` module, the model summary, weight interchange,
/// both backends on MobileNet-like shapes (where oneDNN picks its depthwise kernels), and a
/// frozen model fusing them.
@Suite("grouped and dilated convolution")
struct GroupedConvolutionTests {
    @Test("geometry: PyTorch's output size, weight shape and FLOPs with groups and dilation")
    func geometry() throws {
        // ⌊(H + 2p − d·(K − 1) − 1)/s⌋ + 1: (13 + 6 − 6 − 1)/1 + 1 = 13, (12 + 6 − 4 − 1)/2 + 1 = 7.
        let g = Conv2dGeometry(batch: 2, inChannels: 6, height: 13, width: 12, outChannels: 9, kernel: 3,
                               stride: Size2(1, 2), padding: 3, dilation: Size2(3, 2), groups: 3)
        try g.validate()
        #expect(g.outputShape == [2, 9, 13, 7] && g.weightShape == [9, 2, 3, 3])
        #expect(g.effectiveKernelHeight == 7 && g.effectiveKernelWidth == 5)
        let flops: Double = 2 * 2 * 9 * 13 * 7 * 2 * 3 * 3  // 2·N·C_out·H_out·W_out·(C_in/G)·K_h·K_w
        #expect(g.forwardFlops == flops)
        // Part of the key of cached primitives: another group count or dilation is another geometry.
        var other = g
        other.groups = 1
        #expect(other != g && other.weightShape == [9, 6, 3, 3])
        other = g
        other.dilationWidth = 1
        #expect(other != g && other.outWidth == 8)
    }

    @Test("conv2d: groups and dilation that do not fit are clear errors, not traps")
    func refusals() {
        let x = Tensor.zeros([2, 6, 8, 8])
        func message(_ body: () throws -> Tensor) -> String {
            do { _ = try body(); return "no error" } catch let e as ConvNetError { return "\(e.op): \(e.message)" } catch { return "\(error)" }
        }
        let cases: [(String, () throws -> Tensor)] = [
            ("conv2d: groups 0 must be positive", { try conv2d(x, Tensor.zeros([6, 6, 3, 3]), groups: 0) }),
            ("conv2d: groups -2 must be positive", { try conv2d(x, Tensor.zeros([6, 6, 3, 3]), groups: -2) }),
            ("6 channels, which do not divide into 4 groups", { try conv2d(x, Tensor.zeros([4, 1, 3, 3]), groups: 4) }),
            ("3 per group of 2, but weight [4, 2, 3, 3] expects 2 per group", { try conv2d(x, Tensor.zeros([4, 2, 3, 3]), groups: 2) }),
            ("output channels 4 must be divisible by groups 3", { try conv2d(x, Tensor.zeros([4, 2, 3, 3]), groups: 3) }),
            ("dilation (0, 1) must be positive", { try conv2d(x, Tensor.zeros([4, 6, 3, 3]), dilation: Size2(0, 1)) }),
            ("kernel 9×9 (kernel 3×3 with dilation (4, 4)) is larger than the padded input 8×8",
             { try conv2d(x, Tensor.zeros([4, 6, 3, 3]), dilation: 4) }),
            // Every size is checked to be below 2³¹ before the span d·(K − 1) + 1 is formed.
            ("must each be below 2^31", { try conv2d(x, Tensor.zeros([4, 6, 3, 3]), dilation: Size2(Int.max, 1)) }),
            ("is larger than the padded input", { try conv2d(x, Tensor.zeros([4, 6, 3, 3]), padding: 1, dilation: Size2(Int(Int32.max), 1)) }),
            ("which do not divide into \(Int.max) groups", { try conv2d(x, Tensor.zeros([6, 1, 3, 3]), groups: Int.max) }),
        ]
        for (expected, body) in cases {
            let got = message(body)
            #expect(got.contains(expected), "expected “\(expected)”, got “\(got)”")
        }
    }

    @Test("Conv2d(…, dilation:, groups:): shapes, parameters, PyTorch's initialisation bound")
    func module() throws {
        let conv = try GlobalGenerator.seeded(3) { try Conv2d(8, 16, kernelSize: 3, padding: 2, dilation: 2, groups: 4) }
        #expect(conv.weight.shape == [16, 2, 3, 3] && conv.bias?.shape == [16] && conv.groups == 4 && conv.dilation == 2)
        #expect(conv.parameterCount == 16 * 2 * 9 + 16)
        #expect(try conv(Tensor.zeros([2, 8, 10, 10])).shape == [2, 16, 10, 10])
        // fan_in = (C_in/groups)·K_h·K_w = 18: weights and bias within ±1/√18, and reaching near it.
        let bound = 1 / Float(18).squareRoot()
        let w = conv.weight.scalars.map(abs), b = conv.bias!.scalars.map(abs)
        #expect(w.max()! <= bound && w.max()! > 0.9 * bound && b.max()! <= bound, "\(w.max()!) \(b.max()!) vs \(bound)")
        let depthwise = try Conv2d(32, 32, kernelSize: 3, stride: 2, padding: 1, groups: 32, bias: false)
        #expect(depthwise.weight.shape == [32, 1, 3, 3] && depthwise.parameterCount == 288)
        #expect(try depthwise(Tensor.zeros([1, 32, 7, 7])).shape == [1, 32, 4, 4])
        // The plain initializer is unchanged (and needs no try).
        #expect(Conv2d(3, 4, kernelSize: 3).groups == 1 && Conv2d(3, 4, kernelSize: 3).dilation == 1)
    }

    @Test("Conv2d with groups or a dilation that do not fit: one clear error naming the rule")
    func moduleRefusals() {
        for (expected, body) in [
            ("in_channels 5 must be divisible by groups 2", { _ = try Conv2d(5, 4, kernelSize: 3, groups: 2) }),
            ("out_channels 5 must be divisible by groups 2", { _ = try Conv2d(4, 5, kernelSize: 3, groups: 2) }),
            ("groups 0 must be positive", { _ = try Conv2d(4, 4, kernelSize: 3, groups: 0) }),
            ("dilation (1, 0) must be positive", { _ = try Conv2d(4, 4, kernelSize: 3, dilation: Size2(1, 0)) }),
        ] as [(String, () throws -> Void)] {
            do {
                try body()
                Issue.record("no error for \(expected)")
            } catch let error as ConvNetError {
                #expect(error.op == "Conv2d" && error.message.contains(expected), "\(error)")
            } catch {
                Issue.record("unexpected \(error)")
            }
        }
    }

    /// A MobileNet-like block: stem, depthwise 3×3 (stride 2), pointwise, and a dilated 3×3.
    static func block() throws -> Sequential {
        Sequential(Conv2d(3, 8, kernelSize: 3, padding: 1), BatchNorm2d(8), ReLU(),
                   try Conv2d(8, 8, kernelSize: 3, stride: 2, padding: 1, groups: 8, bias: false), BatchNorm2d(8), ReLU(),
                   try Conv2d(8, 16, kernelSize: 1, groups: 2), ReLU(),
                   try Conv2d(16, 6, kernelSize: 3, padding: 2, dilation: 2))
    }

    @Test("model summary: parameters and multiply-accumulates of grouped and dilated layers")
    func summary() throws {
        let summary = try ModelSummary.of(try Self.block(), name: "block", inputShape: [3, 12, 12])
        let convs = summary.layers.filter { $0.type == "Conv2d" }
        #expect(convs.map(\.params) == [8 * 27 + 8, 8 * 9, 16 * 4 + 16, 6 * 16 * 9 + 6])
        // C_out·H_out·W_out·(C_in/groups)·K_h·K_w.
        #expect(convs.map(\.macs) == [8 * 144 * 27, 8 * 36 * 9, 16 * 36 * 4, 6 * 36 * 16 * 9])
        #expect(convs.map(\.outputShape) == [[8, 12, 12], [8, 6, 6], [16, 6, 6], [6, 6, 6]])
    }

    @Test("a state_dict takes grouped weights in PyTorch's shape [out, in/groups, k, k] and refuses others")
    func stateDictShapes() throws {
        let model = try Self.block()
        var state = Dictionary(uniqueKeysWithValues: model.stateDict().map { ($0.name, $0.tensor) })
        #expect(state["3.weight"]?.shape == [8, 1, 3, 3] && state["6.weight"]?.shape == [16, 4, 1, 1])
        state["3.weight"] = Tensor.full([8, 1, 3, 3], 0.25)
        try model.loadStateDict(state)
        #expect(model.stateDict().first { $0.name == "3.weight" }?.tensor.scalars.allSatisfy { $0 == 0.25 } == true)
        state["3.weight"] = Tensor.zeros([8, 8, 3, 3])  // an ungrouped layer's weight
        do {
            try model.loadStateDict(state)
            Issue.record("a [8, 8, 3, 3] weight loaded into a depthwise layer")
        } catch let error as ConvNetError {
            #expect(error.message.contains("3.weight has shape [8, 8, 3, 3] in the state but [8, 1, 3, 3] in the model"), "\(error)")
        }
    }

    /// Depthwise (16 and 48 channels: oneDNN's depthwise kernels work in blocks of 16), depthwise
    /// with a multiplier, grouped 1×1, dilated, and grouped and dilated with a stride.
    static let backendCases: [(x: [Int], w: [Int], stride: Size2, padding: Size2, dilation: Size2, groups: Int)] = [
        ([2, 16, 14, 14], [16, 1, 3, 3], 1, 1, 1, 16),
        ([2, 48, 9, 9], [48, 1, 3, 3], 2, 1, 1, 48),
        ([1, 8, 10, 10], [24, 1, 5, 5], 1, 2, 1, 8),
        ([2, 24, 7, 7], [12, 8, 1, 1], 1, 0, 1, 3),
        ([1, 16, 12, 12], [16, 16, 3, 3], 1, 2, 2, 1),
        ([2, 32, 11, 13], [16, 8, 3, 3], Size2(2, 1), Size2(2, 3), Size2(2, 3), 4),
    ]

    @Test("both backends agree on forward, dX, dW and db, also reading oneDNN's blocked output of a previous layer",
          arguments: backendCases.indices)
    func backendsAgree(_ index: Int) throws {
        let k = Self.backendCases[index]
        var gen = RandomGenerator(seed: UInt64(20 + index))
        let x = Tensor.randn(k.x, generator: &gen, requiresGrad: true)
        let w = Tensor.randn(k.w, std: 0.3, generator: &gen, requiresGrad: true)
        let b = Tensor.randn([k.w[0]], generator: &gen, requiresGrad: true)
        // A 1×1 convolution first, so that on oneDNN the grouped one reads a tensor in oneDNN's layout.
        let mix = Tensor.randn([k.x[1], k.x[1], 1, 1], std: 0.3, generator: &gen)
        func run(_ backend: ComputeBackend) throws -> [[Float]] {
            try Backend.with(backend) {
                let y = try conv2d(conv2d(x, mix), w, bias: b, stride: k.stride, padding: k.padding, dilation: k.dilation,
                                   groups: k.groups)
                var upstreamGen = RandomGenerator(seed: 5)
                let grads = try gradients(of: y, withRespectTo: [x, w, b], upstream: Tensor.randn(y.shape, generator: &upstreamGen))
                return [y.scalars] + grads.map(\.scalars)
            }
        }
        let (reference, fast) = (try run(.reference), try run(.oneDNN))
        for (what, (r, f)) in zip(["y", "dX", "dW", "db"], zip(reference, fast)) {
            let scale = max(1, r.map(abs).max() ?? 0)
            let worst = zip(r, f).map { abs($0 - $1) }.max() ?? 0
            #expect(r.count == f.count && worst <= 1e-4 * scale, "case \(index) \(what): \(worst) at scale \(scale)")
        }
    }

    @Test("a frozen model folds batch norm into depthwise and dilated convolutions and equals the eager one")
    func frozen() throws {
        let model = try GlobalGenerator.seeded(4) { try Self.block() }
        randomizeBatchNorms(model, seed: 6)
        model.eval()
        var gen = RandomGenerator(seed: 7)
        let x = Tensor.randn([2, 3, 12, 12], generator: &gen)
        let eager = try withNoGrad { try model(x) }
        let frozen = try model.frozen()
        for _ in 0..<3 { #expect(relativeDifference(try frozen(x), eager) <= 1e-5) }
        let note = try #require(frozen.notes.first)
        #expect(note.contains("4 convolutions fused (2 batch norms folded, 0 residual sums, 3 ReLUs)") && !note.contains("eagerly"),
                "\(frozen.notes)")
    }
}
