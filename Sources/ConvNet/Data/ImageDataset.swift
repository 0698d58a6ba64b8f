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
public struct Normalization: Sendable, Equatable, Codable {
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
    /// CIFAR-10's training-set statistics (population std over all 50,000 images).
    public static let cifar10 = Normalization(mean: [0.4914, 0.4822, 0.4465], std: [0.2470, 0.2435, 0.2616])
    /// CIFAR-100's training-set statistics.
    public static let cifar100 = Normalization(mean: [0.5071, 0.4865, 0.4409], std: [0.2673, 0.2564, 0.2762])
}

extension ImageDataset {
    /// The images at `indices`, in that order.
    public func subset(_ indices: [Int]) -> ImageDataset {
        var copy = self
        let size = imageSize
        copy.pixels = [UInt8](unsafeUninitializedCapacity: indices.count * size) { out, count in
            pixels.withUnsafeBufferPointer { src in
                for (row, i) in indices.enumerated() {
                    UnsafeMutableRawBufferPointer(rebasing: UnsafeMutableRawBufferPointer(out)[(row * size)..<((row + 1) * size)])
                        .copyMemory(from: UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(src)[(i * size)..<((i + 1) * size)]))
                }
            }
            count = indices.count * size
        }
        copy.labels = indices.map { labels[$0] }
        return copy
    }

    /// The images with `channels` channels: RGB to gray by PIL's `convert("L")` (ITU-R 601-2 luma,
    /// L = (19595 R + 38470 G + 7471 B + 2¹⁵) >> 16), gray to RGB by repeating the plane.
    /// - Throws: ``ConvNetError`` for any other conversion.
    public func converted(toChannels target: Int) throws -> ImageDataset {
        guard target != channels else { return self }
        guard (channels == 3 && target == 1) || (channels == 1 && target == 3) else {
            throw ConvNetError(op: "dataset", "cannot convert \(channels)-channel images to \(target) channels")
        }
        let plane = height * width
        try MemoryBudget.require(MemoryBudget.product([count, target, plane]) ?? .max, op: "dataset",
                                 what: "\(count) images of \(target)×\(height)×\(width) bytes")
        var out = [UInt8](repeating: 0, count: count * target * plane)
        for image in 0..<count {
            let src = image * channels * plane, dst = image * target * plane
            for i in 0..<plane {
                if target == 1 {
                    let (r, g, b) = (UInt32(pixels[src + i]), UInt32(pixels[src + plane + i]), UInt32(pixels[src + 2 * plane + i]))
                    out[dst + i] = UInt8((r * 19595 + g * 38470 + b * 7471 + 0x8000) >> 16)
                } else {
                    for c in 0..<3 { out[dst + c * plane + i] = pixels[src + i] }
                }
            }
        }
        return try ImageDataset(pixels: out, labels: labels, channels: target, height: height, width: width, classNames: classNames)
    }

    /// Every image resized so its shorter side is `side` (antialiased bilinear, as PIL) and
    /// center-cropped to `side × side`; the dataset itself when it already has that size.
    /// - Throws: ``ConvNetError`` for a side that is not positive.
    public func resized(toSquare side: Int) throws -> ImageDataset {
        guard side > 0 else { throw ConvNetError(op: "`imageSize`", "\(side) must be positive") }
        if height == side && width == side { return self }
        try MemoryBudget.require(MemoryBudget.product([count, channels, side, side]) ?? .max, op: "`imageSize`",
                                 what: "\(count) images of \(channels)×\(side)×\(side) bytes")
        let size = channels * side * side
        var out = [UInt8](repeating: 0, count: count * size)
        try out.withUnsafeMutableBufferPointer { destination in
            for index in 0..<count {
                let square = try ImageTransforms.centerCrop(ImageTransforms.resize(image(at: index), shorterSide: side), width: side, height: side)
                square.copyPlanes(to: destination.baseAddress! + index * size)
            }
        }
        return try ImageDataset(pixels: out, labels: labels, channels: channels, height: side, width: side, classNames: classNames)
    }

    /// Image `index` with its channels interleaved (HWC), the inverse of ``Image``'s `copyPlanes(to:)`.
    public func image(at index: Int) throws -> Image {
        let plane = height * width, base = index * imageSize
        var interleaved = [UInt8](repeating: 0, count: imageSize)
        for c in 0..<channels { for i in 0..<plane { interleaved[i * channels + c] = pixels[base + c * plane + i] } }
        return try Image(width: width, height: height, channels: channels, pixels: interleaved)
    }
}
