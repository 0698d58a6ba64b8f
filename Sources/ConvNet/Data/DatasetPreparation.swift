import Foundation

/// How much of a training set to hold out for evaluation: a number of images or a fraction.
public enum Holdout: Sendable, Equatable, CustomStringConvertible {
    case count(Int)
    case fraction(Double)

    /// Reads `1000` (images), `0.25` (a fraction) or `25%` / `25 %` (a percentage, 0–100).
    /// - Throws: ``ConvNetError`` naming `--holdout` and the reason: not a number, or one that
    ///   holds out nothing (0, 0 %) or everything (1.0, 100 %, and beyond) — nothing would be left
    ///   to evaluate on, or to train on.
    public init(parsing text: String) throws {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        func fail(_ reason: String) -> ConvNetError { ConvNetError(op: "`holdout`", "\(text): \(reason)") }
        if trimmed.hasSuffix("%") {
            guard let percent = Double(trimmed.dropLast().trimmingCharacters(in: .whitespaces)), percent.isFinite else {
                throw fail("not a percentage (expected a number from 0 to 100 before the %, e.g. 25%)")
            }
            guard percent > 0 else { throw fail("a holdout of \(Self.text(percent)) % leaves nothing to evaluate on (hold out more than 0 %)") }
            guard percent < 100 else {
                throw fail(percent == 100 ? "a holdout of 100 % leaves nothing to train on (hold out less than 100 %)"
                           : "\(Self.text(percent)) % is more than the whole training set (a percentage lies between 0 and 100)")
            }
            self = .fraction(percent / 100)
        } else if let n = Int(trimmed) {
            guard n >= 1 else { throw fail("holding out \(n) images leaves nothing to evaluate on (hold out at least 1)") }
            self = .count(n)
        } else if let x = Double(trimmed), x.isFinite {
            guard x > 0 else { throw fail("a holdout of \(Self.text(x)) leaves nothing to evaluate on (a fraction lies between 0 and 1)") }
            guard x < 1 else {
                throw fail(x == 1 ? "a fraction of 1 is the whole training set and leaves nothing to train on (a fraction lies between 0 and 1)"
                           : "\(Self.text(x)) is neither a whole number of images nor a fraction between 0 and 1")
            }
            self = .fraction(x)
        } else {
            throw fail("must be a number of images (1000), a fraction (0.25) or a percentage (25%)")
        }
    }

    /// `25` rather than `25.0`.
    private static func text(_ x: Double) -> String {
        x == x.rounded() && abs(x) < 1e15 ? String(Int(x)) : String(x)
    }

    /// Images held out of `total`.
    /// - Throws: ``ConvNetError`` unless at least one image is held out and one is left to train on.
    public func count(of total: Int) throws -> Int {
        let n = switch self {
        case let .count(n): n
        case let .fraction(f): Int((Double(total) * f).rounded())
        }
        guard n >= 1, n < total else {
            throw ConvNetError(op: "`holdout`", "\(self) of \(total) training images leaves \(n < 1 ? "nothing to evaluate on" : "nothing to train on")")
        }
        return n
    }

    public var description: String {
        switch self {
        case let .count(n): "\(n)"
        case let .fraction(f): "\(f)"
        }
    }

    /// Held out when a dataset has no test split and none was asked for.
    public static let `default` = Holdout.fraction(0.2)
}

/// What a training or evaluation run needs from the data: which dataset, where, and how to shape it.
public struct DataRequest: Sendable {
    public var dataset: String
    /// `--data`; MNIST defaults to the bundled copy.
    public var directory: String?
    /// The model's input channels: images are converted to them (gray by ITU-R 601-2 luma, or replicated to RGB).
    public var channels: Int
    /// Resize (shorter side, then a center crop) to `imageSize × imageSize` when set.
    public var imageSize: Int?
    /// Hold out part of the training set for evaluation; nil: the test split, or ``Holdout/default`` without one.
    public var holdout: Holdout?
    /// Draws the held-out images.
    public var seed: UInt64 = 0
    public var labelLevel: CIFAR.LabelLevel = .fine
    public var trainLimit: Int?
    public var evaluationLimit: Int?
    /// Threads for decoding image files.
    public var workers: Int = 1
    public var skipBadImages = false

    public init(dataset: String, directory: String?, channels: Int) {
        (self.dataset, self.directory, self.channels) = (dataset, directory, channels)
    }
}

/// The training images and the images evaluated after each epoch, ready for loaders.
public struct PreparedData: Sendable {
    public var train: ImageDataset
    public var evaluation: ImageDataset
    /// "test" (the dataset's test split) or "held-out" (part of the training set).
    public var evaluationName: String
    /// The per-channel normalisation the model sees.
    public var normalization: Normalization
    /// Lines for the user: what was held out, what was skipped.
    public var notes: [String]
}

