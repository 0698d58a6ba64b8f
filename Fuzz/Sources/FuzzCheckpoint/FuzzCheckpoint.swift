import ConvNet
import Foundation
import FuzzSupport

/// Training checkpoints as `convnet predict` and `train --resume` read them: the safetensors
/// file, the weights without the optimizer's slots, then the checkpoint's metadata (options,
/// progress, history, generators, class names, normalisation, input shape) and its options' checks.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    guard let contents = try? SafeTensors.decode(Data(bytes(data, size)), source: "fuzz") else { return 0 }
    _ = Classifier.weights(contents)
    guard Checkpoint.isCheckpoint(contents), let checkpoint = try? Checkpoint.decode(contents, source: "fuzz") else { return 0 }
    _ = try? checkpoint.options.validate()
    return 0
}

/// Real checkpoints written by the library: LeNet-5 trained on 64 MNIST images, once to the end
/// of an epoch with SGD and once stopped after a batch with Adam; each tensor is then cut to its
/// first three values (the metadata is what the checkpoint adds to safetensors; small inputs
/// keep the fuzzer fast) and saved again through `Checkpoint.save`.
func seeds() throws -> [(name: String, bytes: [UInt8])] {
    let folder = NSTemporaryDirectory() + "fuzz-checkpoint-seeds-\(getpid())"
    defer { try? FileManager.default.removeItem(atPath: folder) }
    var seeds: [(name: String, bytes: [UInt8])] = []
    for (name, optimizer, stopEarly) in [("sgd-epoch", TrainingOptions.OptimizerName.sgd, false), ("adam-interrupted", .adam, true)] {
        var options = TrainingOptions()
        (options.optimizer, options.epochs, options.batchSize, options.trainLimit, options.testLimit) = (optimizer, 1, 32, 64, 32)
        let trainer = try Trainer(options: options, dataDirectory: repositoryRoot.appendingPathComponent("Datasets/mnist").path,
                                  outputDirectory: folder + "/" + name)
        trainer.stopRequested = { stopEarly }
        _ = try trainer.run()
        var checkpoint = try Checkpoint.load(path: trainer.checkpointPath)
        checkpoint.modelState = try checkpoint.modelState.map { ($0.name, try Tensor(shape: [min(3, $0.tensor.count)], scalars: Array($0.tensor.scalars.prefix(3)))) }
        checkpoint.optimizerSlots = checkpoint.optimizerSlots.mapValues { $0.mapValues { Array($0.prefix(3)) } }
        let path = folder + "/" + name + ".safetensors"
        try checkpoint.save(to: path)
        seeds.append((name + ".safetensors", Array(try Data(contentsOf: URL(fileURLWithPath: path)))))
    }
    // Metadata at the edges of what decode accepts (input shapes, normalisation, class names).
    var contents = try SafeTensors.decode(Data(seeds[0].bytes), source: "seed")
    for (name, key, value) in metadataEdges {
        contents.metadata[key] = value
        seeds.append(("sgd-epoch-\(name).safetensors", Array(try SafeTensors.encode(contents))))
    }
    return seeds
}

/// (seed name, metadata key, value): each replaces one field of the SGD checkpoint.
let metadataEdges = [
    ("shape-empty", "input_shape", "[]"), ("shape-huge", "input_shape", "[3, 9223372036854775807, 8192]"),
    ("shape-max", "input_shape", "[3, 8192, 8192]"), ("norm-zero-std", "normalization", #"{"mean":[0.5],"std":[0]}"#),
    ("names-duplicate", "class_names", #"["a","b","a"]"#), ("names-nested", "class_names", "[[[[[\"a\"]]]]]"),
]

@_cdecl("FuzzCheckpoint_main")
func main(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    fuzzerMain(argc, argv, seeds: seeds, fuzzOneInput)
}
