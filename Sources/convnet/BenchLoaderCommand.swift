import ArgumentParser
import ConvNet
import Foundation

extension BenchCommand {
    struct Loader: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Images/s of assembling training batches alone (augmentation, normalisation), no model.",
            discussion: "Example: convnet bench loader --dataset cifar10 --data DIR --augment cifar --batch 128 --workers 1")

        @Option(help: "Dataset: \(DatasetCatalog.names.joined(separator: ", ")).") var dataset = "cifar10"
        @Option(help: "Folder with the dataset's files.") var data: String?
        @Option(help: "Augmentation (as convnet train --augment).") var augment = "cifar"
        @Option(help: "Batch size.") var batch = 128
        @Option(help: "Threads that augment a batch.") var workers = 1
        @Option(help: "Channels the model takes.") var channels = 3
        @Option(help: "Resize to SIZE×SIZE when loading.") var imageSize: Int?
        @Option(help: "Epochs to time (the median is printed; at most 1000).") var epochs = 5

        func validate() throws {
            guard (1...1000).contains(epochs) else { throw ValidationError("--epochs \(epochs) must lie in 1...1000") }
            guard batch >= 1 else { throw ValidationError("--batch \(batch) must be at least 1") }
        }

        func run() throws {
            var request = DataRequest(dataset: dataset, directory: data, channels: channels)
            request.imageSize = imageSize
            request.workers = workers
            let prepared = try DatasetCatalog.prepare(request)
            let train = prepared.train
            let augmentation = try TransformSpec.parse(augment, imageSize: ImageSize(height: train.height, width: train.width),
                                                       principalComponents: { try Lighting.principalComponents(of: train) })
            let loader = try DataLoader(train, batchSize: batch, normalization: prepared.normalization, prefetch: false,
                                        augmentation: augmentation, workers: workers)
            var seconds: [Double] = []
            for epoch in 0..<epochs {
                let order = loader.order(epoch: epoch)
                let start = Stopwatch.now()
                for index in 0..<loader.count { _ = loader.batch(index, order: order, epoch: epoch) }
                seconds.append(Stopwatch.now() - start)
            }
            try loader.checkFailure()
            let median = seconds.sorted()[seconds.count / 2]
            try printJSON(LoaderResult(images: train.count, workers: workers, augmentation: augmentation.description,
                                       imagesPerSecond: Double(train.count) / median, msPerBatch: median * 1000 / Double(loader.count)))
        }
    }

    struct LoaderResult: Encodable {
        var images: Int, workers: Int, augmentation: String
        var imagesPerSecond: Double, msPerBatch: Double
        enum CodingKeys: String, CodingKey {
            case images, workers, augmentation, imagesPerSecond = "images_per_s", msPerBatch = "ms_per_batch"
        }
    }
}
