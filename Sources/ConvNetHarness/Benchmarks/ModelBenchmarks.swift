import ConvNet
import ConvNetONNX
/// Whole-model timings, as printed by `convnet bench model`.
public enum ModelBenchmarks {
    public struct Result: Codable, Sendable {
        public var millisecondsPerBatch: Double
        public var imagesPerSecond: Double
        /// What freezing planned (``FrozenModel/notes``); not part of the JSON.
        public var notes: [String] = []
        /// The frozen model's planned activation memory for the batch (``ActivationMemory``):
        /// the block's bytes, all activations added up, and the most alive at once; nil when eager
        /// or training.
        public var plannedActivationBytes: Int?
        public var totalActivationBytes: Int?
        public var peakLiveActivationBytes: Int?

        enum CodingKeys: String, CodingKey {
            case millisecondsPerBatch = "ms_per_batch", imagesPerSecond = "images_per_s"
            case plannedActivationBytes = "planned_activation_bytes", totalActivationBytes = "total_activation_bytes"
            case peakLiveActivationBytes = "peak_live_activation_bytes"
        }
    }

    /// Median time of one batch through `name` on random input: inference (evaluation mode, no
    /// gradients; the frozen model, ``FrozenModel``, unless `eager`) or, with `training`, a full
    /// SGD step (forward, cross-entropy, backward, update). `layout` and `precision`: the frozen model's (``FrozenLayout``, ``InferencePrecision``).
    public static func run(model name: String, batch: Int, inputShape: [Int]? = nil, training: Bool = false,
                           eager: Bool = false, layout: FrozenLayout = .fastest,
                           precision: InferencePrecision = .float32, budget: Double = 3) throws -> Result {
        guard batch >= 1 else { throw ConvNetError(op: "bench model", "batch \(batch) must be at least 1") }
        let entry = try ModelZoo.entry(name)
        let shape = inputShape ?? entry.inputShape
        let model = try GlobalGenerator.seeded(0) { try ModelZoo.make(name) }
        // What the batch needs (weights, activations, with training their gradients and momentum),
        // from one image's trace, before allocating it.
        let summary = try ModelSummary.of(model, name: name, inputShape: shape, batch: batch)
        try MemoryBudget.require(training ? summary.trainingMemoryBytes : summary.forwardActivationBytes, op: "bench model",
                                 what: "a batch of \(batch) through \(name)")
        var gen = RandomGenerator(seed: 1)
        let x = Tensor.randn([batch] + shape, generator: &gen)
        if training {
            let labels = (0..<batch).map { $0 % entry.classes }
            let optimizer = try SGD(parameters: model.parameters, learningRate: 1e-3, momentum: 0.9)
            model.train()
            let ms = try Stopwatch.medianMilliseconds(budget: budget) {
                optimizer.zeroGrad()
                try crossEntropy(model(x), labels: labels).backward()
                try optimizer.step()
            }
            return Result(millisecondsPerBatch: ms, imagesPerSecond: Double(batch) / ms * 1e3)
        }
        return try inference(model, x, eager: eager, layout: layout, precision: precision, budget: budget)
    }

    /// Median time of one inference batch through the ONNX model at `path` (``ONNXGraphModule``;
    /// frozen unless `eager`) on random input of the graph's image size, `batch` images.
    public static func run(onnx path: String, batch: Int, eager: Bool = false, layout: FrozenLayout = .fastest,
                           precision: InferencePrecision = .float32, budget: Double = 3) throws -> Result {
        guard batch >= 1 else { throw ConvNetError(op: "bench model", "batch \(batch) must be at least 1") }
        let model = try ONNXModel(contentsOf: path)
        let shape = try model.imageInputShape()
        _ = try model.shapes(batch: batch)  // the graph accepts this batch, its sizes checked against memory
        var gen = RandomGenerator(seed: 1)
        let x = Tensor.randn([batch] + shape, generator: &gen)
        return try inference(model.module(), x, eager: eager, layout: layout, precision: precision, budget: budget)
    }

    /// Median time of `model` on `x` in evaluation mode without gradients: frozen, or eager.
    private static func inference(_ model: Module, _ x: Tensor, eager: Bool, layout: FrozenLayout,
                                  precision: InferencePrecision, budget: Double) throws -> Result {
        model.eval()
        let ms: Double
        var notes: [String] = [], memory: ActivationMemory?
        if eager {
            ms = try Stopwatch.medianMilliseconds(budget: budget) { _ = try withNoGrad { try model(x) } }
        } else {
            let frozen = try model.frozen(layout: layout, precision: precision)
            ms = try Stopwatch.medianMilliseconds(budget: budget) { _ = try frozen(x) }
            notes = frozen.notes
            memory = frozen.activationMemory(for: x.shape)
        }
        return Result(millisecondsPerBatch: ms, imagesPerSecond: Double(x.shape[0]) / ms * 1e3, notes: notes,
                      plannedActivationBytes: memory?.plannedBytes, totalActivationBytes: memory?.totalBytes,
                      peakLiveActivationBytes: memory?.peakLiveBytes)
    }
}
