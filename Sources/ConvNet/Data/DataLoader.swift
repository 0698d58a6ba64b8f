import Foundation

/// Splits a dataset into shuffled mini-batches, assembling the next batch on a background thread
/// while the current one trains.
///
/// Shuffling draws as ``convention`` says (`torch.randperm(count)` by default) from a
/// ``RandomGenerator``: from one seeded with `seed`, one order per epoch, so the order of epoch `e`
/// depends only on `(seed, e)` and a run resumed at any epoch and batch sees exactly the batches an
/// uninterrupted run would; or from a generator the caller passes (``order(using:)``), as a
/// training loop that shares PyTorch's global generator between weights and shuffling does.
public struct DataLoader: Sendable {
    public let dataset: ImageDataset
    public let batchSize: Int
    public let shuffle: Bool
    public let dropLast: Bool
    public let seed: UInt64
    public let normalization: Normalization?
    /// Assemble batches on a background thread.
    public let prefetch: Bool
    /// How ``order(using:)`` draws from a generator.
    public let convention: ShuffleConvention
    /// Random transforms applied to every image before normalisation (data augmentation); empty = none.
    public let augmentation: Compose
    /// Seeds the per-image generators of ``augmentation`` (see ``sampleGenerator(seed:epoch:index:)``).
    public let augmentationSeed: UInt64
    /// Threads that augment a batch's images (the batch does not depend on it).
    public let workers: Int
    /// This rank's share of every order when several processes train together; nil: all of it.
    public let shard: DataShard?
    /// Height and width of the images in a batch (after augmentation).
    public let outputHeight: Int, outputWidth: Int
    /// The first error an augmentation threw while assembling batches (see ``checkFailure()``).
    private let failure = FailureBox()

    /// - Parameters:
    ///   - augmentation: transforms applied to each image (as a `[0, 1]` float image, torchvision's
    ///     `ToTensor()` output) before `normalization`; each image draws from its own generator,
    ///     seeded from (`augmentationSeed`, epoch, image index).
    ///   - workers: threads that augment the images of a batch.
    /// - Throws: ``ConvNetError`` for a non-positive batch size or worker count, a normalisation
    ///   whose channel count differs from the images', or an augmentation that cannot take them.
    public init(_ dataset: ImageDataset, batchSize: Int, shuffle: Bool = true, dropLast: Bool = false, seed: UInt64 = 0,
                normalization: Normalization? = nil, prefetch: Bool = true, convention: ShuffleConvention = .randperm,
                augmentation: Compose = Compose([]), augmentationSeed: UInt64 = 0, workers: Int = 1,
                shard: DataShard? = nil) throws {
        guard batchSize > 0 else { throw ConvNetError(op: "DataLoader", "batch size \(batchSize) must be positive") }
        guard workers > 0 else { throw ConvNetError(op: "DataLoader", "`workers` \(workers) must be at least 1") }
        if let n = normalization {
            guard n.mean.count == dataset.channels, n.std.count == dataset.channels, n.std.allSatisfy({ $0 > 0 }) else {
                throw ConvNetError(op: "DataLoader", "normalisation mean \(n.mean) / std \(n.std) needs \(dataset.channels) values with std > 0")
            }
        }
        (self.dataset, self.batchSize, self.shuffle, self.dropLast, self.seed, self.normalization, self.prefetch) =
            (dataset, batchSize, shuffle, dropLast, seed, normalization, prefetch)
        (self.convention, self.augmentation, self.augmentationSeed, self.workers) = (convention, augmentation, augmentationSeed, workers)
        self.shard = shard
        var outputSize = (dataset.height, dataset.width)
        // The sizes first: batches (two in flight while prefetching) and a pipeline that grows
        // images past memory are refused before the first image is made.
        let plan = try augmentation.footprint(for: ImageSize(height: dataset.height, width: dataset.width))
        let c = dataset.channels, batch = min(batchSize, max(dataset.count, 1))
        let batchBytes = MemoryBudget.product([batch, c, plan.output.height, plan.output.width, MemoryLayout<Float>.size, prefetch ? 2 : 1])
        let workingBytes = augmentation.transforms.isEmpty ? 0 : MemoryBudget.product([workers, c, plan.pixels, MemoryLayout<Float>.size])
        let images = "\(batch) \(c)×\(plan.output.height)×\(plan.output.width) float images"
        try MemoryBudget.require(MemoryBudget.sum([batchBytes ?? .max, workingBytes ?? .max]) ?? .max,
                                 op: augmentation.transforms.isEmpty ? "DataLoader" : "`augment`",
                                 what: augmentation.transforms.isEmpty ? "batches of \(images)"
                                     : "\(augmentation) on \(c)×\(dataset.height)×\(dataset.width) images (batches of \(images), and \(workers) worker\(workers == 1 ? "" : "s") holding up to \(plan.pixels) pixels × \(c) channels each)")
        if !augmentation.transforms.isEmpty && dataset.count > 0 {
            // Every transform's output size depends only on its input size: one image tells the batch shape.
            var probe = RandomGenerator(seed: 0)
            let image = try augmentation(Self.floatImage(0, of: dataset), generator: &probe)
            guard image.channels == dataset.channels else {
                throw ConvNetError(op: "`augment`", "\(augmentation) turns \(dataset.channels)-channel images into \(image.channels)-channel ones")
            }
            outputSize = (image.height, image.width)
        }
        (outputHeight, outputWidth) = outputSize
    }

