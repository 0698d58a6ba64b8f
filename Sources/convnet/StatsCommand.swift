import ArgumentParser
import ConvNet
import Foundation

/// `convnet stats`: per-channel mean and standard deviation of a training set (for `Normalize`),
/// and its RGB principal components (for `Lighting(pca='dataset')`).
struct StatsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stats",
        abstract: "Print the per-channel mean and std of a dataset's training images (pixels scaled to [0, 1]).")

    @Option(help: "Dataset: \(DatasetCatalog.names.joined(separator: ", ")).") var dataset: String
    @Option(help: "Folder with the dataset's files.") var data: String?
    @Option(help: "Resize (shorter side) and center-crop every image to SIZE×SIZE first.") var imageSize: Int?
    @Option(help: "Convert to 1 (gray) or 3 (RGB) channels first.") var channels: Int?
    @Option(help: "CIFAR-100 labels: fine or coarse.") var labelLevel: CIFAR.LabelLevel = .fine
    @Option(help: "Threads that decode images (default: all cores).") var workers: Int?
    @Flag(help: "Skip image files that cannot be decoded.") var skipBadImages = false
    @Flag(help: "Print JSON.") var json = false

    func run() throws {
        let train = try DatasetCatalog.loadTrainingSet(
            dataset, directory: data, channels: channels, imageSize: imageSize, labelLevel: labelLevel,
            workers: workers ?? ProcessInfo.processInfo.activeProcessorCount, skipBadImages: skipBadImages)
        let stats = ChannelStatistics(train.dataset)
        let pca = train.dataset.channels == 3 ? try Lighting.principalComponents(of: train.dataset) : nil
        func list(_ values: [Double]) -> String { "[" + values.map { String(format: "%.4f", $0) }.joined(separator: ", ") + "]" }
        if json {
            var object: [String: Any] = ["images": train.dataset.count, "channels": train.dataset.channels,
                                         "height": train.dataset.height, "width": train.dataset.width,
                                         "mean": stats.mean, "std": stats.std, "skipped": train.skipped.count]
            if let pca { object["eigenvalues"] = pca.eigenvalues.map(Double.init); object["eigenvectors"] = pca.eigenvectors.map { $0.map(Double.init) } }
            let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
            print(String(decoding: data, as: UTF8.self))
            return
        }
        print("\(dataset): \(train.dataset.count) training images, \(train.dataset.channels)×\(train.dataset.height)×\(train.dataset.width)")
        if !train.skipped.isEmpty { print("skipped \(train.skipped.count) unreadable files") }
        print("mean \(list(stats.mean))")
        print("std  \(list(stats.std))   (population standard deviation of all pixels, values in [0, 1])")
        if let pca {
            print("RGB principal components (Lighting): eigenvalues \(list(pca.eigenvalues.map(Double.init)))")
            for row in pca.eigenvectors { print("  \(list(row.map(Double.init)))") }
        }
    }
}
