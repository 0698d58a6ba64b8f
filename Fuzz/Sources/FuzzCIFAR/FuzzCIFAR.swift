import ConvNet
import Foundation
import FuzzSupport

/// CIFAR batch files, plain or gzipped, and class-name files (`batches.meta.txt`); the first byte
/// picks CIFAR-10, CIFAR-100 fine or coarse, or a name file.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let input = bytes(data, size)
    guard let selector = input.first else { return 0 }
    let file = Array(input.dropFirst())
    switch selector % 4 {
    case 0: _ = try? CIFAR.parse(file, variant: .cifar10, classes: 10, source: "fuzz")
    case 1: _ = try? CIFAR.parse(file, variant: .cifar100, labelLevel: .fine, classes: 100, source: "fuzz")
    case 2: _ = try? CIFAR.parse(file, variant: .cifar100, labelLevel: .coarse, classes: 20, source: "fuzz")
    default:
        if let names = try? ClassNameFile.parse(file, source: "fuzz") {
            precondition(!names.isEmpty && Set(names).count == names.count, "names must be distinct and at least one")
        }
    }
    return 0
}

func seeds() throws -> [(name: String, bytes: [UInt8])] {
    // Two real records: the first of the shared CIFAR-10 sample (its loader reads it gzipped).
    let sample = repositoryRoot.deletingLastPathComponent().appendingPathComponent("shared/data/cifar-10-sample/data_batch_1-first4000.bin.gz")
    let batch = try CIFAR.parse(Array(try Data(contentsOf: sample)), variant: .cifar10, classes: 10, source: sample.path)
    var records: [UInt8] = [], cifar100: [UInt8] = []
    for i in 0..<2 {
        let pixels = Array(batch.pixels[(i * 3072)..<((i + 1) * 3072)])
        let label = batch.labels[i]
        records += [UInt8(label)] + pixels
        cifar100 += [UInt8(label + 5), UInt8(label * 9)] + pixels  // a coarse and a fine label
    }
    return [("cifar10", [0] + records), ("cifar10.gz", [0] + (try gzipped(records))),
            ("cifar100-fine", [1] + cifar100), ("cifar100-coarse.gz", [2] + (try gzipped(cifar100))),
            ("names", [3] + Array("\u{FEFF}airplane\r\nautomobile\rbird\n  cat \n\n".utf8)),
            ("names-blank", [3] + Array("deer\n\t\ndog\n".utf8))]
}

@_cdecl("FuzzCIFAR_main")
func main(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    fuzzerMain(argc, argv, seeds: seeds, fuzzOneInput)
}