    /// The generator image `index` draws its augmentation from in epoch `epoch`: PyTorch's
    /// generator after `torch.manual_seed(s)` with s = m(m(m(seed) ⊕ epoch) ⊕ index), m being
    /// SplitMix64's finaliser (only s's low 32 bits count, as in `torch.manual_seed`). Images
    /// draw independently of each other, so a batch does not depend on the number of workers
    /// or on which images came before it, and a resumed run draws what the interrupted one would have.
    public static func sampleGenerator(seed: UInt64, epoch: Int, index: Int) -> RandomGenerator {
        func mix(_ x: UInt64) -> UInt64 {
            var z = x &+ 0x9E37_79B9_7F4A_7C15
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        return RandomGenerator(seed: mix(mix(mix(seed) ^ UInt64(epoch)) ^ UInt64(index)))
    }

    /// Rethrows the first error an augmentation raised while batches were assembled (its images
    /// were left as zeros). The trainer calls it after every batch.
    public func checkFailure() throws {
        if let error = failure.error { throw error }
    }

    /// Batches per epoch.
    public var count: Int {
        let samples = shard?.length(of: dataset.count) ?? dataset.count
        // Without n + b − 1, which overflows for a batch size near Int.max.
        return samples / batchSize + (!dropLast && samples % batchSize > 0 ? 1 : 0)
    }

    /// The order of the samples in epoch `epoch` (0-based): the `epoch + 1`-th order drawn from a
    /// generator seeded with `seed` (with `.randperm`, what `torch.manual_seed(seed)` followed by
    /// one `torch.randperm` per epoch gives).
    public func order(epoch: Int) -> [Int] {
        var generator = RandomGenerator(seed: seed)
        for _ in 0..<epoch { _ = order(using: &generator) }
        return order(using: &generator)
    }

    /// The order of the samples in an epoch, drawn from `generator` as ``convention`` says: with
    /// `.randperm`, `torch.randperm(count)` when shuffling and nothing otherwise; with
    /// `.dataLoader`, what iterating a `torch.utils.data.DataLoader` draws. With a ``shard``, this
    /// rank's part of that order (every rank draws the same).
    public func order(using generator: inout RandomGenerator) -> [Int] {
        let whole = wholeOrder(using: &generator)
        return shard?.part(of: whole) ?? whole
    }

    private func wholeOrder(using generator: inout RandomGenerator) -> [Int] {
        switch convention {
        case .randperm:
            return shuffle ? generator.permutation(dataset.count) : Array(0..<dataset.count)
        case .dataLoader:
            _ = generator.next()  // the iterator's base seed
            guard shuffle else { return Array(0..<dataset.count) }
            var sampler = RandomGenerator(seed: generator.next() & (1 << 63 - 1))
            return sampler.permutation(dataset.count)
        }
    }

    /// Assembles batch `index` of epoch `epoch` whose order is `order`.
    public func batch(_ index: Int, order: [Int], epoch: Int = 0) -> Batch {
        let start = index * batchSize, end = min(start + batchSize, order.count)
        if !augmentation.transforms.isEmpty { return augmentedBatch(order[start..<end], epoch: epoch) }
        let (c, h, w) = (dataset.channels, dataset.height, dataset.width)
        let size = dataset.imageSize, plane = h * w
        let images = Tensor.zeros([end - start, c, h, w])
        var labels = [Int]()
        labels.reserveCapacity(end - start)
        // Per channel: x/255 → (x/255 − mean)/std = x·scale + shift.
        let scale = (0..<c).map { ch in 1 / (255 * (normalization?.std[ch] ?? 1)) }
        let shift = (0..<c).map { ch in -(normalization?.mean[ch] ?? 0) / (normalization?.std[ch] ?? 1) }
        images.withUnsafeMutableBufferPointer { out in
            dataset.pixels.withUnsafeBufferPointer { pixels in
                Self.touchCacheLines(of: order[start..<end], size: size, in: pixels)
                for (row, sample) in order[start..<end].enumerated() {
                    let src = sample * size, dst = row * size
                    for ch in 0..<c {
                        Self.normalize(pixels.baseAddress! + src + ch * plane, into: out.baseAddress! + dst + ch * plane,
                                       count: plane, scale: scale[ch], shift: shift[ch])
                    }
                    labels.append(dataset.labels[sample])
                }
            }
        }
        return Batch(images: images, labels: labels)
    }

    /// A batch whose images go through ``augmentation``, then (x − mean)/std, on ``workers`` threads.
    private func augmentedBatch(_ samples: ArraySlice<Int>, epoch: Int) -> Batch {
        let (c, h, w) = (dataset.channels, outputHeight, outputWidth)
        let outSize = c * h * w
        let images = Tensor.zeros([samples.count, c, h, w])
        let samples = Array(samples)
        let mean = normalization?.mean ?? [Float](repeating: 0, count: c), std = normalization?.std ?? [Float](repeating: 1, count: c)
        images.withUnsafeMutableBufferPointer { out in
            let address = Int(bitPattern: out.baseAddress!)  // each image writes its own slice only
            let chunks = min(workers, samples.count)
            DispatchQueue.concurrentPerform(iterations: chunks) { chunk in
                let base = UnsafeMutablePointer<Float>(bitPattern: address)!
                for row in stride(from: chunk, to: samples.count, by: chunks) {
                    let sample = samples[row]
                    var generator = Self.sampleGenerator(seed: augmentationSeed, epoch: epoch, index: sample)
                    do {
                        let image = try augmentation(Self.floatImage(sample, of: dataset), generator: &generator)
                        guard image.values.count == outSize else {
                            throw ConvNetError(op: "`augment`", "image \(sample) came out \(image.channels)×\(image.height)×\(image.width), not \(c)×\(h)×\(w)")
                        }
                        // torchvision's Normalize: (x − mean)/std in Float.
                        let plane = h * w
                        for ch in 0..<c {
                            for i in 0..<plane { base[row * outSize + ch * plane + i] = (image.values[ch * plane + i] - mean[ch]) / std[ch] }
                        }
                    } catch {
                        failure.record(error)
                    }
                }
            }
        }
        return Batch(images: images, labels: samples.map { dataset.labels[$0] })
    }

    /// Image `index` of `dataset` as torchvision's `ToTensor()` gives it (what augmentation starts from).
    private static func floatImage(_ index: Int, of dataset: ImageDataset) -> FloatImage {
        let size = dataset.imageSize
        return dataset.pixels.withUnsafeBufferPointer {
            FloatImage(planes: UnsafeBufferPointer(rebasing: $0[(index * size)..<((index + 1) * size)]),
                       channels: dataset.channels, height: dataset.height, width: dataset.width)
        }
    }

    /// Reads one byte of every 64-byte line of the batch's images before converting them. The
    /// images lie at random places in the dataset, and converting them one after the other waits
    /// for memory image by image; these reads are independent of each other, so the memory system
    /// serves them together and the conversion then finds every image in cache (measured for a
    /// 64-image MNIST batch: 31 µs → 11 µs).
    private static func touchCacheLines(of samples: ArraySlice<Int>, size: Int, in pixels: UnsafeBufferPointer<UInt8>) {
        var sum: UInt8 = 0
        for sample in samples {
            let base = sample * size
            for offset in stride(from: 0, to: size, by: 64) { sum &+= pixels[base + offset] }
        }
        keep(sum)
    }

    /// Makes the compiler compute `value` (so the reads above are not optimised away).
    @inline(never) @_optimize(none)
    private static func keep(_ value: UInt8) {}

    /// `target[i] = Float(source[i])·scale + shift`, 16 pixels at a time (the same float operations
    /// as one at a time; measured 24 µs instead of 42 µs for a 64-image MNIST batch).
    private static func normalize(_ source: UnsafePointer<UInt8>, into target: UnsafeMutablePointer<Float>,
                                  count: Int, scale: Float, shift: Float) {
        var i = 0
        while i + 16 <= count {
            let bytes = UnsafeRawPointer(source + i).loadUnaligned(as: SIMD16<UInt8>.self)
            UnsafeMutableRawPointer(target + i).storeBytes(of: SIMD16<Float>(bytes) * scale + shift, as: SIMD16<Float>.self)
            i += 16
        }
        while i < count {
            target[i] = Float(source[i]) * scale + shift
            i += 1
        }
    }

    /// The batches of epoch `epoch`, from batch `start` on.
    public func batches(epoch: Int, from start: Int = 0) -> BatchSequence {
        batches(order: order(epoch: epoch), epoch: epoch, from: start)
    }

    /// The batches of epoch `epoch` whose sample order is `order` (from ``order(using:)``), from
    /// batch `start` on (the epoch seeds the augmentation).
    public func batches(order: [Int], epoch: Int = 0, from start: Int = 0) -> BatchSequence {
        BatchSequence(loader: self, order: order, epoch: epoch, start: start)
    }
}

/// The batches of one epoch; iterating it prefetches one batch ahead on a background thread.
public struct BatchSequence: Sequence {
    let loader: DataLoader
    let order: [Int]
    let epoch: Int
    let start: Int

