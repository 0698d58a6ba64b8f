import Foundation

extension ImageDataset {
    /// File formats ``writeFolder(root:format:quality:)`` writes.
    public enum FolderFormat: String, Sendable, CaseIterable {
        case png, jpeg
        var fileExtension: String { self == .png ? "png" : "jpg" }
    }

    /// Writes the images in torchvision's `ImageFolder` layout, `root/CLASS/NNNNN.png|jpg`
    /// (NNNNN = the image's index, zero-padded; see ``folderName(ofClass:)``), all or nothing:
    /// the folder is written beside `root` under a temporary name and renamed into place at the
    /// end (see ``OutputPlan``). `ImageFolder` reads the classes back in sorted name order, which
    /// is the label order when the names sort as the labels do (CIFAR-10's, MNIST's digits).
    /// - Throws: ``ConvNetError`` when `root` exists and is not an empty folder, or for a file
    ///   that cannot be written or encoded (nothing is left then).
    public func writeFolder(root: String, format: FolderFormat = .png, quality: Int = 95) throws {
        let plan = OutputPlan(op: "image folder")
        let folder = plan.writes(folder: root, as: "image folder")
        try plan.check()
        try writeImages(into: try plan.stagingFolder(for: folder), format: format, quality: quality)
        try plan.commit()
    }

    /// Writes the images in `ImageFolder` layout into `root` (see
    /// ``writeFolder(root:format:quality:)``), which must be a new folder of this process's
    /// own, such as ``OutputPlan/stagingFolder(for:)``'s: every file is created exclusively
    /// (nothing there is replaced or followed) and not flushed (the plan's commit flushes).
    /// - Throws: ``ConvNetError`` naming the file that cannot be written or encoded.
    public func writeImages(into root: String, format: FolderFormat = .png, quality: Int = 95) throws {
        let folders = classNames.map { (root as NSString).appendingPathComponent(Self.folderName(ofClass: $0)) }
        // (Through TemporaryFiles, so that no folder appears while an interrupted process removes the tree.)
        for folder in [root] + Set(folders).sorted() where !TemporaryFiles.createFolder(inTemporaryFolder: folder) {
            throw ConvNetError(op: "image folder", "\(folder): cannot create the folder (\(String(cString: strerror(errno))))")
        }
        let digits = max(5, String(count).count)
        for index in 0..<count {
            let image = try image(at: index)
            let name = String(repeating: "0", count: max(0, digits - String(index).count)) + String(index) + "." + format.fileExtension
            let path = (folders[labels[index]] as NSString).appendingPathComponent(name)
            let bytes = switch format {
            case .png: try image.pngData(name: path)
            case .jpeg: try image.jpegData(name: path, quality: quality)
            }
            guard let fd = TemporaryFiles.createFile(inTemporaryFolder: path) else {
                throw ConvNetError(op: "image folder", "\(path): cannot create the file (\(String(cString: strerror(errno))))")
            }
            let failure = AtomicFile.writeAll(bytes, to: fd, sync: false)
            close(fd)
            if let failure { throw ConvNetError(op: "image folder", "\(path): \(failure)") }
        }
    }

    /// The folder a class's images go to: its name with `/` made `_`, and `_` put before a name
    /// that would not be a folder of its own (empty, `.` or `..`).
    public static func folderName(ofClass name: String) -> String {
        let folder = name.replacingOccurrences(of: "/", with: "_")
        return ["", ".", ".."].contains(folder) ? "_" + folder : folder
    }
}
