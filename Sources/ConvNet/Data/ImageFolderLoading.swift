import CImageCodecs
import Foundation

extension ImageFolder {
    /// An image ``load(channels:imageSize:workers:skipBadImages:)`` could not read, and why.
    public struct SkippedImage: Sendable, Equatable {
        /// The file, as in ``ImageFolder/Sample/path``.
        public var path: String
        /// The decoder's message (it names the file).
        public var reason: String
    }

    /// Decodes every image into memory as an ``ImageDataset`` (bytes, CHW), converted as PIL's
    /// `convert("L")` / `convert("RGB")` (see ``Image/read(path:channels:)``), on `workers`
    /// threads; the result does not depend on `workers`.
    ///
    /// - Parameters:
    ///   - channels: 1 (gray) or 3 (RGB).
    ///   - imageSize: nil: every image must have the size of the first one. S: each image is
    ///     resized so that its shorter side is S (antialiased bilinear, as torchvision's
    ///     `Resize(S)` on PIL images) and center-cropped to S×S (torchvision's `CenterCrop(S)`).
    ///   - workers: threads decoding at once (at least 1; the calling thread is one of them).
    ///   - skipBadImages: files that cannot be read or decoded are left out and returned in
    ///     `skipped` instead of failing the load.
    /// - Returns: the dataset (samples in ``samples`` order, skipped ones left out) and the skipped files.
    /// - Throws: ``ConvNetError`` for bad arguments; naming the file and the decoder's reason for
    ///   the first unreadable file (in sample order) unless `skipBadImages`; naming the first file
    ///   whose size differs from the first image's, and both sizes, when `imageSize` is nil; when
    ///   no image at all could be read.
    public func load(channels: Int = 3, imageSize: Int? = nil, workers: Int = ProcessInfo.processInfo.activeProcessorCount,
                     skipBadImages: Bool = false) throws -> (dataset: ImageDataset, skipped: [SkippedImage]) {
        let op = "image folder"
        guard channels == 1 || channels == 3 else { throw ConvNetError(op: op, "\(root): channels must be 1 or 3, not \(channels)") }
        guard workers >= 1 else { throw ConvNetError(op: op, "\(root): workers must be at least 1, not \(workers)") }
        if let imageSize, imageSize < 1 { throw ConvNetError(op: op, "\(root): image size \(imageSize) must be positive") }
        guard let size = try imageSize.map({ ($0, $0, nil as String?) }) ?? firstSize(skipBadImages: skipBadImages) else {
            throw ConvNetError(op: op, "\(root): none of the \(samples.count) images could be read")
        }
        let (width, height, reference) = size
        let imageBytes = channels * height * width
        guard imageBytes <= Int.max / samples.count else {
            throw ConvNetError(op: op, "\(root): \(samples.count) images of \(channels)×\(height)×\(width) bytes do not fit in memory")
        }
        try MemoryBudget.require(samples.count * imageBytes, op: op, what: "\(root): \(samples.count) images of \(channels)×\(height)×\(width) bytes")

        let state = LoadState(count: samples.count, stopAtUnreadable: !skipBadImages)
        let samples = samples
        var kept: [Int] = []
        let pixels = try [UInt8](unsafeUninitializedCapacity: samples.count * imageBytes) { buffer, initialized in
            let output = SharedOutput(base: buffer.baseAddress)
            Self.run(workers: min(workers, samples.count)) {
                while let i = state.claim() {
                    do {
                        var image = try Image.read(path: samples[i].file, channels: channels)
                        if let imageSize {
                            image = try ImageTransforms.centerCrop(ImageTransforms.resize(image, shorterSide: imageSize),
                                                                   width: imageSize, height: imageSize)
                        }
                        guard image.width == width, image.height == height else {
                            state.record(i, .wrongSize(width: image.width, height: image.height))
                            continue
                        }
                        image.copyPlanes(to: output.base! + i * imageBytes)
                        state.record(i, .decoded)
                    } catch {
                        state.record(i, .unreadable((error as? ConvNetError)?.message ?? "\(samples[i].path): \(error)"))
                    }
                }
            }
            // The first problem in sample order fails the load; every sample before it was decoded.
            let outcomes = state.outcomes
            if let problem = state.firstProblem {
                switch outcomes[problem] {
                case .wrongSize(let w, let h)?:
                    throw ConvNetError(op: op, "\(samples[problem].path): \(w)×\(h) pixels, but \(reference ?? "the first image") has \(width)×\(height); images of different sizes need an image size (`imageSize` S) to be resized and center-cropped to S×S")
                case .unreadable(let reason)?:
                    throw ConvNetError(op: op, "\(reason) (`skipBadImages` leaves unreadable files out)")
                default: break
                }
            }
            // Close the gaps the skipped images left.
            kept = (0..<samples.count).filter { outcomes[$0] == .decoded }
            for (slot, i) in kept.enumerated() where slot != i {
                (output.base! + slot * imageBytes).update(from: output.base! + i * imageBytes, count: imageBytes)
            }
            initialized = kept.count * imageBytes
        }
        let outcomes = state.outcomes
        let skipped = (0..<samples.count).compactMap { i -> SkippedImage? in
            guard case .unreadable(let reason)? = outcomes[i] else { return nil }
            return SkippedImage(path: samples[i].path, reason: reason)
        }
        guard !kept.isEmpty else {
            throw ConvNetError(op: op, "\(root): none of the \(samples.count) images could be read (first: \(skipped.first?.reason ?? "?"))")
        }
        let dataset = try ImageDataset(pixels: pixels, labels: kept.map { samples[$0].label }, channels: channels,
                                       height: height, width: width, classNames: classNames, source: root)
        return (dataset, skipped)
    }

