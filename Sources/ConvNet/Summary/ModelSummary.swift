import Foundation

/// What each layer of a model produces and costs, like the classic VGG table: output shape,
/// activation memory, parameters and multiply-accumulates, per image; plus totals.
public struct ModelSummary: Codable, Sendable {
    /// One row: a call of a leaf module (one without sub-modules) in execution order.
    public struct Layer: Codable, Sendable {
        /// state_dict-style path, e.g. `features.0`.
        public var name: String
        /// The module's type, e.g. `Conv2d`.
        public var type: String
        /// Output shape of one image, `[C, H, W]` or `[features]`.
        public var outputShape: [Int]
        /// Parameters of the module (weights and biases).
        public var params: Int
        /// The `weight` part of ``params`` (what the classic VGG table counts).
        public var weights: Int
        /// Output elements per image.
        public var activations: Int
        /// Multiply-accumulates per image: C_out·H_out·W_out·(C_in/groups)·K_h·K_w for a convolution,
        /// in·out for a linear layer, 0 for the rest (their cost is small next to these).
        public var macs: Int

        enum CodingKeys: String, CodingKey {
            case name, type, outputShape = "output_shape", params, weights, activations, macs
        }
    }

    public var model: String
    public var inputShape: [Int]
    public var batch: Int
    public var layers: [Layer]
    public var totalParams: Int
    public var trainableParams: Int
    /// Per image.
    public var totalMacs: Int
    /// Sum of all layer outputs of one image (elements).
    public var activationsPerImage: Int
    /// Bytes of every layer output of a forward pass of the batch (float32).
    public var forwardActivationBytes: Int
    /// Estimate of training memory for the batch with SGD and momentum: parameters + gradients +
    /// momentum buffers + activations (float32).
    public var trainingMemoryBytes: Int

    enum CodingKeys: String, CodingKey {
        case model, inputShape = "input_shape", batch, layers, totalParams = "total_params"
        case trainableParams = "trainable_params", totalMacs = "total_macs"
        case activationsPerImage = "activations_per_image", forwardActivationBytes = "forward_activation_bytes"
        case trainingMemoryBytes = "training_memory_bytes"
    }

    /// How many times its input's memory one image's forward pass may hold at once (an input and
    /// the widest layers' outputs: VGG's first two convolutions hold 43 times a 3-channel input).
    package static let traceMemoryFactor = 64

    /// Runs one image of zeros through `model` (evaluation mode, no gradients) and records each layer.
    /// - Throws: ``ConvNetError`` if the input shape does not suit the model, if one image would
    ///   need more memory than the machine has, or if the batch's totals overflow.
    public static func of(_ model: Module, name: String, inputShape: [Int], batch: Int = 1) throws -> ModelSummary {
        guard batch >= 1 else { throw ConvNetError(op: "summary", "batch \(batch) must be at least 1") }
        guard !inputShape.isEmpty, inputShape.allSatisfy({ $0 > 0 }) else {
            throw ConvNetError(op: "summary", "input shape \(inputShape) must be positive sizes, e.g. 3×224×224")
        }
        let inputBytes = try MemoryBudget.floatBytes([inputShape], op: "summary", what: "input shape")
        try MemoryBudget.require(MemoryBudget.product([inputBytes, traceMemoryFactor]) ?? .max, op: "summary",
                                 what: "one \(inputShape.map(String.init).joined(separator: "×")) image through \(name) (up to \(traceMemoryFactor)× its \(MemoryBudget.format(inputBytes)))")
        let paths = Dictionary(model.namedModules().map { (ObjectIdentifier($0.module), $0.name) }, uniquingKeysWith: { a, _ in a })
        let tracer = ModuleTracer()
        let wasTraining = model.isTraining
        model.eval()
        defer { model.train(wasTraining) }
        do {
            _ = try withNoGrad { try tracer.tracing { try model(Tensor.zeros([1] + inputShape)) } }
        } catch let error as ConvNetError {
            throw ConvNetError(op: "summary", "\(name) cannot take a \(inputShape.map(String.init).joined(separator: "×")) input (`inputShape`): \(error.description)")
        }
        var layers: [Layer] = []
        for call in tracer.calls where call.module.children.isEmpty {
            let module = call.module
            let out = Array(call.outputShape.dropFirst())
            let elements = out.reduce(1, *)
            var macs = 0
            if let conv = module as? Conv2d {
                // weight [C_out, C_in/groups, K_h, K_w]: each output element costs (C_in/groups)·K_h·K_w.
                macs = elements * conv.weight.shape.dropFirst().reduce(1, *)
            } else if let fc = module as? Linear {
                macs = fc.weight.count
            }
            layers.append(Layer(name: paths[ObjectIdentifier(module)] ?? "?", type: String(describing: type(of: module)),
                                outputShape: out, params: module.namedParameters(recursive: false).reduce(0) { $0 + $1.tensor.count },
                                weights: module.namedParameters(recursive: false).filter { $0.name == "weight" }.reduce(0) { $0 + $1.tensor.count },
                                activations: elements, macs: macs))
        }
        let params = model.parameterCount
        let activations = layers.reduce(0) { $0 + $1.activations }
        guard let forwardBytes = MemoryBudget.product([activations, batch, 4]),
              let trainingBytes = MemoryBudget.sum([3 * params * 4, forwardBytes]) else {
            throw ConvNetError(op: "summary", "batch \(batch) of \(activations) activations per image is more bytes than can be counted")
        }
        return ModelSummary(model: name, inputShape: inputShape, batch: batch, layers: layers, totalParams: params,
                            trainableParams: model.trainableParameterCount, totalMacs: layers.reduce(0) { $0 + $1.macs },
                            activationsPerImage: activations, forwardActivationBytes: forwardBytes,
                            trainingMemoryBytes: trainingBytes)
    }

