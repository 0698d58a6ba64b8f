/// Images and integer labels held in memory as bytes (0–255), one image after another, CHW.
public struct ImageDataset: Sendable {
    /// Pixels of all images, `count × channels × height × width` bytes.
    public var pixels: [UInt8]
    /// One label per image, in `0..<classNames.count`.
    public var labels: [Int]
    public var channels: Int, height: Int, width: Int
    /// Human-readable class names, index = label.
    public var classNames: [String]

    /// Number of images.
    public var count: Int { labels.count }
    /// Bytes per image.
    public var imageSize: Int { channels * height * width }

    /// - Throws: ``ConvNetError`` if sizes disagree or a label is outside the classes.
    public init(pixels: [UInt8], labels: [Int], channels: Int, height: Int, width: Int, classNames: [String],
                source: String = "dataset") throws {
        guard pixels.count == labels.count * channels * height * width else {
            throw ConvNetError(op: "dataset", "\(source): \(pixels.count) pixel bytes for \(labels.count) images of \(channels)×\(height)×\(width)")
        }
        if let bad = labels.firstIndex(where: { $0 < 0 || $0 >= classNames.count }) {
            throw ConvNetError(op: "dataset", "\(source): label \(labels[bad]) of image \(bad) is outside 0..<\(classNames.count)")
        }
        (self.pixels, self.labels, self.channels, self.height, self.width, self.classNames) =
            (pixels, labels, channels, height, width, classNames)
    }

    /// The first `n` images (for quick runs and tests).
    public func prefix(_ n: Int) -> ImageDataset {
        let n = min(n, count)
        var copy = self
        copy.pixels = Array(pixels[0..<(n * imageSize)])
        copy.labels = Array(labels[0..<n])
        return copy
    }
}

/// Per-channel normalisation x ↦ (x/255 − mean)/std, as torchvision's ToTensor + Normalize.
public struct Normalization: Sendable, Equatable {
    public var mean: [Float], std: [Float]

    /// One mean and standard deviation per channel, of pixel values scaled to [0, 1].
    public init(mean: [Float], std: [Float]) {
        self.mean = mean
        self.std = std
    }

    /// MNIST's training-set statistics (0.1307, 0.3081).
    public static let mnist = Normalization(mean: [0.1307], std: [0.3081])
    /// Fashion-MNIST's training-set statistics (0.2860, 0.3530).
    public static let fashionMNIST = Normalization(mean: [0.2860], std: [0.3530])
}
