import ConvNet
import Foundation
import Testing

/// The modern zoo (issue 24) against torchvision, from Fixtures/zoo-modern-seeded-logits.safetensors
/// (Tools/export_modern_zoo_logits.py): each model's state_dict (names, order and shapes), its
/// parameter count, `summary`'s MACs against torchvision's published figure, and its logits from
/// seed-0 weights with the stored batch-norm tensors, eagerly and frozen.
@Suite("modern zoo against torchvision", .serialized)
struct ModernZooTests {
    static let fixtureName = "zoo-modern-seeded-logits.safetensors"

    /// The models the fixture holds.
    static let names = ["mobilenet_v2", "mobilenet_v3_small", "mobilenet_v3_large", "efficientnet_b0", "efficientnet_b1",
                        "efficientnet_b2", "efficientnet_b3", "efficientnet_v2_s", "resnext50_32x4d", "wide_resnet50_2",
                        "squeezenet1_0", "squeezenet1_1", "densenet121", "densenet169",
                        "shufflenet_v2_x0_5", "shufflenet_v2_x1_0"]

    static func contents() throws -> SafeTensors.Contents { try SafeTensors.read(path: Fixtures.directory.appendingPathComponent(fixtureName).path) }

    @Test("every model of the fixture is in the zoo, and every modern zoo model in the fixture")
    func coverage() throws {
        let stored = Set(try Self.contents().metadata.keys.filter { !$0.contains("/") })
        #expect(stored == Set(Self.names))
        for name in Self.names { #expect(ModelZoo.names.contains(name)) }
    }

    @Test("state_dict names, order and shapes are torchvision's; the parameter count is exact", arguments: names)
    func stateDict(_ name: String) throws {
        let metadata = try Self.contents().metadata
        let want = try #require(metadata["\(name)/state_dict"]).split(separator: ";").map(String.init)
        let model = try ModelZoo.make(name)
        let ours = model.stateDict().map { entry in
            // torchvision's num_batches_tracked is a 0-d tensor; ours holds its one value as [1] or [].
            let dims = entry.name.hasSuffix("num_batches_tracked") ? "" : entry.tensor.shape.map(String.init).joined(separator: "x")
            return "\(entry.name):\(dims)"
        }
        #expect(ours.count == want.count, "\(name): \(ours.count) tensors, torchvision \(want.count)")
        for (i, (a, b)) in zip(ours, want).enumerated() where a != b {
            Issue.record("\(name): state_dict entry \(i) is \(a), torchvision's \(b)")
            break
        }
        #expect(model.parameterCount == Int(try #require(metadata["\(name)/parameters"])))
    }

    @Test("summary's MACs at 224² are within 1 % of torchvision's published figure", arguments: names)
    func multiplyAccumulates(_ name: String) throws {
        let text = try #require(try Self.contents().metadata["\(name)/gmacs"])
        let published = try #require(Double(text))
        let entry = try ModelZoo.entry(name)
        let summary = try ModelSummary.of(try entry.make(classes: nil), name: name, inputShape: entry.inputShape)
        let ours = Double(summary.totalMacs) / 1e9
        // The published figure has three decimals: within 1 % of it, or of its rounding interval.
        #expect(abs(ours - published) <= max(0.01 * published, 0.0005), "\(name): \(ours) GMACs, torchvision \(published)")
    }

    @Test("seed-0 logits match PyTorch's, eagerly and frozen", arguments: names)
    func logits(_ name: String) throws {
        let (model, input, stored) = try SeededZooLogitsTests.prepared(name, fixture: Self.fixtureName)
        model.eval()
        let want = try #require(stored["\(name)/logits"])
        let eager = try withNoGrad { try model(input) }
        try #require(eager.shape == want.shape)
        #expect(SeededZooLogitsTests.relativeError(eager, want) <= SeededZooLogitsTests.tolerance, "\(name) eager")
        let frozen = try model.frozen()
        let planned = try frozen(input)
        #expect(SeededZooLogitsTests.relativeError(planned, want) <= SeededZooLogitsTests.tolerance, "\(name) frozen: \(frozen.notes)")
        #expect(frozen.notes.first?.contains("convolutions fused") == true, "\(name) ran eagerly: \(frozen.notes)")
    }

    @Test("stochastic depth draws torchvision's keep decisions from the global generator, per sample and per batch")
    func stochasticDepth() throws {
        let stored = try Self.contents().dictionary
        let input = try #require(stored["stochastic_depth/input"])
        for mode in [StochasticDepth.Mode.row, .batch] {
            for p in ["0.3", "0.9"] {
                let want = try #require(stored["stochastic_depth/\(mode.rawValue)/\(p)"])
                let layer = try StochasticDepth(p: Double(p)!, mode: mode)
                let got = try GlobalGenerator.seeded(7) { try layer(input) }
                #expect(got.scalars == want.scalars, "\(mode) p = \(p): \(got.scalars.prefix(8)) against \(want.scalars.prefix(8))")
                layer.eval()
                #expect(try layer(input) === input, "evaluation mode is the identity")
            }
        }
        #expect(throws: ConvNetError.self) { try StochasticDepth(p: 1.5) }
    }
}

@Suite("modern zoo building blocks: bad arguments and chunking")
struct ModernBuildingBlockTests {
    @Test("chunked gives consecutive equal parts that concatenate back, and its backward scatters into place")
    func chunks() throws {
        var generator = RandomGenerator(seed: 5)
        let x = Tensor.randn([2, 6, 2, 2], generator: &generator, requiresGrad: true)
        let parts = try x.chunked(3, dim: 1)
        #expect(parts.map(\.shape) == Array(repeating: [2, 2, 2, 2], count: 3))
        #expect(try concat(parts, dim: 1).scalars == x.scalars)
        let weight = Tensor.randn([2, 2, 2, 2], generator: &generator)
        try (parts[1] * weight).sum().backward()
        let grad = try #require(x.grad)
        for n in 0..<2 {
            for c in 0..<6 {
                for i in 0..<4 {
                    let want: Float = (2..<4).contains(c) ? weight.scalars[((n * 2) + c - 2) * 4 + i] : 0
                    #expect(grad.scalars[(n * 6 + c) * 4 + i] == want)
                }
            }
        }
        #expect(throws: ConvNetError.self) { try x.chunked(4, dim: 1) }
        #expect(throws: ConvNetError.self) { try x.chunked(2, dim: 4) }
        #expect(throws: ConvNetError.self) { try x.chunked(0, dim: 1) }
    }

    @Test("named containers refuse empty, dotted and repeated names; blocks refuse impossible shapes")
    func badArguments() throws {
        #expect(throws: ConvNetError.self) { try NamedSequential([("", ReLU())]) }
        #expect(throws: ConvNetError.self) { try NamedSequential([("a.b", ReLU())]) }
        #expect(throws: ConvNetError.self) { try NamedSequential([("a", ReLU()), ("a", ReLU())]) }
        #expect(try NamedSequential([("conv0", ReLU()), ("relu0", ReLU())]).children.map(\.name) == ["conv0", "relu0"])
        #expect(throws: ConvNetError.self) { try ResNet(depth: 18, groups: 32, widthPerGroup: 4) }
        #expect(throws: ConvNetError.self) { try ResNet(depth: 50, groups: 0) }
        #expect(throws: ConvNetError.self) { try ShuffleUnit(24, 48, stride: 1) }
        #expect(throws: ConvNetError.self) { try ShuffleUnit(24, 48, stride: 3) }
        #expect(throws: ConvNetError.self) { try DenseNet(depth: 100) }
    }
}
