import ArgumentParser
import ConvNet
import Foundation

/// `convnet export-images`: a dataset written out as an image folder (torchvision's ImageFolder layout).
struct ExportImagesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export-images",
        abstract: "Write a dataset's images as OUT/train/CLASS/NNNNN.png|jpg (and OUT/test/… when it has a test split).")

    @Option(help: "Dataset: \(DatasetCatalog.names.joined(separator: ", ")).") var dataset: String
    @Option(help: "Folder with the dataset's files.") var data: String?
    @Option(help: "File format: png or jpeg.") var format: ImageDataset.FolderFormat = .png
    @Option(help: "JPEG quality (1–100).") var quality = 95
    @Option(help: "Write only the first N images of each split.") var limit: Int?
    @Option(help: "CIFAR-100 labels: fine or coarse.") var labelLevel: CIFAR.LabelLevel = .fine
    @Option(help: "Output folder.") var out: String

    func run() throws {
        var request = DataRequest(dataset: dataset, directory: data, channels: 0)
        request.labelLevel = labelLevel
        let (train, test) = try DatasetCatalog.loadSplitsAsStored(request)
        for (name, split) in [("train", train), ("test", test)] {
            guard var split else { continue }
            if let limit { split = split.prefix(limit) }
            let root = (out as NSString).appendingPathComponent(name)
            try split.writeFolder(root: root, format: format, quality: quality)
            print("wrote \(split.count) \(format.rawValue) images in \(split.classNames.count) class folders to \(root)")
        }
    }
}

extension ImageDataset.FolderFormat: ExpressibleByArgument {}
