import Foundation

/// Datasets by name (`--dataset`), with their normalisation and where they are found.
public enum DatasetCatalog {
    /// The names ``load(_:split:directory:)`` knows.
    public static let names = ["mnist", "fashion-mnist", "cifar10", "cifar100", "folder"]

    /// The per-channel normalisation used for `name`; nil for image folders, which are normalised
    /// with their training images' own statistics.
    public static func normalization(_ name: String) -> Normalization? {
        switch name {
        case "mnist": .mnist
        case "fashion-mnist": .fashionMNIST
        case "cifar10": .cifar10
        case "cifar100": .cifar100
        default: nil
        }
    }

    /// Loads one split. MNIST defaults to the copy shipped in the repository (`Datasets/mnist`);
    /// Fashion-MNIST needs `directory`.
    /// - Throws: ``ConvNetError`` for an unknown name, a missing folder, or bad files.
    public static func load(_ name: String, split: MNIST.Split, directory: String?) throws -> ImageDataset {
        switch name {
        case "mnist":
            return try MNIST.load(directory: try directory ?? bundledMNIST(), split: split)
        case "fashion-mnist":
            guard let directory else {
                throw ConvNetError(op: "dataset", "fashion-mnist needs `dataDirectory` (the folder with its four IDX files)")
            }
            return try MNIST.load(directory: directory, split: split, classNames: MNIST.fashionNames)
        default:
            throw ConvNetError(op: "dataset", "unknown dataset \"\(name)\" (known: \(names.joined(separator: ", ")))")
        }
    }

    /// The repository's `Datasets/mnist`, looked for from the working directory and from the
    /// executable's location (`.build/<config>/convnet` → the package root).
    public static func bundledMNIST() throws -> String {
        var candidates = ["Datasets/mnist"]
        let executable = URL(fileURLWithPath: CommandLine.arguments.first ?? ".").resolvingSymlinksInPath()
        var folder = executable.deletingLastPathComponent()
        for _ in 0..<4 {
            candidates.append(folder.appendingPathComponent("Datasets/mnist").path)
            folder = folder.deletingLastPathComponent()
        }
        for path in candidates where FileManager.default.fileExists(atPath: path + "/train-labels-idx1-ubyte.gz") {
            return path
        }
        throw ConvNetError(op: "dataset", "cannot find the bundled MNIST (Datasets/mnist); run from the repository or pass `dataDirectory`")
    }
}
