import Foundation

/// Per-channel mean and standard deviation of a dataset's pixels scaled to [0, 1] (what
/// `Normalize` needs; `convnet stats`), and the channels' covariance (for ``Lighting``'s
/// principal components). Sums are exact integers, so the figures do not depend on the order of
/// the images. The standard deviation is the population one (numpy's `std`), as the usual
/// published statistics (CIFAR-10: 0.2470, 0.2435, 0.2616).
public struct ChannelStatistics: Sendable {
    public let mean: [Double]
    public let std: [Double]
    /// Channel covariance (population), `channels × channels`.
    public let covariance: [[Double]]
    /// Pixels per channel that were counted.
    public let count: Int

    /// The statistics of every image of `dataset`.
    public init(_ dataset: ImageDataset) {
        let c = dataset.channels, plane = dataset.height * dataset.width
        var sums = [UInt64](repeating: 0, count: c)
        var products = [[UInt64]](repeating: [UInt64](repeating: 0, count: c), count: c)
        dataset.pixels.withUnsafeBufferPointer { pixels in
            for image in 0..<dataset.count {
                let base = image * c * plane
                for a in 0..<c {
                    var sum: UInt64 = 0
                    for i in 0..<plane { sum += UInt64(pixels[base + a * plane + i]) }
                    sums[a] += sum
                    for b in a..<c {
                        var product: UInt64 = 0
                        for i in 0..<plane { product += UInt64(pixels[base + a * plane + i]) * UInt64(pixels[base + b * plane + i]) }
                        products[a][b] += product
                    }
                }
            }
        }
        let n = Double(max(dataset.count * plane, 1))
        let mean = sums.map { Double($0) / n / 255 }
        var covariance = [[Double]](repeating: [Double](repeating: 0, count: c), count: c)
        for a in 0..<c {
            for b in a..<c {
                let value = Double(products[a][b]) / n / (255 * 255) - mean[a] * mean[b]
                covariance[a][b] = value
                covariance[b][a] = value
            }
        }
        self.mean = mean
        self.covariance = covariance
        std = (0..<c).map { max(covariance[$0][$0], 0).squareRoot() }
        count = dataset.count * plane
    }

    /// The statistics as the loader's normalisation.
    public var normalization: Normalization {
        Normalization(mean: mean.map { Float($0) }, std: std.map { Float(max($0, 1e-6)) })
    }
}

/// Eigen-decomposition of a small symmetric matrix by cyclic Jacobi rotations.
enum SymmetricEigen {
    /// Eigenvalues in decreasing order and the matching eigenvectors as columns
    /// (`vectors[i][j]` = component i of vector j), each vector's largest component made negative
    /// or positive as it comes (signs are arbitrary for eigenvectors).
    static func decompose(_ matrix: [[Double]]) -> (values: [Double], vectors: [[Double]]) {
        let n = matrix.count
        var a = matrix
        var v = (0..<n).map { i in (0..<n).map { j in i == j ? 1.0 : 0.0 } }
        for _ in 0..<100 {
            var off = 0.0
            for p in 0..<n { for q in (p + 1)..<n { off += a[p][q] * a[p][q] } }
            if off < 1e-30 { break }
            for p in 0..<n {
                for q in (p + 1)..<n where abs(a[p][q]) > 1e-300 {
                    // The rotation angle θ that zeroes a[p][q]: tan 2θ = 2a_pq / (a_qq − a_pp).
                    let theta = (a[q][q] - a[p][p]) / (2 * a[p][q])
                    let t = (theta >= 0 ? 1.0 : -1.0) / (abs(theta) + (theta * theta + 1).squareRoot())
                    let c = 1 / (t * t + 1).squareRoot(), s = t * c
                    for k in 0..<n {
                        let (akp, akq) = (a[k][p], a[k][q])
                        a[k][p] = c * akp - s * akq
                        a[k][q] = s * akp + c * akq
                    }
                    for k in 0..<n {
                        let (apk, aqk) = (a[p][k], a[q][k])
                        a[p][k] = c * apk - s * aqk
                        a[q][k] = s * apk + c * aqk
                    }
                    for k in 0..<n {
                        let (vkp, vkq) = (v[k][p], v[k][q])
                        v[k][p] = c * vkp - s * vkq
                        v[k][q] = s * vkp + c * vkq
                    }
                }
            }
        }
        let order = (0..<n).sorted { a[$0][$0] > a[$1][$1] }
        return (order.map { a[$0][$0] }, (0..<n).map { i in order.map { v[i][$0] } })
    }
}