    /// The size of the first image whose header can be read, and its path; nil when none can.
    /// Without `skipBadImages`, an unreadable first image fails here with its reason.
    private func firstSize(skipBadImages: Bool) throws -> (Int, Int, String?)? {
        for sample in samples {
            do {
                let bytes = try Image.readFile(sample.file)
                let header = try Image.header(bytes, source: sample.path)
                return (header.width, header.height, sample.path)
            } catch let error as ConvNetError where !skipBadImages {
                throw ConvNetError(op: "image folder", "\(error.message) (`skipBadImages` leaves unreadable files out)")
            } catch {
                continue
            }
        }
        return nil
    }

    /// Runs `body` on `workers` threads, the calling one included, and returns when all have finished.
    private static func run(workers: Int, _ body: @escaping @Sendable () -> Void) {
        let group = DispatchGroup()
        for n in 1..<max(workers, 1) {
            group.enter()
            let thread = Thread {
                body()
                group.leave()
            }
            thread.name = "convnet.image-folder.\(n)"
            thread.start()
        }
        body()
        group.wait()
    }
}

/// What became of one sample.
private enum LoadOutcome: Equatable {
    case decoded
    case unreadable(String)
    case wrongSize(width: Int, height: Int)
}

/// The samples' claims and outcomes, shared by the loading threads under one lock.
private final class LoadState: @unchecked Sendable {
    private let lock = NSLock()
    private var next = 0
    private let count: Int
    private let stopAtUnreadable: Bool
    private var problem = Int.max
    private var results: [LoadOutcome?]

    init(count: Int, stopAtUnreadable: Bool) {
        self.count = count
        self.stopAtUnreadable = stopAtUnreadable
        results = Array(repeating: nil, count: count)
    }

    /// The next sample to decode; nil when all are claimed, or all before the first problem
    /// found so far (the samples after it cannot change which problem is reported).
    func claim() -> Int? {
        lock.lock()
        defer { lock.unlock() }
        guard next < count, next < problem else { return nil }
        next += 1
        return next - 1
    }

    func record(_ i: Int, _ outcome: LoadOutcome) {
        lock.lock()
        defer { lock.unlock() }
        results[i] = outcome
        switch outcome {
        case .wrongSize: problem = min(problem, i)
        case .unreadable where stopAtUnreadable: problem = min(problem, i)
        default: break
        }
    }

    /// The lowest sample that fails the load, if any (read after the threads finished).
    var firstProblem: Int? { lock.withLock { problem == Int.max ? nil : problem } }
    var outcomes: [LoadOutcome?] { lock.withLock { results } }
}

/// The output buffer, written by several threads, each at the slots of the samples it claimed.
private struct SharedOutput: @unchecked Sendable {
    let base: UnsafeMutablePointer<UInt8>?
}

extension Image {
    /// Writes the pixels channel by channel (CHW) to `destination` (channels·height·width bytes).
    func copyPlanes(to destination: UnsafeMutablePointer<UInt8>) {
        let plane = width * height
        pixels.withUnsafeBufferPointer { source in
            if channels == 1 {
                destination.initialize(from: source.baseAddress!, count: plane)
                return
            }
            for ch in 0..<channels {
                let out = destination + ch * plane
                for p in 0..<plane { out[p] = source[p * channels + ch] }
            }
        }
    }
}