extension DatasetCatalog {
    /// Loads, converts and splits a dataset as `request` says.
    ///
    /// The held-out part is drawn as `torch.randperm(n, generator=torch.Generator().manual_seed(seed))[:k]`
    /// (sorted; the rest, in their order, train), so a PyTorch script can hold out the same images.
    /// - Throws: ``ConvNetError`` for an unknown dataset or bad files, naming them.
    public static func prepare(_ request: DataRequest) throws -> PreparedData {
        var notes: [String] = []
        var (train, test, skipped) = try loadSplits(request)
        if !skipped.isEmpty {
            notes.append("skipped \(skipped.count) unreadable image\(skipped.count == 1 ? "" : "s") (`skipBadImages`), e.g. \(skipped[0].path): \(skipped[0].reason)")
        }
        train = try shaped(train, channels: request.channels, imageSize: request.imageSize)
        test = try test.map { try shaped($0, channels: request.channels, imageSize: request.imageSize) }
        var evaluationName = "test"
        if request.holdout != nil || test == nil {
            let holdout = request.holdout ?? .default
            let k = try holdout.count(of: train.count)
            var generator = RandomGenerator(seed: request.seed)
            let permutation = generator.permutation(train.count)
            let held = Array(permutation[0..<k]).sorted()
            var isHeld = [Bool](repeating: false, count: train.count)
            for i in held { isHeld[i] = true }
            let kept = (0..<train.count).filter { !isHeld[$0] }
            notes.append("held out \(k) of \(train.count) training images for evaluation (seed \(request.seed)\(test == nil ? "; the dataset has no test split" : ""))")
            test = train.subset(held)
            train = train.subset(kept)
            evaluationName = "held-out"
        }
        if let n = request.trainLimit { train = train.prefix(n) }
        if let n = request.evaluationLimit { test = test?.prefix(n) }
        let normalization = normalization(request.dataset) ?? ChannelStatistics(train).normalization
        guard let evaluation = test else { throw ConvNetError(op: "dataset", "internal: no evaluation images") }
        if train.height != evaluation.height || train.width != evaluation.width {
            throw ConvNetError(op: "dataset", "training images are \(train.height)×\(train.width) but test images \(evaluation.height)×\(evaluation.width); pass `imageSize`")
        }
        return PreparedData(train: train, evaluation: evaluation, evaluationName: evaluationName,
                            normalization: adapt(normalization, to: request.channels), notes: notes)
    }

    /// `dataset` converted to `channels` (when given) and resized to `imageSize` squares (when given).
    static func shaped(_ dataset: ImageDataset, channels: Int?, imageSize: Int?) throws -> ImageDataset {
        var dataset = dataset
        if let channels { dataset = try dataset.converted(toChannels: channels) }
        if let imageSize { dataset = try dataset.resized(toSquare: imageSize) }
        return dataset
    }

    /// A dataset's normalisation for another channel count (a gray model on RGB data: the channels' means).
    static func adapt(_ n: Normalization, to channels: Int) -> Normalization {
        guard n.mean.count != channels else { return n }
        if channels == 1 {
            return Normalization(mean: [n.mean.reduce(0, +) / Float(n.mean.count)], std: [n.std.reduce(0, +) / Float(n.std.count)])
        }
        return Normalization(mean: [Float](repeating: n.mean[0], count: channels), std: [Float](repeating: n.std[0], count: channels))
    }

    static func loadSplits(_ request: DataRequest) throws -> (ImageDataset, ImageDataset?, [ImageFolder.SkippedImage]) {
        switch request.dataset {
        case "mnist", "fashion-mnist":
            return (try load(request.dataset, split: .train, directory: request.directory),
                    try load(request.dataset, split: .test, directory: request.directory), [])
        case "folder":
            guard let directory = request.directory else {
                throw ConvNetError(op: "dataset", "folder needs `dataDirectory` (ROOT/CLASS/image files, or ROOT/train and ROOT/val)")
            }
            let (trainRoot, testRoot) = ImageFolder.splits(root: directory)
            let channels = request.channels > 0 ? request.channels : 3
            let train = try ImageFolder(root: trainRoot).load(channels: channels, imageSize: request.imageSize,
                                                              workers: request.workers, skipBadImages: request.skipBadImages)
            guard let testRoot else { return (train.dataset, nil, train.skipped) }
            let test = try ImageFolder(root: testRoot).load(channels: channels, imageSize: request.imageSize,
                                                            workers: request.workers, skipBadImages: request.skipBadImages)
            guard test.dataset.classNames == train.dataset.classNames else {
                throw ConvNetError(op: "dataset", "\(testRoot) has classes \(test.dataset.classNames) but \(trainRoot) has \(train.dataset.classNames); the labels would not agree")
            }
            return (train.dataset, test.dataset, train.skipped + test.skipped)
        case "cifar10", "cifar100":
            guard let directory = request.directory else {
                throw ConvNetError(op: "dataset", "\(request.dataset) needs `dataDirectory` (the folder with its binary batches)")
            }
            let variant = CIFAR.Variant(rawValue: request.dataset)!
            guard let train = try CIFAR.load(directory: directory, variant: variant, split: .train, labelLevel: request.labelLevel) else {
                throw ConvNetError(op: "dataset", "\(directory): no training batch")
            }
            return (train, try CIFAR.load(directory: directory, variant: variant, split: .test, labelLevel: request.labelLevel), [])
        default:
            throw ConvNetError(op: "dataset", "unknown dataset \"\(request.dataset)\" (known: \(names.joined(separator: ", ")))")
        }
    }
}

extension DatasetCatalog {
    /// A dataset's whole training split (no held-out part), optionally converted and resized,
    /// with the files that were skipped as unreadable.
    public static func loadTrainingSet(_ name: String, directory: String?, channels: Int? = nil, imageSize: Int? = nil,
                                       labelLevel: CIFAR.LabelLevel = .fine, workers: Int = 1,
                                       skipBadImages: Bool = false) throws -> (dataset: ImageDataset, skipped: [ImageFolder.SkippedImage]) {
        var request = DataRequest(dataset: name, directory: directory, channels: channels ?? 0)
        request.labelLevel = labelLevel
        request.workers = workers
        request.skipBadImages = skipBadImages
        request.imageSize = imageSize
        let (train, _, skipped) = try loadSplits(request)
        return (try shaped(train, channels: channels, imageSize: imageSize), skipped)
    }
}

extension DatasetCatalog {
    /// A dataset's training and test splits as stored (no conversion, no held-out part).
    public static func loadSplitsAsStored(_ request: DataRequest) throws -> (train: ImageDataset, test: ImageDataset?) {
        let (train, test, _) = try loadSplits(request)
        return (train, test)
    }
}
