import Foundation

/// CIFAR-10 and CIFAR-100 in their binary layout (the `*-binary.tar.gz` releases), each file plain
/// or gzipped.
///
/// - CIFAR-10: records of 3,073 bytes, a label byte then 3,072 pixel bytes (the red, green and
///   blue 32×32 planes, row-major), in `data_batch_*.bin` (training) and `test_batch*.bin` (test),
///   with the class names one per line in `batches.meta.txt`. Any subset of the batches may be
///   present (a sample such as `data_batch_1-first4000.bin.gz` counts as a training batch).
/// - CIFAR-100: records of 3,074 bytes, the coarse label, the fine label, then the pixels, in
///   `train.bin` and `test.bin`, names in `fine_label_names.txt` and `coarse_label_names.txt`.
///
/// Files are also found inside the archive's own folder (`cifar-10-batches-bin`, `cifar-100-binary`).
public enum CIFAR {
    /// Which data set.
    public enum Variant: String, Sendable, CaseIterable {
        case cifar10, cifar100
    }

    /// CIFAR-100's two label sets.
    public enum LabelLevel: String, Codable, Sendable, CaseIterable {
        /// The 100 classes.
        case fine
        /// The 20 superclasses.
        case coarse
    }

    /// CIFAR-10's class names, as in `batches.meta.txt`.
    public static let cifar10Names = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]

    /// Bytes of pixels per image (3 × 32 × 32).
    static let imageBytes = 3 * 32 * 32

    /// Loads one split; nil when the folder holds no file of that split (e.g. no test batch).
    /// - Throws: ``ConvNetError`` naming the file for a size that is not a whole number of
    ///   records, a label outside the classes, a class-name file with the wrong number of names,
    ///   or a folder with no CIFAR files at all.
    public static func load(directory: String, variant: Variant, split: MNIST.Split,
                            labelLevel: LabelLevel = .fine) throws -> ImageDataset? {
        let folder = try dataFolder(directory, variant: variant)
        let files = try batchFiles(folder, variant: variant, split: split)
        guard !files.isEmpty else { return nil }
        let classNames = try names(folder, variant: variant, labelLevel: labelLevel)
        var pixels = [UInt8](), labels = [Int]()
        for path in files {
            let batch = try parse(try batchBytes(path, variant: variant), variant: variant, labelLevel: labelLevel,
                                  classes: classNames.count, source: path)
            // Growing the set copies it: the old and the new array live at once.
            try MemoryBudget.require(MemoryBudget.product([pixels.count + batch.pixels.count, 2]) ?? .max, op: variant.rawValue,
                                     what: "\(path): \(labels.count + batch.labels.count) images")
            pixels += batch.pixels
            labels += batch.labels
        }
        return try ImageDataset(pixels: pixels, labels: labels, channels: 3, height: 32, width: 32, classNames: classNames,
                                source: files.joined(separator: ", "))
    }

    /// The most records one batch file may hold (100,000; CIFAR's largest, CIFAR-100's train.bin,
    /// holds 50,000): a gzipped batch is not inflated beyond this many records' bytes.
    public static let maximumRecordsPerFile = 100_000

    /// The pixels (CHW per image) and labels of one batch file's bytes, plain or gzipped.
    /// - Throws: ``ConvNetError`` naming `source` for a size that is not a whole, positive number of
    ///   records, a label outside `0..<classes`, a corrupt or truncated gzip stream, or more than
    ///   ``maximumRecordsPerFile`` records.
    public static func parse(_ file: [UInt8], variant: Variant, labelLevel: LabelLevel = .fine, classes: Int,
                             source: String) throws -> (pixels: [UInt8], labels: [Int]) {
        let labelBytes = variant == .cifar10 ? 1 : 2
        let labelOffset = variant == .cifar10 || labelLevel == .coarse ? 0 : 1
        let recordSize = labelBytes + imageBytes
        let limit = maximumRecordsPerFile * recordSize
        // A plain batch never starts 1f 8b: its first byte is a label, and 0x1f = 31 is outside
        // CIFAR-10's classes and CIFAR-100's 20 coarse ones.
        let bytes = Gzip.isGzipped(file) ? try Gzip.decompress(file, source: source, limit: limit) : file
        guard bytes.count <= limit else {
            throw ConvNetError(.format, op: variant.rawValue, "\(source): \(bytes.count) bytes is more than \(maximumRecordsPerFile) records; not a CIFAR batch")
        }
        guard !bytes.isEmpty, bytes.count % recordSize == 0 else {
            throw ConvNetError(.format, op: variant.rawValue, "\(source): \(bytes.count) bytes is not a whole number of \(recordSize)-byte records (\(labelBytes == 1 ? "label" : "coarse label, fine label") + 3,072 pixels); truncated or not a \(variant == .cifar10 ? "CIFAR-10" : "CIFAR-100") batch")
        }
        let count = bytes.count / recordSize
        var pixels = [UInt8]()
        pixels.reserveCapacity(count * imageBytes)
        var labels = [Int]()
        labels.reserveCapacity(count)
        for record in 0..<count {
            let base = record * recordSize
            let label = Int(bytes[base + labelOffset])
            guard label < classes else {
                throw ConvNetError(.format, op: variant.rawValue, "\(source): record \(record) has label \(label), outside the \(classes) classes")
            }
            labels.append(label)
            pixels.append(contentsOf: bytes[(base + labelBytes)..<(base + recordSize)])
        }
        return (pixels, labels)
    }

    /// A batch file's bytes, decompressed: a plain file larger than ``maximumRecordsPerFile``
    /// records is refused by its size before it is read, and a gzipped one is inflated from the
    /// file up to that many records (what follows its gzip stream is never read).
    static func batchBytes(_ path: String, variant: Variant) throws -> [UInt8] {
        let file = try RegularFile.open(RawPath(path), op: variant.rawValue)
        let limit = maximumRecordsPerFile * (variant == .cifar10 ? 3073 : 3074)
        if Gzip.isGzipped(try file.prefix(2)) { return try Gzip.decompress(file: file, limit: limit) }
        guard file.size <= limit else {
            throw ConvNetError(.format, op: variant.rawValue, "\(path): \(file.size) bytes is more than \(maximumRecordsPerFile) records; not a CIFAR batch")
        }
        return try file.bytes(at: 0, count: file.size)
    }

    /// `directory`, or the archive's folder inside it.
    static func dataFolder(_ directory: String, variant: Variant) throws -> String {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isFolder), isFolder.boolValue else {
            throw ConvNetError(.format, op: variant.rawValue, "\(directory): no such folder (`dataDirectory` must be the folder with the \(variant == .cifar10 ? "data_batch_*.bin files" : "train.bin and test.bin files"))")
        }
        let inner = (directory as NSString).appendingPathComponent(variant == .cifar10 ? "cifar-10-batches-bin" : "cifar-100-binary")
        return FileManager.default.fileExists(atPath: inner) ? inner : directory
    }

    /// The split's files in name order.
    static func batchFiles(_ folder: String, variant: Variant, split: MNIST.Split) throws -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        func isBatch(_ name: String) -> Bool {
            guard name.hasSuffix(".bin") || name.hasSuffix(".bin.gz") else { return false }
            switch (variant, split) {
            case (.cifar10, .train): return name.hasPrefix("data_batch")
            case (.cifar10, .test): return name.hasPrefix("test_batch")
            case (.cifar100, .train): return name.hasPrefix("train.bin") || name.hasPrefix("train-") || name.hasPrefix("train_")
            case (.cifar100, .test): return name.hasPrefix("test.bin") || name.hasPrefix("test-") || name.hasPrefix("test_")
            }
        }
        let files = names.filter(isBatch).sorted().map { (folder as NSString).appendingPathComponent($0) }
        if files.isEmpty && split == .train {
            let expected = variant == .cifar10 ? "data_batch_1.bin … data_batch_5.bin" : "train.bin"
            throw ConvNetError(.format, op: variant.rawValue, "\(folder): no training batch (\(expected), plain or .gz)")
        }
        return files
    }

    /// The class names from the folder's name file, or CIFAR-10's own when it has none.
    static func names(_ folder: String, variant: Variant, labelLevel: LabelLevel) throws -> [String] {
        let (file, expected): (String, Int) = switch (variant, labelLevel) {
        case (.cifar10, _): ("batches.meta.txt", 10)
        case (.cifar100, .fine): ("fine_label_names.txt", 100)
        case (.cifar100, .coarse): ("coarse_label_names.txt", 20)
        }
        let path = (folder as NSString).appendingPathComponent(file)
        guard FileManager.default.fileExists(atPath: path) else {
            if variant == .cifar10 { return cifar10Names }
            return (0..<expected).map { "class \($0)" }
        }
        let names = try ClassNameFile.parse(Gzip.readFile(path, op: variant.rawValue, limit: 1 << 20), source: path,
                                            op: variant.rawValue)
        guard names.count == expected else {
            throw ConvNetError(.format, op: variant.rawValue, "\(path) lists \(names.count) class names; \(variant == .cifar10 ? "CIFAR-10" : "CIFAR-100") \(variant == .cifar100 ? "(\(labelLevel.rawValue) labels) " : "")has \(expected)")
        }
        return names
    }
}