    public func makeIterator() -> BatchIterator { BatchIterator(loader: loader, order: order, epoch: epoch, start: start) }
}

/// The first error recorded by any thread.
final class FailureBox: @unchecked Sendable {
    private let lock = NSLock()
    private var first: Error?

    func record(_ error: Error) {
        lock.lock()
        if first == nil { first = error }
        lock.unlock()
    }

    var error: Error? {
        lock.lock()
        defer { lock.unlock() }
        return first
    }
}

/// Hands out batches in order; with prefetching, a producer thread keeps up to two ready.
public final class BatchIterator: IteratorProtocol {
    private let loader: DataLoader
    private let order: [Int]
    private let epoch: Int
    private var position: Int
    private let end: Int
    private let queue: PrefetchQueue?

    init(loader: DataLoader, order: [Int], epoch: Int, start: Int) {
        self.loader = loader
        self.order = order
        self.epoch = epoch
        position = start
        end = loader.count
        queue = loader.prefetch && start < loader.count
            ? PrefetchQueue(loader: loader, order: order, epoch: epoch, range: start..<loader.count) : nil
    }

    deinit { queue?.cancel() }

    public func next() -> Batch? {
        guard position < end else { return nil }
        defer { position += 1 }
        return queue?.take(position) ?? loader.batch(position, order: order, epoch: epoch)
    }
}

/// Batches assembled ahead by one producer thread, at most ``capacity`` beyond the consumer.
///
/// The consumer never waits for a batch that nobody has started: if the producer has not claimed
/// the batch the consumer needs (it gets little CPU while a training step keeps every core busy),
/// the consumer assembles it itself. Measured on LeNet-5 (2 cores): the training loop had waited
/// 35–60 ms per epoch for batches, 3–6 % of the epoch.
final class PrefetchQueue: @unchecked Sendable {
    private let condition = NSCondition()
    /// Finished batches by index.
    private var ready: [Int: Batch] = [:]
    /// The next index nobody has claimed yet.
    private var nextUnclaimed: Int
    /// The index the consumer takes next; the producer stays within `capacity` of it.
    private var consumerPosition: Int
    private let end: Int
    private var cancelled = false
    private let capacity = 2

