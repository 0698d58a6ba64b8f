import ArgumentParser
import ConvNet
import Foundation

/// `convnet export-images`: a dataset written out as an image folder (torchvision's ImageFolder layout).
struct ExportImagesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export-images",
        abstract: "Write a dataset's images as OUT/train/CLASS/NNNNN.png|jpg (and OUT/test/… when it has a test split).",
        discussion: """
            OUT must be new or empty: the images are written into a temporary folder beside it, renamed to OUT when all \
            are written (an interrupted or failed export leaves nothing). --overwrite replaces an earlier export \
            (a folder holding only train/ and test/) as a whole; a folder holding anything else is never replaced.
            """)

    @Option(help: "Dataset: \(DatasetCatalog.names.joined(separator: ", ")).") var dataset: String
    @Option(help: "Folder with the dataset's files.") var data: String?
    @Option(help: "File format: png or jpeg.") var format: ImageDataset.FolderFormat = .png
    @Option(help: "JPEG quality (1–100).") var quality = 95
    @Option(help: "Write only the first N images of each split.") var limit: Int?
    @Option(help: "CIFAR-100 labels: fine or coarse.") var labelLevel: CIFAR.LabelLevel = .fine
    @Option(help: "Output folder.") var out: String
    @Flag(help: "Replace an earlier export in OUT (a folder holding only train/ and test/).") var overwrite = false

    /// The folders an export holds.
    static let splitNames = ["train", "test"]

    func run() throws {
        if let limit, limit < 0 { throw ConvNetError(op: "export-images", "--limit \(limit) must be 0 or more") }
        let plan = OutputPlan(op: "export-images")
        if let data { plan.reads(data, as: "--data") }
        let folder = plan.writes(folder: out, as: "--out", replacing: overwrite ? .ifHoldingOnly(Set(Self.splitNames)) : .never,
                                 hint: "or --overwrite to replace an earlier export")
        try plan.check()
        var request = DataRequest(dataset: dataset, directory: data, channels: 0)
        request.labelLevel = labelLevel
        let (train, test) = try DatasetCatalog.loadSplitsAsStored(request)
        let staging = try plan.stagingFolder(for: folder)
        var written: [String] = []
        for (name, split) in zip(Self.splitNames, [train, test]) {
            guard var split else { continue }
            if let limit { split = split.prefix(limit) }
            try split.writeImages(into: (staging as NSString).appendingPathComponent(name), format: format, quality: quality)
            written.append("wrote \(split.count) \(format.rawValue) images in \(split.classNames.count) class folders to \((out as NSString).appendingPathComponent(name))")
        }
        try plan.commit()
        written.forEach { print($0) }
    }
}

extension ImageDataset.FolderFormat: ExpressibleByArgument {}
