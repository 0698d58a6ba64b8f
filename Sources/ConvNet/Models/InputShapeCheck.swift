extension Classifier {
    /// Runs one image of zeros of `shape` (`[C, H, W]`) through `model` in evaluation mode and
    /// returns the error it raised, or nil when it takes such images. For saying that a model cannot
    /// take images of a size in those terms, instead of a layer's shapes, before any real image goes in.
    /// - Throws: ``ConvNetError`` for `op` when one such image could not fit in memory.
    static func inputError(_ model: Module, for shape: [Int], op: String) throws -> ConvNetError? {
        let bytes = try MemoryBudget.floatBytes([shape], op: op, what: "one input image")
        try MemoryBudget.require(product: [bytes, ModelSummary.traceMemoryFactor], op: op,
                                 what: "one \(shape.map(String.init).joined(separator: "×")) image through the model")
        let wasTraining = model.isTraining
        model.eval()
        defer { model.train(wasTraining) }
        do {
            _ = try withNoGrad { try model(Tensor.zeros([1] + shape)) }
            return nil
        } catch let error as ConvNetError {
            return error
        }
    }
}

extension Classifier {
    /// Throws unless `model` (the zoo model `name` with the weights of `source`) takes images of
    /// `shape` (`[C, H, W]`, e.g. a checkpoint's `input_shape`), saying so in terms of image sizes
    /// rather than a layer's shapes.
    /// - Throws: ``ConvNetError`` for `op` naming `source`, the shape and the model.
    public static func requireInput(_ model: Module, name: String, shape: [Int], source: String, op: String) throws {
        guard try inputError(model, for: shape, op: op) != nil else { return }
        let designed = (try? ModelZoo.entry(name)).map { " (designed for \(Checkpoint.size($0.inputShape)) images)" } ?? ""
        throw ConvNetError(op: op, "\(source): \(name)\(designed) with these weights cannot take \(Checkpoint.size(shape)) images (channels×height×width), the size its metadata says it was trained on")
    }
}
