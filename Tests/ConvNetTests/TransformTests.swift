import ConvNet
import Foundation
import Testing

/// Our transforms against torchvision's (Tools/export_torchvision_transforms.py): each case is a
/// pipeline text that torchvision evaluated as Python and we parse as `--augment`, applied image
/// after image after seeding; outputs must agree to 1e-5 and the generator must then continue
/// where PyTorch's did (four more randint draws), so the number of draws matches too.
@Suite("transforms: torchvision's, draw for draw")
struct TransformTests {
    struct Case {
        var name: String, seed: UInt64, pipeline: String, images: Int, tail: [Int]
    }

    nonisolated(unsafe) static let fixture = try? SafeTensors.read(path: Fixtures.directory.appendingPathComponent("torchvision-transforms.safetensors").path)

    static var cases: [Case] {
        guard let text = fixture?.metadata["cases"],
              let list = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [[String: Any]] else { return [] }
        return list.compactMap { item in
            guard let name = item["name"] as? String, let seed = item["seed"] as? Int, let pipeline = item["pipeline"] as? String,
                  let images = item["images"] as? Int, let tail = item["tail"] as? [Int] else { return nil }
            return Case(name: name, seed: UInt64(seed), pipeline: pipeline, images: images, tail: tail)
        }
    }

    static func tensor(_ name: String) throws -> Tensor {
        guard let tensor = fixture?.tensors.first(where: { $0.name == name })?.tensor else {
            throw ConvNetError(op: "fixture", "no tensor \(name)")
        }
        return tensor
    }

    @Test("the fixture holds every kind of case")
    func fixtureIsThere() {
        #expect(Self.cases.count >= 20)
    }

    @Test("each pipeline gives torchvision's images and leaves the generator where PyTorch's was",
          arguments: TransformTests.cases.map(\.name))
    func pipeline(_ name: String) throws {
        let testCase = try #require(Self.cases.first { $0.name == name })
        let pipeline = try TransformSpec.parse(testCase.pipeline)
        var generator = RandomGenerator(seed: testCase.seed)
        for k in 0..<testCase.images {
            let input = try Self.tensor("\(name).input.\(k)"), expected = try Self.tensor("\(name).output.\(k)")
            let bytes = input.scalars.map { UInt8($0) }
            let image = bytes.withUnsafeBufferPointer {
                FloatImage(planes: $0, channels: input.shape[0], height: input.shape[1], width: input.shape[2])
            }
            let output = try pipeline(image, generator: &generator)
            #expect([output.channels, output.height, output.width] == expected.shape, "\(name) image \(k)")
            guard [output.channels, output.height, output.width] == expected.shape else { continue }
            let worst = zip(output.values, expected.scalars).map { abs($0 - $1) }.max() ?? 0
            #expect(worst <= 1e-5, "\(name) image \(k): largest difference \(worst)")
        }
        let tail = (0..<4).map { _ in generator.randomInteger(below: 1 << 30) }
        #expect(tail == testCase.tail, "\(name): the generator drew a different number of values")
    }

    @Test("a perturbed pipeline fails: the comparison can tell")
    func comparisonCanFail() throws {
        let testCase = try #require(Self.cases.first { $0.name == "color_jitter" })
        // Hue left out: same draws for the other factors, but other images.
        let pipeline = try TransformSpec.parse("ColorJitter(brightness=0.4, contrast=0.4, saturation=0.4, hue=0.05)")
        var generator = RandomGenerator(seed: testCase.seed)
        let input = try Self.tensor("color_jitter.input.0"), expected = try Self.tensor("color_jitter.output.0")
        let image = input.scalars.map { UInt8($0) }.withUnsafeBufferPointer {
            FloatImage(planes: $0, channels: 3, height: input.shape[1], width: input.shape[2])
        }
        let output = try pipeline(image, generator: &generator)
        #expect((zip(output.values, expected.scalars).map { abs($0 - $1) }.max() ?? 0) > 1e-3)
    }

