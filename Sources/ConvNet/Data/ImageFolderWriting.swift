import Foundation

extension ImageDataset {
    /// File formats ``writeFolder(root:format:quality:)`` writes.
    public enum FolderFormat: String, Sendable, CaseIterable {
        case png, jpeg
        var fileExtension: String { self == .png ? "png" : "jpg" }
    }

    /// Writes the images in torchvision's `ImageFolder` layout, `root/CLASS/NNNNN.png|jpg`
    /// (NNNNN = the image's index, zero-padded; a class name's `/` becomes `_`), creating the folders.
    /// `ImageFolder` reads the classes back in sorted name order, which is the label order when
    /// the names sort as the labels do (CIFAR-10's, MNIST's digits).
    /// - Throws: ``ConvNetError`` for a file that cannot be written or encoded.
    public func writeFolder(root: String, format: FolderFormat = .png, quality: Int = 95) throws {
        let folders = classNames.map { (root as NSString).appendingPathComponent($0.replacingOccurrences(of: "/", with: "_")) }
        for folder in Set(folders) { try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true) }
        let digits = max(5, String(count).count)
        for index in 0..<count {
            let image = try image(at: index)
            let name = String(repeating: "0", count: max(0, digits - String(index).count)) + String(index) + "." + format.fileExtension
            let path = (folders[labels[index]] as NSString).appendingPathComponent(name)
            switch format {
            case .png: try image.writePNG(path: path)
            case .jpeg: try image.writeJPEG(path: path, quality: quality)
            }
        }
    }
}