    init(loader: DataLoader, order: [Int], epoch: Int, range: Range<Int>) {
        nextUnclaimed = range.lowerBound
        consumerPosition = range.lowerBound
        end = range.upperBound
        let thread = Thread { [self] in
            while let index = claimForProducer() {
                let batch = loader.batch(index, order: order, epoch: epoch)
                condition.lock()
                ready[index] = batch
                condition.broadcast()
                condition.unlock()
            }
        }
        thread.name = "convnet.prefetch"
        thread.start()
    }

    /// The next index for the producer to assemble, once it is within reach; nil at the end.
    private func claimForProducer() -> Int? {
        condition.lock()
        defer { condition.unlock() }
        while !cancelled && nextUnclaimed < end && nextUnclaimed >= consumerPosition + capacity { condition.wait() }
        guard !cancelled, nextUnclaimed < end else { return nil }
        nextUnclaimed += 1
        return nextUnclaimed - 1
    }

    /// Batch `index` (the consumer asks in order): ready, assembled here if nobody has started it,
    /// or waited for while the producer finishes it. Nil only after ``cancel()``.
    func take(_ index: Int) -> Batch? {
        condition.lock()
        consumerPosition = index + 1
        condition.broadcast()
        if let batch = ready.removeValue(forKey: index) {
            condition.unlock()
            return batch
        }
        if nextUnclaimed == index {
            nextUnclaimed += 1
            condition.unlock()
            return nil  // the caller assembles it
        }
        while ready[index] == nil && !cancelled { condition.wait() }
        let batch = ready.removeValue(forKey: index)
        condition.unlock()
        return batch
    }

    /// Stops the producer (the consumer left the loop early).
    func cancel() {
        condition.lock()
        cancelled = true
        condition.broadcast()
        condition.unlock()
    }
}
