import Foundation

/// MNIST and Fashion-MNIST: four IDX files (gzipped or plain) in one folder.
public enum MNIST {
    /// Which half of the data.
    public enum Split: String, Sendable { case train, test }

    /// The ten digit names.
    public static let digitNames = (0..<10).map(String.init)
    /// Fashion-MNIST's class names.
    public static let fashionNames = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
                                      "Sneaker", "Bag", "Ankle boot"]

    /// Loads one split from `directory`, which holds `train-images-idx3-ubyte[.gz]`,
    /// `train-labels-idx1-ubyte[.gz]`, `t10k-images-idx3-ubyte[.gz]` and `t10k-labels-idx1-ubyte[.gz]`.
    /// - Throws: ``ConvNetError`` for a missing, truncated or malformed file, or images and labels
    ///   that disagree.
    public static func load(directory: String, split: Split, classNames: [String] = digitNames) throws -> ImageDataset {
        let stem = split == .train ? "train" : "t10k"
        let imagesPath = try find(directory, "\(stem)-images-idx3-ubyte")
        let labelsPath = try find(directory, "\(stem)-labels-idx1-ubyte")
        let images = try IDXArray.read(path: imagesPath)
        let labels = try IDXArray.read(path: labelsPath)
        guard images.shape.count == 3 else {
            throw ConvNetError(op: "mnist", "\(imagesPath): expected 3 dimensions (count, rows, cols), found \(images.shape)")
        }
        guard labels.shape.count == 1 else {
            throw ConvNetError(op: "mnist", "\(labelsPath): expected 1 dimension (count), found \(labels.shape)")
        }
        guard images.shape[0] == labels.shape[0] else {
            throw ConvNetError(op: "mnist", "\(imagesPath) has \(images.shape[0]) images but \(labelsPath) has \(labels.shape[0]) labels")
        }
        return try ImageDataset(pixels: images.bytes, labels: labels.bytes.map(Int.init), channels: 1,
                                height: images.shape[1], width: images.shape[2], classNames: classNames, source: labelsPath)
    }

    /// `name.gz` or `name` inside `directory`.
    private static func find(_ directory: String, _ name: String) throws -> String {
        for candidate in [name + ".gz", name] {
            let path = (directory as NSString).appendingPathComponent(candidate)
            if FileManager.default.fileExists(atPath: path) { return path }
        }
        throw ConvNetError(op: "mnist", "\(directory): no \(name).gz or \(name) (expected the four MNIST IDX files)")
    }
}