    @Test("presets and the printed form read back")
    func presets() throws {
        let cifar = try TransformSpec.parse("cifar", imageSize: ImageSize(32))
        #expect(cifar.description == "RandomCrop(32, padding=4), RandomHorizontalFlip()")
        let imagenet = try TransformSpec.parse("imagenet", imageSize: ImageSize(64))
        #expect(imagenet.description == "RandomResizedCrop(64), RandomHorizontalFlip()")
        #expect(try TransformSpec.parse("none").transforms.isEmpty)
        let text = "RandomCrop((20, 24), padding=(2, 3), padding_mode=reflect), ColorJitter(brightness=(0.5, 1.5), contrast=None, saturation=None, hue=(-0.5, 0.5))"
        let parsed = try TransformSpec.parse(text)
        #expect(try TransformSpec.parse(parsed.description).description == parsed.description)
        #expect(try TransformSpec.parse("T.RandomHorizontalFlip(p=0.25), randomverticalflip").description
            == "RandomHorizontalFlip(p=0.25), RandomVerticalFlip()")
    }

    @Test("bad pipelines are one clear error naming --augment", arguments: [
        "RandomCrop(32, padding=4", "RandomCrop(padding=4)", "Blur(3)", "RandomCrop(32, padding=-1)",
        "RandomHorizontalFlip(p=2)", "ColorJitter(hue=0.7)", "RandomCrop(32, padding_mode='wrap')", "RandomCrop(32,, 4)",
        "RandomCrop(size=32, size=30)", "RandomCrop(padding=4, 32)", "Resize(32, interpolation='nearest')", "Normalize(mean=(0.5,))",
        "ColorJitter(brightness=(2, 1))", "RandomResizedCrop(32, scale=(1, 0.5))", "Lighting(pca='mine')", "RandomCrop(32) RandomCrop(32)",
        "Resize(1000000)", "CenterCrop((9000, 5))", "Pad(99999)", "RandomCrop(32, padding=1e300)",
    ])
    func badPipelines(_ text: String) throws {
        do {
            _ = try TransformSpec.parse(text)
            Issue.record("\(text) was accepted")
        } catch let error as ConvNetError {
            #expect(error.op == "`augment`", "\(text): \(error)")
        }
    }

    @Test("a resize whose longer side would exceed the limit is an error, not an allocation of terabytes")
    func hugeResize() throws {
        let thin = try FloatImage(channels: 1, height: 1, width: 4000, values: [Float](repeating: 0.5, count: 4000))
        var generator = RandomGenerator(seed: 0)
        #expect(throws: ConvNetError.self) { try Resize(4000)(thin, generator: &generator) }
        #expect(try Resize(2)(thin, generator: &generator).width == 8000)
        // Areas and ratios beyond any image (found by make fuzz: Int(∞) trapped) fall back to the central crop.
        let image = try FloatImage(channels: 3, height: 12, width: 10, values: [Float](repeating: 0.5, count: 360))
        for text in ["RandomResizedCrop(6, scale=(0.5, 1e300))", "RandomResizedCrop(6, ratio=(1e300, 1e301))",
                     "RandomResizedCrop(6, scale=(1e-300, 1e-299))"] {
            #expect(try TransformSpec.parse(text)(image, generator: &generator).height == 6, "\(text)")
        }
    }

    @Test("a crop larger than the padded image is an error, not a trap")
    func cropTooLarge() throws {
        let image = try FloatImage(channels: 3, height: 8, width: 8, values: [Float](repeating: 0.5, count: 3 * 8 * 8))
        var generator = RandomGenerator(seed: 0)
        #expect(throws: ConvNetError.self) { try RandomCrop(12, padding: 1)(image, generator: &generator) }
        #expect(throws: ConvNetError.self) { try Pad(Padding(left: 8, top: 0, right: 0, bottom: 0), mode: .reflect)(image, generator: &generator) }
        #expect(try RandomCrop(12, padding: 2)(image, generator: &generator).height == 12)
    }

    @Test("Lighting's principal components of a dataset diagonalise its covariance")
    func principalComponents() throws {
        var generator = RandomGenerator(seed: 3)
        var pixels = [UInt8]()
        for _ in 0..<(20 * 16) {
            let base = Double(generator.next32() % 200), noise = { Double(generator.next32() % 40) }
            pixels += [UInt8(base + noise() * 0.3), UInt8(base * 0.5 + noise()), UInt8(255 - base * 0.7 - noise() * 0.5)]
        }
        // Interleaved triples → CHW planes of 20 images of 4×4.
        var planes = [UInt8](repeating: 0, count: pixels.count)
        for image in 0..<20 { for i in 0..<16 { for c in 0..<3 { planes[image * 48 + c * 16 + i] = pixels[(image * 16 + i) * 3 + c] } } }
        let dataset = try ImageDataset(pixels: planes, labels: [Int](repeating: 0, count: 20), channels: 3, height: 4, width: 4, classNames: ["a"])
        let covariance = ChannelStatistics(dataset).covariance
        let (values, vectors) = try Lighting.principalComponents(of: dataset)
        #expect(values[0] >= values[1] && values[1] >= values[2])
        for j in 0..<3 {  // C·v = λ·v
            for i in 0..<3 {
                let cv = (0..<3).reduce(0.0) { $0 + covariance[i][$1] * Double(vectors[$1][j]) }
                #expect(abs(cv - Double(values[j] * vectors[i][j])) < 1e-5)
            }
        }
    }
}
