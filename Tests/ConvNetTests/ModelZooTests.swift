import ConvNet
import Testing

@Suite("model zoo and summary", .serialized)
struct ModelZooTests {
    /// The parameter counts torchvision / the papers give.
    static let parameterCounts: [(String, Int)] = [
        ("lenet5", 61_706), ("lenet5-classic", 61_706),
        ("alexnet", 61_100_840), ("alexnet-2012", 62_378_344),
        ("vgg11", 132_863_336), ("vgg13", 133_047_848), ("vgg16", 138_357_544), ("vgg19", 143_667_240),
        ("vgg11-bn", 132_868_840), ("vgg16-bn", 138_365_992),
        ("resnet18", 11_689_512), ("resnet34", 21_797_672), ("resnet50", 25_557_032),
        ("resnet20", 269_722), ("resnet32", 464_154), ("resnet44", 658_586), ("resnet56", 853_018),
        ("googlenet", 6_624_904), ("mobilenet_v2", 3_504_872),
        ("mobilenet_v3_small", 2_542_856), ("mobilenet_v3_large", 5_483_032),
        ("efficientnet_b0", 5_288_548), ("efficientnet_b1", 7_794_184), ("efficientnet_b2", 9_109_994),
        ("efficientnet_b3", 12_233_232), ("efficientnet_v2_s", 21_458_488),
        ("resnext50_32x4d", 25_028_904), ("wide_resnet50_2", 68_883_240), ("squeezenet1_0", 1_248_424), ("squeezenet1_1", 1_235_496),
        ("densenet121", 7_978_856), ("densenet169", 14_149_480),
        ("shufflenet_v2_x0_5", 1_366_792), ("shufflenet_v2_x1_0", 2_278_604),
    ]

    @Test("parameter counts match the published architectures", arguments: parameterCounts.map(\.0))
    func parameterCount(_ name: String) throws {
        let expected = Self.parameterCounts.first { $0.0 == name }!.1
        #expect(try ModelZoo.make(name).parameterCount == expected)
    }

    /// Input sizes small enough for a quick forward and backward pass.
    static let reducedInputs: [(String, [Int])] = [
        ("lenet5", [1, 28, 28]), ("lenet5-classic", [1, 32, 32]), ("alexnet", [3, 64, 64]),
        ("alexnet-2012", [3, 227, 227]), ("vgg11", [3, 32, 32]), ("vgg13", [3, 32, 32]), ("vgg16", [3, 32, 32]),
        ("vgg19", [3, 32, 32]), ("vgg11-bn", [3, 32, 32]), ("vgg16-bn", [3, 32, 32]), ("resnet18", [3, 64, 64]),
        ("resnet34", [3, 64, 64]), ("resnet50", [3, 64, 64]), ("resnet20", [3, 32, 32]), ("resnet32", [3, 32, 32]),
        ("resnet44", [3, 32, 32]), ("resnet56", [3, 32, 32]), ("googlenet", [3, 64, 64]),
        ("mobilenet_v2", [3, 64, 64]), ("mobilenet_v3_small", [3, 64, 64]), ("mobilenet_v3_large", [3, 64, 64]),
        ("efficientnet_b0", [3, 64, 64]), ("efficientnet_v2_s", [3, 64, 64]), ("resnext50_32x4d", [3, 64, 64]),
        ("squeezenet1_1", [3, 64, 64]), ("densenet121", [3, 64, 64]),
        ("shufflenet_v2_x1_0", [3, 64, 64]),
    ]

    @Test("every model runs forward and backward on a batch of 2", arguments: reducedInputs.map(\.0))
    func forwardBackward(_ name: String) throws {
        let shape = Self.reducedInputs.first { $0.0 == name }!.1
        let model = try GlobalGenerator.seeded(1) { try ModelZoo.make(name, classes: 7) }
        var gen = RandomGenerator(seed: 2)
        let logits = try model(Tensor.randn([2] + shape, generator: &gen))
        #expect(logits.shape == [2, 7])
        #expect(logits.scalars.allSatisfy { $0.isFinite })
        try crossEntropy(logits, labels: [1, 5]).backward()
        for (pname, p) in model.namedParameters() {
            #expect(p.grad?.shape == p.shape, "\(name): no gradient for \(pname)")
            #expect(p.grad?.scalars.allSatisfy { $0.isFinite } ?? false, "\(name): non-finite gradient for \(pname)")
        }
    }

    @Test("torchvision's spellings name the same models (vgg11_bn, mobilenet-v2)")
    func torchvisionSpellings() throws {
        #expect(try ModelZoo.entry("vgg11_bn").name == "vgg11-bn")
        #expect(try ModelZoo.entry("lenet5_classic").name == "lenet5-classic")
        #expect(try ModelZoo.entry("mobilenet-v2").name == "mobilenet_v2")
        #expect(throws: ConvNetError.self) { try ModelZoo.entry("vgg11__bn") }
    }

