import ConvNet
import Foundation
import Testing

@Suite("data loader with augmentation")
struct AugmentedLoaderTests {
    static func dataset(_ n: Int = 37) throws -> ImageDataset {
        var generator = RandomGenerator(seed: 11)
        let pixels = (0..<(n * 3 * 12 * 10)).map { _ in UInt8(generator.next32() & 0xFF) }
        return try ImageDataset(pixels: pixels, labels: (0..<n).map { $0 % 4 }, channels: 3, height: 12, width: 10,
                                classNames: ["a", "b", "c", "d"])
    }

    static let pipeline = "RandomCrop(10, padding=2), RandomHorizontalFlip(), ColorJitter(0.4, 0.4, 0.4, 0.1)"
    static let normalization = Normalization(mean: [0.4, 0.5, 0.6], std: [0.2, 0.25, 0.3])

    @Test("each image is the pipeline applied with its own generator, then normalised; the batch does not depend on workers")
    func perImageGenerators() throws {
        let data = try Self.dataset()
        let augmentation = try TransformSpec.parse(Self.pipeline)
        let loaders = try [1, 3, 8].map {
            try DataLoader(data, batchSize: 16, normalization: Self.normalization, prefetch: false, augmentation: augmentation,
                           augmentationSeed: 5, workers: $0)
        }
        #expect(loaders[0].outputHeight == 10 && loaders[0].outputWidth == 10)
        let order = loaders[0].order(epoch: 1)
        let batches = loaders.map { loader in (0..<loader.count).map { loader.batch($0, order: order, epoch: 1) } }
        for other in batches.dropFirst() {
            for (a, b) in zip(batches[0], other) { #expect(a.images.scalars == b.images.scalars && a.labels == b.labels) }
        }
        // Image 17 of the order, by hand.
        let sample = order[17]
        var generator = DataLoader.sampleGenerator(seed: 5, epoch: 1, index: sample)
        let input = data.pixels.withUnsafeBufferPointer {
            FloatImage(planes: UnsafeBufferPointer(rebasing: $0[(sample * 360)..<((sample + 1) * 360)]), channels: 3, height: 12, width: 10)
        }
        let expected = try Normalize(Self.normalization)(augmentation(input, generator: &generator), generator: &generator)
        let got = Array(batches[0][1].images.scalars[(1 * 300)..<(2 * 300)])
        #expect(got == expected.values)
        // Another epoch draws other crops, flips and colours for the same image.
        let again = loaders[0].batch(1, order: order, epoch: 2)
        #expect(Array(again.images.scalars[300..<600]) != got)
        try loaders[0].checkFailure()
    }

    @Test("the per-image generator is torch.manual_seed of a SplitMix64 mix of (seed, epoch, index)")
    func sampleGeneratorIsDocumented() {
        // m(x) = SplitMix64's finaliser of x + golden gamma; s = m(m(m(seed) ^ epoch) ^ index).
        func m(_ x: UInt64) -> UInt64 {
            var z = x &+ 0x9E37_79B9_7F4A_7C15
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        for (seed, epoch, index) in [(0 as UInt64, 0, 0), (3, 2, 1999), (1 << 40, 7, 5)] {
            var a = DataLoader.sampleGenerator(seed: seed, epoch: epoch, index: index)
            var b = RandomGenerator(seed: m(m(m(seed) ^ UInt64(epoch)) ^ UInt64(index)))
            #expect((0..<4).map { _ in a.next32() } == (0..<4).map { _ in b.next32() })
        }
        var x = DataLoader.sampleGenerator(seed: 0, epoch: 0, index: 1), y = DataLoader.sampleGenerator(seed: 0, epoch: 1, index: 0)
        #expect(x.next32() != y.next32())
    }

    @Test("an augmentation that cannot take the images fails when the loader is made")
    func badAugmentation() throws {
        let data = try Self.dataset(4)
        #expect(throws: ConvNetError.self) {
            try DataLoader(data, batchSize: 2, augmentation: TransformSpec.parse("RandomCrop(20)"))
        }
        let gray = try data.converted(toChannels: 1)
        #expect(throws: ConvNetError.self) { try DataLoader(gray, batchSize: 2, augmentation: TransformSpec.parse("Lighting(0.1)")) }
        #expect(throws: ConvNetError.self) { try DataLoader(data, batchSize: 2, workers: 0) }
    }

    @Test("RGB to gray is PIL's convert('L'); gray to RGB repeats the plane")
    func channelConversion() throws {
        let data = try ImageDataset(pixels: [255, 0, 10, 0, 255, 20, 0, 0, 30], labels: [0], channels: 3, height: 1, width: 3, classNames: ["x"])
        let gray = try data.converted(toChannels: 1)
        // (19595 R + 38470 G + 7471 B + 32768) >> 16: red 76, green 150, (10, 20, 30) → 18.
        #expect(gray.pixels == [76, 150, 18])
        #expect(try gray.converted(toChannels: 3).pixels == [76, 150, 18, 76, 150, 18, 76, 150, 18])
    }

    @Test("multistep: ×gamma at each milestone epoch, as MultiStepLR stepped per epoch")
    func multiStep() throws {
        let schedule = LearningRateSchedule.multiStep(milestones: [2, 4], gamma: 0.1)
        let rates = (0..<6).map { schedule.rate(base: 0.1, step: $0 * 10, totalSteps: 60, stepsPerEpoch: 10) }
        let expected: [Float] = [0.1, 0.1, 0.1 * 0.1, 0.1 * 0.1, 0.1 * 0.1 * 0.1, 0.1 * 0.1 * 0.1]
        #expect(rates == expected)
        var options = TrainingOptions()
        options.schedule = .multiStep
        #expect(throws: ConvNetError.self) { try options.validate() }
        options.milestones = [5, 3]
        #expect(throws: ConvNetError.self) { try options.validate() }
        options.milestones = [3, 5]
        try options.validate()
        #expect(options.learningRateSchedule == .multiStep(milestones: [3, 5], gamma: 0.1))
    }
}
