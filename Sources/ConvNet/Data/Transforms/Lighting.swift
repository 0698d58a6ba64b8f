/// AlexNet's PCA lighting noise (Krizhevsky et al. 2012, as fb.resnet.torch and the usual PyTorch
/// port apply it to RGB tensors in [0, 1]): per image α = `normal_(0, alphaStd)` over 3 values,
/// then every pixel gets rgb[i] = Σⱼ eigenvector[i][j]·αⱼ·eigenvalueⱼ added (no clamping).
public struct Lighting: Transform {
    public let alphaStd: Float
    /// Eigenvalues of the RGB covariance, largest first.
    public let eigenvalues: [Float]
    /// Row i, column j: component i of eigenvector j.
    public let eigenvectors: [[Float]]

    /// ImageNet's eigenvalues (fb.resnet.torch).
    public static let imageNetEigenvalues: [Float] = [0.2175, 0.0188, 0.0045]
    /// ImageNet's eigenvectors as columns (fb.resnet.torch).
    public static let imageNetEigenvectors: [[Float]] = [[-0.5675, 0.7192, 0.4009],
                                                          [-0.5808, -0.0045, -0.8140],
                                                          [-0.5836, -0.6948, 0.4203]]

    /// - Throws: ``ConvNetError`` for a negative `alphaStd` or a decomposition that is not 3 values and 3×3.
    public init(alphaStd: Float = 0.1, eigenvalues: [Float] = Lighting.imageNetEigenvalues,
                eigenvectors: [[Float]] = Lighting.imageNetEigenvectors) throws {
        guard alphaStd >= 0, alphaStd.isFinite else { throw ConvNetError(op: "Lighting", "alphaStd \(alphaStd) must be ≥ 0") }
        guard eigenvalues.count == 3, eigenvectors.count == 3, eigenvectors.allSatisfy({ $0.count == 3 }) else {
            throw ConvNetError(op: "Lighting", "needs 3 eigenvalues and a 3×3 eigenvector matrix")
        }
        (self.alphaStd, self.eigenvalues, self.eigenvectors) = (alphaStd, eigenvalues, eigenvectors)
    }

    /// Eigenvalues and eigenvectors of the RGB covariance of `dataset`'s pixels (values in [0, 1]).
    /// - Throws: ``ConvNetError`` unless the dataset has 3 channels.
    public static func principalComponents(of dataset: ImageDataset) throws -> (eigenvalues: [Float], eigenvectors: [[Float]]) {
        guard dataset.channels == 3 else {
            throw ConvNetError(op: "Lighting", "principal components need RGB images, the dataset has \(dataset.channels) channels")
        }
        let statistics = ChannelStatistics(dataset)
        let (values, vectors) = SymmetricEigen.decompose(statistics.covariance)
        return (values.map { Float($0) }, vectors.map { $0.map { Float($0) } })
    }

    public func callAsFunction(_ image: FloatImage, generator: inout RandomGenerator) throws -> FloatImage {
        guard alphaStd != 0 else { return image }
        guard image.channels == 3 else { throw ConvNetError(op: "Lighting", "needs an RGB image, this one has \(image.channels) channels") }
        var alpha = [Float](repeating: 0, count: 3)
        alpha.withUnsafeMutableBufferPointer { generator.fillNormal($0, mean: 0, std: alphaStd) }
        let shift = (0..<3).map { i in
            (0..<3).reduce(Float(0)) { sum, j in sum + eigenvectors[i][j] * alpha[j] * eigenvalues[j] }
        }
        var out = image
        let n = image.planeSize
        for c in 0..<3 { for i in 0..<n { out.values[c * n + i] += shift[c] } }
        return out
    }

    public var description: String {
        eigenvalues == Self.imageNetEigenvalues && eigenvectors == Self.imageNetEigenvectors
            ? "Lighting(\(alphaStd))" : "Lighting(\(alphaStd), eigenvalues=\(eigenvalues))"
    }
}

/// (x − mean)/std per channel (torchvision's `Normalize` on a tensor, in Float).
public struct Normalize: Transform {
    public let mean: [Float], std: [Float]

    /// - Throws: ``ConvNetError`` for lists of different lengths or a std that is not positive.
    public init(mean: [Float], std: [Float]) throws {
        guard !mean.isEmpty, mean.count == std.count, std.allSatisfy({ $0 > 0 }) else {
            throw ConvNetError(op: "Normalize", "mean \(mean) and std \(std) need one value each per channel, std > 0")
        }
        (self.mean, self.std) = (mean, std)
    }

    /// The same statistics as a ``Normalization``.
    public init(_ normalization: Normalization) throws { try self.init(mean: normalization.mean, std: normalization.std) }

    public func callAsFunction(_ image: FloatImage, generator: inout RandomGenerator) throws -> FloatImage {
        guard image.channels == mean.count else {
            throw ConvNetError(op: "Normalize", "has \(mean.count) channels, the image \(image.channels)")
        }
        var out = image
        let n = image.planeSize
        for c in 0..<image.channels { for i in 0..<n { out.values[c * n + i] = (image.values[c * n + i] - mean[c]) / std[c] } }
        return out
    }

    public var description: String { "Normalize(mean=\(mean), std=\(std))" }
}
