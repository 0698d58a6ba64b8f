import Foundation

/// A dataset laid out as torchvision's `ImageFolder` expects: `ROOT/CLASS/…/IMAGE`, one folder
/// per class, images at any depth below it.
///
/// The samples are listed as torchvision's `make_dataset` lists them, so that sample *i* and its
/// label are the same on both sides:
/// - classes: the names of ROOT's subfolders (symbolic links followed), sorted by their UTF-8
///   bytes (Python's `sorted`), labels 0, 1, … in that order;
/// - within a class, the folders of `sorted(os.walk(dir, followlinks=True))`, i.e. sorted by
///   their whole path, and in each the file names sorted;
/// - files whose extension, in any case, is one of torchvision's `IMG_EXTENSIONS` (.jpg .jpeg
///   .png .ppm .bmp .pgm .tif .tiff .webp). Only PNG and JPEG are decoded (recognised by their
///   content): a file of another format is listed, as torchvision lists it, and fails when
///   loaded (or is skipped with `skipBadImages`), rather than silently shifting the samples.
///
/// Deliberate differences: names starting with "." (hidden files and folders, such as
/// `.ipynb_checkpoints` or `.DS_Store`) are ignored, where torchvision would make a hidden
/// folder a class; a folder that cannot be listed is an error, where os.walk skips it silently;
/// a symbolic link back into an ancestor folder is not followed round the loop.
public struct ImageFolder: Sendable {
    /// One image file and its class.
    public struct Sample: Sendable, Equatable {
        /// The file: the root, the class folder and the path below it, joined with "/".
        public var path: String
        /// The class: its index in ``ImageFolder/classNames``.
        public var label: Int

        public init(path: String, label: Int) {
            self.path = path
            self.label = label
        }
    }

    /// torchvision's `IMG_EXTENSIONS`, lower case, without the dot.
    public static let extensions: Set<String> = ["jpg", "jpeg", "png", "ppm", "bmp", "pgm", "tif", "tiff", "webp"]

    /// The folder holding one subfolder per class, as given.
    public let root: String
    /// Class names, index = label.
    public let classNames: [String]
    /// Every image file in torchvision's order.
    public let samples: [Sample]

    /// Lists the classes and image files under `root`.
    /// - Throws: ``ConvNetError`` naming the folder when `root` is missing or not a folder, has no
    ///   class folders, or has no images at all, and naming the classes that have no image.
    public init(root: String) throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: root, isDirectory: &isDirectory) else {
            throw ConvNetError(op: "image folder", "\(root): no such folder")
        }
        guard isDirectory.boolValue else { throw ConvNetError(op: "image folder", "\(root): not a folder") }
        let classes = try Self.entries(of: root).filter(\.isDirectory).map(\.name)
        guard !classes.isEmpty else {
            throw ConvNetError(op: "image folder", "\(root): no class folders (expected ROOT/CLASS/IMAGE, as torchvision's ImageFolder)")
        }
        var samples: [Sample] = []
        var empty: [String] = []
        for (label, name) in classes.enumerated() {
            let files = try Self.imageFiles(under: Self.join(root, name))
            if files.isEmpty { empty.append(name) }
            samples += files.map { Sample(path: $0, label: label) }
        }
        guard !samples.isEmpty else {
            throw ConvNetError(op: "image folder", "\(root): no images in any of its \(classes.count) class folders (looked for \(Self.extensionList))")
        }
        guard empty.isEmpty else {
            let names = empty.map { "\"\($0)\"" }.joined(separator: ", ")
            throw ConvNetError(op: "image folder", "\(root): no images in the class folder\(empty.count == 1 ? "" : "s") \(names) (looked for \(Self.extensionList))")
        }
        (self.root, self.classNames, self.samples) = (root, classes, samples)
    }

    /// Where a dataset's splits are: `ROOT/train` with `ROOT/val` (or else `ROOT/test`) when
    /// `ROOT/train` is a folder, and otherwise ROOT alone with no test split.
    public static func splits(root: String) -> (train: String, test: String?) {
        func isFolder(_ path: String) -> Bool {
            var isDirectory: ObjCBool = false
            return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && isDirectory.boolValue
        }
        let train = join(root, "train")
        guard isFolder(train) else { return (root, nil) }
        return (train, ["val", "test"].map { join(root, $0) }.first(where: isFolder))
    }

    private static var extensionList: String { extensions.sorted().map { "." + $0 }.joined(separator: " ") }

    private static func join(_ folder: String, _ name: String) -> String {
        folder.hasSuffix("/") ? folder + name : folder + "/" + name
    }

    /// Python's string order: code points, which for UTF-8 is byte order.
    private static func pythonOrder(_ a: String, _ b: String) -> Bool { a.utf8.lexicographicallyPrecedes(b.utf8) }

    /// A folder's entries that do not start with ".", sorted; `isDirectory` follows symbolic links
    /// (as Python's `DirEntry.is_dir()`).
    private static func entries(of folder: String) throws -> [(name: String, isDirectory: Bool)] {
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: folder)
        } catch {
            throw ConvNetError(op: "image folder", "\(folder): cannot list the folder (\(ConvNetError.systemReason(error)))")
        }
        return names.filter { !$0.hasPrefix(".") }.sorted(by: pythonOrder).map { name in
            var isDirectory: ObjCBool = false
            let exists = FileManager.default.fileExists(atPath: join(folder, name), isDirectory: &isDirectory)
            return (name, exists && isDirectory.boolValue)
        }
    }

    /// The image files below `folder` in `sorted(os.walk(folder, followlinks=True))` order. A
    /// folder that a symbolic link leads back into (one of its own ancestors) is not walked again,
    /// where os.walk would go round the loop until the path grew too long.
    private static func imageFiles(under folder: String) throws -> [String] {
        var folders: [(path: String, files: [String])] = []
        var pending: [(path: String, ancestors: Set<[UInt64]>)] = [(folder, [])]
        while let (current, ancestors) = pending.popLast() {
            var info = stat(), identity: [UInt64] = []
            if stat(current, &info) == 0 { identity = [UInt64(info.st_dev), UInt64(info.st_ino)] }
            guard !ancestors.contains(identity) else { continue }
            let children = try entries(of: current)
            folders.append((current, children.filter { !$0.isDirectory }.map(\.name)))
            let inside = ancestors.union([identity])
            pending += children.filter(\.isDirectory).map { (join(current, $0.name), inside) }
        }
        // os.walk yields (dirpath, dirnames, filenames) tuples; sorted() orders them by dirpath.
        folders.sort { pythonOrder($0.path, $1.path) }
        return folders.flatMap { entry in
            entry.files.filter { name in
                guard let dot = name.lastIndex(of: ".") else { return false }
                return extensions.contains(name[name.index(after: dot)...].lowercased())
            }.map { join(entry.path, $0) }
        }
    }
}