    @Test("state_dict names follow torchvision")
    func torchvisionNames() throws {
        let resnet = try ModelZoo.make("resnet18").stateDict().map(\.name)
        #expect(resnet.prefix(7) == ["conv1.weight", "bn1.weight", "bn1.bias", "bn1.running_mean", "bn1.running_var",
                                     "bn1.num_batches_tracked", "layer1.0.conv1.weight"])
        #expect(resnet.contains("layer2.0.downsample.0.weight") && resnet.contains("layer4.1.bn2.running_var"))
        #expect(resnet.suffix(2) == ["fc.weight", "fc.bias"])
        let vgg = try ModelZoo.make("vgg16-bn").namedParameters().map(\.name)
        #expect(vgg.prefix(4) == ["features.0.weight", "features.0.bias", "features.1.weight", "features.1.bias"])
        #expect(vgg.suffix(2) == ["classifier.6.weight", "classifier.6.bias"])
        let google = try ModelZoo.make("googlenet").namedParameters().map(\.name)
        #expect(google.contains("inception3a.branch4.1.conv.weight") && google.contains("inception5b.branch3.1.bn.bias"))
        #expect(try ModelZoo.make("alexnet").namedParameters().map(\.name).contains("classifier.1.weight"))
    }

    @Test("the VGG-16 summary reproduces the classic table")
    func vggTable() throws {
        let summary = try ModelSummary.of(ModelZoo.make("vgg16"), name: "vgg16", inputShape: [3, 224, 224])
        let first = summary.layers[0]
        #expect(first.name == "features.0" && first.type == "Conv2d")
        #expect(first.outputShape == [64, 224, 224] && first.activations == 3_211_264 && first.weights == 1_728)
        let fc1 = summary.layers.first { $0.name == "classifier.0" }!
        #expect(fc1.weights == 102_760_448 && fc1.outputShape == [4096])
        #expect(summary.layers.filter { $0.type == "Conv2d" }.count == 13)
        #expect(summary.layers.filter { $0.type == "MaxPool2d" }.map(\.outputShape.last) == [112, 56, 28, 14, 7])
        #expect(summary.totalParams == 138_357_544)
        #expect(abs(Double(summary.totalMacs) / 1e9 - 15.47) < 0.01)
        #expect(summary.layers.reduce(0) { $0 + $1.params } == summary.totalParams)
        #expect(summary.trainingMemoryBytes == 3 * 138_357_544 * 4 + summary.activationsPerImage * 4)
    }

    @Test("summary batch scales activation memory; bad shapes and names are errors")
    func summaryErrors() throws {
        let one = try ModelSummary.of(LeNet5(), name: "lenet5", inputShape: [1, 28, 28], batch: 1)
        let many = try ModelSummary.of(LeNet5(), name: "lenet5", inputShape: [1, 28, 28], batch: 64)
        #expect(many.forwardActivationBytes == 64 * one.forwardActivationBytes)
        #expect(throws: ConvNetError.self) { try ModelSummary.of(LeNet5(), name: "lenet5", inputShape: [3, 28, 28]) }
        #expect(throws: ConvNetError.self) { try ModelSummary.of(LeNet5(), name: "lenet5", inputShape: [1, 28, 28], batch: 0) }
        #expect(throws: ConvNetError.self) { try ModelZoo.make("resnet9") }
    }

    @Test("ceil-mode max pooling matches PyTorch's output sizes")
    func ceilMode() throws {
        // PyTorch: MaxPool2d(3, 2, ceil_mode=True) maps 112 → 56, 56 → 28; MaxPool2d(2, 2, ceil_mode=True) maps 7 → 4.
        for (size, kernel, stride, padding, expected) in [(112, 3, 2, 0, 56), (56, 3, 2, 0, 28), (7, 2, 2, 0, 4), (5, 3, 1, 1, 5), (6, 3, 2, 1, 4)] {
            let x = Tensor.zeros([1, 1, size, size])
            let y = try maxPool2d(x, kernel: Size2(kernel), stride: Size2(stride), padding: Size2(padding), ceilMode: true)
            #expect(y.shape == [1, 1, expected, expected], "size \(size) k\(kernel) s\(stride) p\(padding)")
        }
        let x = try Tensor(shape: [1, 1, 3, 3], scalars: [1, 2, 3, 4, 5, 6, 7, 8, 9], requiresGrad: true)
        let y = try maxPool2d(x, kernel: 2, ceilMode: true)
        #expect(y.scalars == [5, 6, 8, 9])
        try y.sum().backward()
        #expect(x.grad?.scalars == [0, 0, 0, 0, 1, 1, 0, 1, 1])
    }
}