    /// The table `convnet summary` prints.
    public var table: String {
        func count(_ n: Int) -> String {
            let digits = String(n)
            var out = ""
            for (i, c) in digits.reversed().enumerated() {
                if i > 0 && i % 3 == 0 { out.append(",") }
                out.append(c)
            }
            return String(out.reversed())
        }
        let rows = layers.map { l in
            ["\(l.name) (\(l.type))", l.outputShape.map(String.init).joined(separator: "×"),
             "\(count(l.activations)) (\(Self.bytes(l.activations * 4)))", count(l.params), count(l.weights), count(l.macs)]
        }
        let header = ["Layer (type)", "Output shape", "Activations / image", "Params", "of which weights", "MACs / image"]
        let widths = (0..<header.count).map { c in ([header] + rows).map { $0[c].count }.max()! }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { c, cell in
                c == 0 || c == 1 ? cell.padding(toLength: widths[c], withPad: " ", startingAt: 0)
                    : String(repeating: " ", count: widths[c] - cell.count) + cell
            }.joined(separator: "  ")
        }
        let rule = String(repeating: "─", count: widths.reduce(0, +) + 2 * (widths.count - 1))
        var text = [line(header), rule] + rows.map(line) + [rule]
        text.append("Input: \(inputShape.map(String.init).joined(separator: "×")), batch \(batch)")
        text.append("Total params: \(count(totalParams))  (trainable: \(count(trainableParams)))")
        text.append("Total MACs per image: \(count(totalMacs)) (\(Self.scaled(Double(totalMacs))))")
        text.append("Activations per image: \(count(activationsPerImage)) (\(Self.bytes(activationsPerImage * 4)))")
        text.append("Forward activation memory for the batch: \(Self.bytes(forwardActivationBytes))")
        text.append("Training memory estimate (params + grads + momentum + activations): \(Self.bytes(trainingMemoryBytes))")
        return text.joined(separator: "\n")
    }

    /// 15.47 G / 416.5 K style.
    static func scaled(_ x: Double) -> String {
        for (limit, suffix) in [(1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "K")] where x >= limit {
            return String(format: "%.2f %@", x / limit, suffix)
        }
        return String(format: "%.0f", x)
    }

    /// 12.3 MiB style.
    static func bytes(_ n: Int) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        var value = Double(n), unit = 0
        while value >= 1024 && unit < units.count - 1 { value /= 1024; unit += 1 }
        return unit == 0 ? "\(n) B" : String(format: "%.1f %@", value, units[unit])
    }
}
