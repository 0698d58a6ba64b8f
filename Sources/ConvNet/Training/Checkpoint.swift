import Foundation

/// Everything needed to continue a training run exactly where it stopped, stored as one
/// safetensors file: the model's state_dict under its PyTorch names (so
/// `model.load_state_dict(safetensors.torch.load_file(path), strict=False)` reads the weights),
/// the optimizer's slots as `optimizer.<slot>.<parameter name>`, and the rest as JSON metadata.
public struct Checkpoint {
    /// The run's settings.
    public var options: TrainingOptions
    /// Parameters and buffers by state_dict name.
    public var modelState: [(name: String, tensor: Tensor)]
    /// The optimizer's slots, keyed by slot and parameter name.
    public var optimizerSlots: [String: [String: [Float]]]
    public var optimizerStepCount: Int
    /// Epochs fully trained and evaluated.
    public var completedEpochs: Int
    /// Batches already trained of the next epoch (non-zero after an interrupted epoch).
    public var batchesIntoEpoch: Int
    /// Running totals of the interrupted epoch.
    public var partialEpoch: PartialEpoch
    /// One entry per completed epoch.
    public var history: [EpochMetrics]
    /// The run's generator at the moment of saving.
    public var generator: RandomGenerator
    /// The run's generator as the epoch under way began (the epoch's order is drawn from it).
    public var epochGenerator: RandomGenerator
    /// The classes' names, index = label (nil in checkpoints written before they were stored).
    public var classNames: [String]? = nil
    /// The normalisation the model was trained with (nil in older checkpoints).
    public var normalization: Normalization? = nil
    /// The per-image input shape `[C, H, W]` the model was trained on (nil in older checkpoints).
    public var inputShape: [Int]? = nil

    /// Sums over the batches trained so far in an epoch.
    public struct PartialEpoch: Codable, Sendable, Equatable {
        public var lossSum = 0.0
        public var correct = 0
        public var seen = 0
        public var seconds = 0.0
        public init() {}
    }

    static let formatName = "swift-convnet-checkpoint/2"

    /// True when `contents` (a safetensors file already read) are a swift-convnet training
    /// checkpoint of any format, as opposed to plain weights.
    public static func isCheckpoint(_ contents: SafeTensors.Contents) -> Bool {
        contents.metadata["format"]?.hasPrefix("swift-convnet-checkpoint/") ?? false
    }

    /// Writes the checkpoint atomically.
    public func save(to path: String) throws {
        var tensors = modelState
        for (slot, values) in optimizerSlots.sorted(by: { $0.key < $1.key }) {
            for (name, value) in values.sorted(by: { $0.key < $1.key }) {
                tensors.append(("optimizer.\(slot).\(name)", try Tensor(shape: [value.count], scalars: value)))
            }
        }
        let json = JSONEncoder()
        json.outputFormatting = [.sortedKeys]
        func text<T: Encodable>(_ value: T) throws -> String { String(decoding: try json.encode(value), as: UTF8.self) }
        var metadata: [String: String] = [
            "format": Self.formatName,
            "options": try text(options),
            "completed_epochs": String(completedEpochs),
            "batches_into_epoch": String(batchesIntoEpoch),
            "partial_epoch": try text(partialEpoch),
            "history": try text(history),
            "optimizer_step": String(optimizerStepCount),
            "generator": generator.words.map { String($0) }.joined(separator: ","),
            "epoch_generator": epochGenerator.words.map { String($0) }.joined(separator: ","),
        ]
        if let classNames { metadata["class_names"] = try text(classNames) }
        if let normalization { metadata["normalization"] = try text(normalization) }
        if let inputShape { metadata["input_shape"] = try text(inputShape) }
        try SafeTensors.write(SafeTensors.Contents(tensors: tensors, metadata: metadata), to: path)
    }

    /// Reads a checkpoint written by ``save(to:)``.
    /// - Throws: ``ConvNetError`` naming the file if it is unreadable, not a swift-convnet
    ///   checkpoint, or its metadata is damaged or out of range (see `validateMetadata`).
    public static func load(path: String) throws -> Checkpoint {
        try decode(SafeTensors.read(path: path), source: path)
    }

    /// The checkpoint in a safetensors file already read; `source` names it in errors.
    /// - Throws: ``ConvNetError`` as ``load(path:)``.
    public static func decode(_ contents: SafeTensors.Contents, source path: String) throws -> Checkpoint {
        let meta = contents.metadata
        func fail(_ what: String) -> ConvNetError { ConvNetError(op: "checkpoint", "\(path): \(what)") }
        if let format = meta["format"], format != formatName, format.hasPrefix("swift-convnet-checkpoint/") {
            throw fail("written by another version of swift-convnet (format \"\(format)\"; this one reads \"\(formatName)\"); its weights still load as plain safetensors (`Classifier.weights(path:)`)")
        }
        guard meta["format"] == formatName else {
            throw fail("not a swift-convnet training checkpoint (metadata format is \(meta["format"].map { "\"\($0)\"" } ?? "missing"))")
        }
        func decode<T: Decodable>(_ key: String, as type: T.Type) throws -> T {
            guard let text = meta[key], let value = try? JSONDecoder().decode(T.self, from: Data(text.utf8)) else {
                throw fail("metadata \"\(key)\" is missing or damaged")
            }
            return value
        }
        /// Keys older checkpoints lack: nil when absent, an error when damaged.
        func decodeIfPresent<T: Decodable>(_ key: String, as type: T.Type) throws -> T? {
            meta[key] == nil ? nil : try decode(key, as: type)
        }
        func integer(_ key: String) throws -> Int {
            guard let text = meta[key], let value = Int(text), value >= 0 else { throw fail("metadata \"\(key)\" is missing or damaged") }
            return value
        }
        func generator(_ key: String) throws -> RandomGenerator {
            let words = (meta[key] ?? "").split(separator: ",", omittingEmptySubsequences: false).map { UInt64($0) }
            guard !words.contains(nil), let generator = RandomGenerator(words: words.compactMap { $0 }) else {
                throw fail("metadata \"\(key)\" is missing or damaged")
            }
            return generator
        }

        var modelState: [(String, Tensor)] = []
        var slots: [String: [String: [Float]]] = [:]
        for (name, tensor) in contents.tensors {
            if name.hasPrefix("optimizer.") {
                let rest = name.dropFirst("optimizer.".count)
                guard let dot = rest.firstIndex(of: ".") else { throw fail("bad optimizer tensor name \(name)") }
                slots[String(rest[..<dot]), default: [:]][String(rest[rest.index(after: dot)...])] = tensor.scalars
            } else {
                modelState.append((name, tensor))
            }
        }
        let checkpoint = Checkpoint(options: try decode("options", as: TrainingOptions.self), modelState: modelState,
                          optimizerSlots: slots, optimizerStepCount: try integer("optimizer_step"),
                          completedEpochs: try integer("completed_epochs"), batchesIntoEpoch: try integer("batches_into_epoch"),
                          partialEpoch: try decode("partial_epoch", as: PartialEpoch.self),
                          history: try decode("history", as: [EpochMetrics].self), generator: try generator("generator"),
                          epochGenerator: try generator("epoch_generator"),
                          classNames: try decodeIfPresent("class_names", as: [String].self),
                          normalization: try decodeIfPresent("normalization", as: Normalization.self),
                          inputShape: try decodeIfPresent("input_shape", as: [Int].self))
        try checkpoint.validateMetadata(fail)
        return checkpoint
    }
}
